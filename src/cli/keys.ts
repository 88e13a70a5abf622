// `runplane keys …`: create, list and revoke API keys directly in the store (no server needed), or through a
// running server's /v1/admin API with `--server URL`. stdout carries what a script reads (the new key, the list);
// messages for people go to stderr.

import os from 'node:os';
import type { Config } from '../config.ts';
import { createApiKey, type KeyChangeAuthor, parseScopes, revokeApiKey as revokeKeyInStore } from '../core/auth.ts';
import { Signals } from '../core/notifications.ts';
import { findOrgBySlug, listKeys } from '../store/sql/keys.ts';
import { adminApi, listAll, noOrgWithServer } from './admin-api.ts';
import { withStore } from './local-store.ts';

/** The audit actor of a key change made here: the operating-system user who ran the command. */
const cliAuthor = (action: string): KeyChangeAuthor => ({ actor: `cli:${os.userInfo().username}`, action });

/** What `runplane runner` needs: claim and write its tasks. */
const RUNNER_SCOPES = 'runners:read,runners:write';

/** A key as the admin API answers it. */
interface KeyAnswer {
  id: string;
  name: string;
  kind: string;
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  key?: string;
}

export interface KeyOptions {
  org?: string;
  scopes?: string;
  runner?: boolean;
  name?: string;
  expiresAt?: string;
  server?: string;
}

/** `--expires-at`: an instant, or a date meaning the end of that day (UTC). */
function expiryOf(value: string | undefined): Date | null {
  if (value === undefined) return null;
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59Z` : value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new Error(`--expires-at ${value} is not a date; give an ISO date or instant, e.g. 2027-01-31`);
  }
  return at;
}

export async function createKey(config: Config, options: KeyOptions): Promise<void> {
  if (!options.scopes && !options.runner) {
    throw new Error('give --scopes (e.g. runners:read,runners:write,runners:dispatch), or --runner for a runner key');
  }
  const scopes = parseScopes((options.scopes ?? RUNNER_SCOPES).split(','));
  const kind = options.runner ? 'runner' : 'standard';
  const expiresAt = expiryOf(options.expiresAt);
  noOrgWithServer(options);
  let id: string;
  let key: string;
  let where: string;
  if (options.server) {
    const api = adminApi(options.server);
    const created = await api.call<KeyAnswer>('POST', '/v1/admin/keys', {
      scopes,
      kind: kind === 'runner' ? 'runner' : 'operator',
      ...(options.name ? { name: options.name } : {}),
      ...(expiresAt ? { expires_at: expiresAt.toISOString() } : {}),
    });
    [id, key, where] = [created.id, created.key!, `on ${api.server}`];
  } else {
    if (!options.org) throw new Error('give --org ORG (the org slug), or --server URL to ask a running server');
    const org = options.org;
    const made = await withStore(config, (db) =>
      createApiKey(db, { orgSlug: org, scopes, name: options.name, kind, expiresAt }, cliAuthor('keys create')),
    );
    [id, key, where] = [made.record.id, made.key, `for org ${made.record.orgSlug}`];
  }
  const expiry = expiresAt ? `, expiring ${expiresAt.toISOString()}` : '';
  console.error(
    `created ${kind === 'runner' ? 'runner ' : ''}key ${id} ${where} with scopes ${scopes.join(',')}${expiry}`,
  );
  console.error('the key is shown once; store it now:');
  console.log(key);
}

const keyStatus = (revokedAt: string | null, expiresAt: string | null) =>
  revokedAt
    ? `revoked ${revokedAt}`
    : expiresAt && Date.parse(expiresAt) <= Date.now()
      ? `expired ${expiresAt}`
      : expiresAt
        ? `active until ${expiresAt}`
        : 'active';

export async function listApiKeys(config: Config, options: { org?: string; server?: string }): Promise<void> {
  noOrgWithServer(options);
  const rows: {
    id: string;
    org: string;
    name: string;
    kind: string;
    scopes: string[];
    created: string;
    status: string;
  }[] = [];
  if (options.server) {
    const api = adminApi(options.server);
    for (const key of await listAll<KeyAnswer>(api, '/v1/admin/keys')) {
      rows.push({ ...key, org: '-', created: key.created_at, status: keyStatus(key.revoked_at, key.expires_at) });
    }
  } else {
    const keys = await withStore(config, async (db) => {
      const org = options.org ? await findOrgBySlug(db, options.org) : null;
      if (options.org && !org) throw new Error(`no org "${options.org}"; list all keys without --org`);
      return listKeys(db, org?.id ?? null);
    });
    for (const key of keys) {
      rows.push({
        ...key,
        kind: key.kind === 'runner' ? 'runner' : 'operator',
        org: key.orgSlug,
        created: key.createdAt.toISOString(),
        status: keyStatus(key.revokedAt?.toISOString() ?? null, key.expiresAt?.toISOString() ?? null),
      });
    }
  }
  if (rows.length === 0) {
    console.error(
      options.server
        ? `no keys yet; create one with \`runplane keys create --server ${options.server} --runner\``
        : 'no keys yet; create one with `runplane keys create --org ORG --scopes runners:read,runners:write`',
    );
    return;
  }
  console.log(['ID', 'ORG', 'NAME', 'KIND', 'SCOPES', 'CREATED', 'STATUS'].join('\t'));
  for (const key of rows) {
    console.log([key.id, key.org, key.name, key.kind, key.scopes.join(','), key.created, key.status].join('\t'));
  }
}

export async function revokeApiKey(config: Config, id: string, options: { server?: string } = {}): Promise<void> {
  if (options.server) {
    const api = adminApi(options.server);
    const key = await api.call<KeyAnswer>('DELETE', `/v1/admin/keys/${encodeURIComponent(id)}`).catch((error) => {
      throw /does not exist/.test((error as Error).message)
        ? new Error(`no key with id ${id} in this org; see \`runplane keys list --server ${api.server}\``)
        : error;
    });
    console.error(`revoked key ${key.id} (${key.name}); requests with it now get 401`);
    return;
  }
  const key = await withStore(config, async (db) => {
    const revoked = await revokeKeyInStore(db, id, cliAuthor('keys revoke'));
    // Running instances cache keys for a few seconds: tell them to forget at once.
    const signals = new Signals(db);
    signals.publish({ kind: 'credentials' });
    await signals.close();
    return revoked;
  });
  if (!key) throw new Error(`no key with id ${id}; see \`runplane keys list\``);
  console.error(`revoked key ${key.id} (${key.orgSlug}/${key.name}); requests with it now get 401`);
}
