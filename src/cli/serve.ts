// `runplane serve`: open the store, migrate, start the lease reaper and listen. Stops cleanly on SIGINT/SIGTERM.
// What it says to a person goes to stderr; stdout carries the log (JSON lines, see log.ts).
import fs from 'node:fs';
import { type Config, describeConfig } from '../config.ts';
import { createCore } from '../core/context.ts';
import { DomainError } from '../core/errors.ts';
import { bootstrapAdmin, issueSetupToken } from '../core/first-run.ts';
import { startLeaseReaper } from '../core/lease-reaper.ts';
import { startMaintenance } from '../core/maintenance.ts';
import { startDeliveryWorker } from '../delivery/worker.ts';
import { buildApp } from '../http/app.ts';
import { createLogger } from '../log.ts';
import { migrate } from '../store/migrate.ts';
import { describeStore, openStore } from '../store/open.ts';
import { anyUserExists } from '../store/sql/users.ts';

export async function serve(config: Config): Promise<void> {
  console.error(`runplane: config ${JSON.stringify(describeConfig(config))}`);
  const bootstrapPassword = readBootstrapPassword(config);
  console.error(`runplane: opening the ${describeStore(config)}…`);
  const db = await openStore(config);
  const log = createLogger(config);
  const core = createCore(db, config, log);
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let stopReaper: (() => Promise<void>) | undefined;
  let stopDelivery: (() => Promise<void>) | undefined;
  let stopMaintenance: (() => Promise<void>) | undefined;
  let closing = false;
  // Stop accepting, answer parked long polls and end event streams (preClose), let in-flight requests finish, stop
  // the loops, flush, close the store. Whatever clients do, the process is gone within the grace.
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    setTimeout(() => {
      console.error(
        `runplane: still closing ${config.shutdownGraceMs / 1000} s after ${signal}; exiting now (RUNPLANE_SHUTDOWN_GRACE_SECONDS)`,
      );
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    try {
      await app?.close();
      await stopReaper?.();
      await stopDelivery?.();
      await stopMaintenance?.();
      await core.leadership?.close();
      await core.audit.flush();
      await db.close();
    } catch (error) {
      console.error(`runplane: error while shutting down: ${(error as Error).message}`);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void close('SIGINT'));
  process.on('SIGTERM', () => void close('SIGTERM'));
  try {
    await migrate(db, (m) => console.error(`runplane: applying migration ${m.version} ${m.name}`));
    const setupToken = await firstRun(core.db, config, bootstrapPassword);
    app = await buildApp(core, { logger: log });
    // One instance runs the background loops; the others stand by (see background-loop.ts).
    core.leadership = await db.lead('background');
    stopReaper = startLeaseReaper(core, log);
    stopDelivery = startDeliveryWorker(core, log);
    stopMaintenance = startMaintenance(core, log);
    const address = await app.listen({ port: config.port, host: config.host });
    console.error(banner(address, config, setupToken));
  } catch (error) {
    await stopReaper?.();
    await stopDelivery?.();
    await stopMaintenance?.();
    await core.leadership?.close();
    await app?.close();
    await db.close();
    throw error;
  }
}

/** The bootstrap admin's password, or why it cannot be read (which matters only while no user exists). */
function readBootstrapPassword(config: Config): { password: string } | { error: Error } | null {
  const file = config.bootstrapAdmin?.passwordFile;
  if (!file) return null;
  try {
    return { password: fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '') };
  } catch (error) {
    return {
      error: new Error(
        `RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code}); ` +
          "point it at a file holding the first admin's password",
      ),
    };
  }
}

/** Which variable a bootstrap field comes from, for its error messages. */
const BOOTSTRAP_VARIABLES: Record<string, string> = {
  email: 'RUNPLANE_BOOTSTRAP_ADMIN_EMAIL',
  password: 'RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE',
  RUNPLANE_BOOTSTRAP_ORG: 'RUNPLANE_BOOTSTRAP_ORG',
};

/**
 * The unattended bootstrap admin, or else (on a store without users) a setup token for the printed link. Once a
 * user exists the bootstrap settings are not needed: a password file removed after the first start is fine.
 */
async function firstRun(
  db: Parameters<typeof issueSetupToken>[0],
  config: Config,
  secret: ReturnType<typeof readBootstrapPassword>,
): Promise<string | null> {
  const admin = config.bootstrapAdmin;
  if (!admin || !secret) return issueSetupToken(db);
  if (await anyUserExists(db)) return null;
  if ('error' in secret) throw secret.error;
  try {
    if (await bootstrapAdmin(db, { org: admin.org, email: admin.email, password: secret.password })) {
      console.error(
        `runplane: created the first admin ${admin.email} of org ${admin.org} (RUNPLANE_BOOTSTRAP_ADMIN_EMAIL)`,
      );
    }
  } catch (error) {
    const variable = error instanceof DomainError && error.field ? BOOTSTRAP_VARIABLES[error.field] : undefined;
    if (variable) throw new Error(`${variable}: ${(error as Error).message}`);
    throw error;
  }
  return null;
}

/** What a person sees at start: where the API and console are, and what to do next. */
function banner(address: string, config: Config, setupToken: string | null): string {
  // A wildcard bind is reachable as localhost from the machine itself; say that rather than 0.0.0.0.
  const base = /^(0\.0\.0\.0|::|\[::\])$/.test(config.host) ? `http://localhost:${new URL(address).port}` : address;
  const lines = [
    `runplane: listening on ${address} (OpenAPI at ${address}/openapi.json)`,
    `runplane: console at ${base}/console`,
  ];
  if (setupToken) {
    lines.push(
      'runplane: first run — open this link once to create the first org and its admin (it works until used):',
      `runplane:   ${base}/console/setup?token=${setupToken}`,
    );
  } else {
    lines.push(
      'runplane: next: log in to the console; admins create API keys under Keys, or with ' +
        `\`runplane keys create --server ${base} …\` and an admin key in RUNPLANE_API_KEY`,
    );
  }
  return lines.join('\n');
}
