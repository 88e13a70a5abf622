// `runplane serve`: open the store, migrate, start the lease reaper and listen. Stops cleanly on SIGINT/SIGTERM.
import { type Config, describeConfig } from '../config.ts';
import { createCore } from '../core/context.ts';
import { startLeaseReaper } from '../core/lease-reaper.ts';
import { startMaintenance } from '../core/maintenance.ts';
import { startDeliveryWorker } from '../delivery/worker.ts';
import { buildApp } from '../http/app.ts';
import { migrate } from '../store/migrate.ts';
import { describeStore, openStore } from '../store/open.ts';

export async function serve(config: Config): Promise<void> {
  console.log(`runplane: config ${JSON.stringify(describeConfig(config))}`);
  console.log(`runplane: opening the ${describeStore(config)}…`);
  const db = await openStore(config);
  const core = createCore(db, config);
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
    app?.log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
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
    await migrate(db, (m) => console.log(`runplane: applying migration ${m.version} ${m.name}`));
    app = await buildApp(core);
    // One instance runs the background loops; the others stand by (see background-loop.ts).
    core.leadership = await db.lead('background');
    stopReaper = startLeaseReaper(core, app.log);
    stopDelivery = startDeliveryWorker(core, app.log);
    stopMaintenance = startMaintenance(core, app.log);
    const address = await app.listen({ port: config.port, host: config.host });
    console.log(`runplane: listening on ${address} (OpenAPI at ${address}/openapi.json)`);
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
