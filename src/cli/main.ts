// The `runplane` command. Errors end the process with a one-line message that says what to do next.
import fs from 'node:fs';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { DomainError } from '../core/errors.ts';
import { DataDirBusyError } from '../store/data-dir-lock.ts';
import { migrate } from '../store/migrate.ts';
import { openStore } from '../store/open.ts';
import { createKey, listApiKeys, revokeApiKey } from './keys.ts';
import { runnerCommand } from './runner.ts';
import { serve } from './serve.ts';
import { createConsoleUser } from './users.ts';

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
  .action(async () => serve(loadConfig()));

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const db = await openStore(loadConfig());
    try {
      const applied = await migrate(db, (m) => console.log(`applying ${m.version} ${m.name}…`));
      console.log(applied.length ? `applied ${applied.length} migration(s)` : 'schema is up to date');
    } finally {
      await db.close();
    }
  });

program.addCommand(runnerCommand());

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key (and the org when new); prints the key alone on the last line')
  .requiredOption('--org <org>', 'org slug, e.g. acme')
  .option(
    '--scopes <scopes>',
    'comma-separated: runners:read,runners:write,runners:dispatch,admin (runner keys: runners:read,runners:write)',
  )
  .option('--runner', 'a runner key, for `runplane runner`: every task write it makes must name its attempt')
  .option('--name <name>', 'label shown in `keys list`')
  .action(async (options: { org: string; scopes?: string; runner?: boolean; name?: string }) =>
    createKey(loadConfig(), options),
  );
keys
  .command('list')
  .description('list API keys (never the secrets)')
  .option('--org <org>', 'only this org')
  .action(async (options: { org?: string }) => listApiKeys(loadConfig(), options));
keys
  .command('revoke')
  .description('revoke an API key at once')
  .argument('<id>', 'key id from `keys list`')
  .action(async (id: string) => revokeApiKey(loadConfig(), id));

const users = program.command('users').description('manage console users');
users
  .command('create')
  .description('create a console user (or update its role and password)')
  .requiredOption('--org <org>', 'org slug')
  .requiredOption('--email <email>', 'login email')
  .requiredOption('--role <role>', 'viewer | operator | admin')
  .option('--password-stdin', 'read the password from stdin instead of a prompt')
  .action(async (options: { org: string; email: string; role: string; passwordStdin?: boolean }) =>
    createConsoleUser(loadConfig(), options),
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
