// `runplane keys …`: create, list and revoke API keys directly in the store (no server needed).

import os from 'node:os';
import type { Config } from '../config.ts';
import { createApiKey, type KeyChangeAuthor, parseScopes, revokeApiKey as revokeKeyInStore } from '../core/auth.ts';
import { Signals } from '../core/notifications.ts';
import type { Db } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';
import { openStore } from '../store/open.ts';
import { findOrgBySlug, listKeys } from '../store/sql/keys.ts';

/** The audit actor of a key change made here: the operating-system user who ran the command. */
const cliAuthor = (action: string): KeyChangeAuthor => ({ actor: `cli:${os.userInfo().username}`, action });

/** What `runplane runner` needs: claim and write its tasks. */
const RUNNER_SCOPES = 'runners:read,runners:write';

async function withStore<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(config);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function createKey(
  config: Config,
  options: { org: string; scopes?: string; runner?: boolean; name?: string },
): Promise<void> {
  if (!options.scopes && !options.runner) {
    throw new Error('give --scopes (e.g. runners:read,runners:write,runners:dispatch), or --runner for a runner key');
  }
  const scopes = parseScopes((options.scopes ?? RUNNER_SCOPES).split(','));
  const kind = options.runner ? 'runner' : 'standard';
  const { key, record } = await withStore(config, (db) =>
    createApiKey(db, { orgSlug: options.org, scopes, name: options.name, kind }, cliAuthor('keys create')),
  );
  console.log(
    `created ${kind === 'runner' ? 'runner ' : ''}key ${record.id} for org ${record.orgSlug} with scopes ${record.scopes.join(',')}`,
  );
  console.log('the key is shown once; store it now:');
  console.log(key);
}

export async function listApiKeys(config: Config, options: { org?: string }): Promise<void> {
  const rows = await withStore(config, async (db) => {
    const org = options.org ? await findOrgBySlug(db, options.org) : null;
    if (options.org && !org) throw new Error(`no org "${options.org}"; list all keys without --org`);
    return listKeys(db, org?.id ?? null);
  });
  if (rows.length === 0) {
    console.log('no keys yet; create one with `runplane keys create --org ORG --scopes runners:read,runners:write`');
    return;
  }
  console.log(['ID', 'ORG', 'NAME', 'KIND', 'SCOPES', 'CREATED', 'STATUS'].join('\t'));
  for (const key of rows) {
    const status = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
    console.log(
      [key.id, key.orgSlug, key.name, key.kind, key.scopes.join(','), key.createdAt.toISOString(), status].join('\t'),
    );
  }
}

export async function revokeApiKey(config: Config, id: string): Promise<void> {
  const key = await withStore(config, async (db) => {
    const revoked = await revokeKeyInStore(db, id, cliAuthor('keys revoke'));
    // Running instances cache keys for a few seconds: tell them to forget at once.
    const signals = new Signals(db);
    signals.publish({ kind: 'credentials' });
    await signals.close();
    return revoked;
  });
  if (!key) throw new Error(`no key with id ${id}; see \`runplane keys list\``);
  console.log(`revoked key ${key.id} (${key.orgSlug}/${key.name}); requests with it now get 401`);
}
