#!/usr/bin/env node
// The `runplane` command. Errors end the process with a one-line message that says what to do next. Messages for
// people go to stderr; stdout carries only what a script reads (a new key, a list, the version).
import fs from 'node:fs';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import { DataDirBusyError } from '../store/data-dir-lock.ts';
import type { KeyOptions } from './keys.ts';
import { runnerCommand } from './runner.ts';

// Each command loads what it needs when it runs: `keys list --server` need not load the server or the store.
const keysCli = () => import('./keys.ts');
const usersCli = () => import('./users.ts');

const SERVER_HELP =
  'act through this running server’s admin API (e.g. http://127.0.0.1:8080) with the admin key in RUNPLANE_API_KEY';

const { version } = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('runplane')
  .description('Self-hostable control plane for remote runners')
  .version(version, '-V, --version', 'print the version and exit')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the server (embedded store unless DATABASE_URL is set)')
  .action(async () => (await import('./serve.ts')).serve(loadConfig()));

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const { openStore } = await import('../store/open.ts');
    const { migrate } = await import('../store/migrate.ts');
    const db = await openStore(loadConfig());
    try {
      const applied = await migrate(db, (m) => console.error(`applying ${m.version} ${m.name}…`));
      console.error(applied.length ? `applied ${applied.length} migration(s)` : 'schema is up to date');
    } finally {
      await db.close();
    }
  });

program.addCommand(runnerCommand());

program
  .command('openapi')
  .description('print the OpenAPI document this version serves at /openapi.json (to generate a client)')
  .action(async () => {
    const { openApiDocument } = await import('../http/document.ts');
    process.stdout.write(`${JSON.stringify(await openApiDocument(), null, 2)}\n`);
  });

const keys = program
  .command('keys')
  .description('manage API keys, in the store (server stopped, or PostgreSQL) or through a server with --server');
keys
  .command('create')
  .description('create an API key (and the org when new); prints the key alone on stdout')
  .option('--org <org>', 'org slug, e.g. acme (not with --server: the admin key’s org)')
  .option(
    '--scopes <scopes>',
    'comma-separated: runners:read,runners:write,runners:dispatch,admin (runner keys: runners:read,runners:write)',
  )
  .option('--runner', 'a runner key, for `runplane runner`: every task write it makes must name its attempt')
  .option('--name <name>', 'label shown in `keys list`')
  .option(
    '--expires-at <date>',
    'when the key stops working: an ISO instant, or a date (the end of that day, UTC); never by default',
  )
  .option('--server <url>', SERVER_HELP)
  .action(async (options: KeyOptions) => (await keysCli()).createKey(loadConfig(), options));
keys
  .command('list')
  .description('list API keys (never the secrets)')
  .option('--org <org>', 'only this org')
  .option('--server <url>', SERVER_HELP)
  .action(async (options: { org?: string; server?: string }) => (await keysCli()).listApiKeys(loadConfig(), options));
keys
  .command('revoke')
  .description('revoke an API key at once')
  .argument('<id>', 'key id from `keys list`')
  .option('--server <url>', SERVER_HELP)
  .action(async (id: string, options: { server?: string }) =>
    (await keysCli()).revokeApiKey(loadConfig(), id, options),
  );

const users = program
  .command('users')
  .description('manage console users, in the store (server stopped, or PostgreSQL) or through a server with --server');
users
  .command('create')
  .description('create a console user (offline: or update its role and password)')
  .option('--org <org>', 'org slug (not with --server: the admin key’s org)')
  .requiredOption('--email <email>', 'login email')
  .requiredOption('--role <role>', 'viewer | approver | operator | admin')
  .option('--password-stdin', 'read the password from stdin instead of a prompt')
  .option('--server <url>', SERVER_HELP)
  .action(async (options: { org?: string; email: string; role: string; passwordStdin?: boolean; server?: string }) =>
    (await usersCli()).createConsoleUser(loadConfig(), options),
  );
users
  .command('list')
  .description('list console users (never their passwords)')
  .option('--org <org>', 'only this org')
  .option('--server <url>', SERVER_HELP)
  .action(async (options: { org?: string; server?: string }) =>
    (await usersCli()).listConsoleUsers(loadConfig(), options),
  );
users
  .command('disable')
  .description('disable a console user: it cannot log in and its open sessions end')
  .argument('<email>', 'the user’s login email')
  .option('--org <org>', 'the org, when the email belongs to several')
  .option('--enable', 'enable the user again instead')
  .option('--server <url>', SERVER_HELP)
  .action(async (email: string, options: { org?: string; server?: string; enable?: boolean }) =>
    (await usersCli()).setConsoleUserDisabled(loadConfig(), email, options),
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`runplane: bad configuration: ${error.message}`);
  } else if (error instanceof DataDirBusyError || error instanceof DomainError) {
    console.error(`runplane: ${error.message}`);
  } else {
    console.error(`runplane: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
}
