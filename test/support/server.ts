// Starts the real HTTP app on a real socket for a test, and gives typed helpers to call it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Config, loadConfig } from '../../src/config.ts';
import { createApiKey } from '../../src/core/auth.ts';
import { type Core, createCore } from '../../src/core/context.ts';
import { startLeaseReaper } from '../../src/core/lease-reaper.ts';
import type { KeyKind, Scope } from '../../src/core/types.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Db } from '../../src/store/db.ts';
import { borrowTestStore, resetStore, returnTestStore, type StoreKind } from './stores.ts';

export interface TestServer {
  url: string;
  core: Core;
  close(): Promise<void>;
}

const artifactRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-test-data-'));
process.once('exit', () => fs.rmSync(artifactRoot, { recursive: true, force: true }));

export function testConfig(overrides: Partial<Config> = {}): Config {
  // No key cache: tests revoke keys and expect the next request to see it.
  return {
    ...loadConfig({}),
    dataDir: fs.mkdtempSync(path.join(artifactRoot, 'server-')),
    rateLimitPerMinute: 0,
    authCacheMs: 0,
    logLevel: 'silent',
    ...overrides,
  };
}

export async function startServer(
  db: Db,
  /** `log`: the server's logger (e.g. one writing to an array); without it the server logs nothing. */
  options: { config?: Partial<Config>; reaper?: boolean; log?: Logger } = {},
): Promise<TestServer> {
  const core = createCore(db, testConfig(options.config), options.log);
  const app = await buildApp(core, { logger: options.log ?? false });
  const stopReaper = options.reaper ? startLeaseReaper(core, options.log ?? { warn() {}, error() {} }) : null;
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    core,
    async close() {
      await app.close();
      await stopReaper?.();
      await core.audit.flush();
    },
  };
}

export async function newKey(db: Db, org: string, scopes: Scope[], kind: KeyKind = 'standard'): Promise<string> {
  return (await createApiKey(db, { orgSlug: org, scopes, kind })).key;
}

/** What `useTestServer` hands a test file: filled in by its beforeAll, emptied before each test. */
export interface TestServerFixture {
  db: Db;
  server: TestServer;
  /** A client with a new key of `org` (a runner key when `kind` says so). */
  client(scopes: Scope[], options?: { org?: string; kind?: KeyKind }): Promise<Client>;
}

/**
 * The shared setup of an integration test file: one store of `kind` and one server on it for the file, every table
 * emptied before each test. A `config` function is called in the fixture's beforeAll, so it can name what a
 * beforeAll registered earlier started (fake services the server must call).
 */
export function useTestServer(
  kind: StoreKind,
  options: {
    /** PostgreSQL pool size (production uses 8; tests default to more). */
    poolSize?: number;
    config?: Partial<Config> | (() => Partial<Config>);
    reaper?: boolean;
    log?: Logger;
    /** Empty every table before each test (default); false keeps what a beforeAll set up (a runner process's key). */
    resetEachTest?: boolean;
  } = {},
): TestServerFixture {
  const fixture = {
    client: async (scopes: Scope[], keyOptions: { org?: string; kind?: KeyKind } = {}) =>
      client(fixture.server.url, await newKey(fixture.db, keyOptions.org ?? 'acme', scopes, keyOptions.kind)),
  } as TestServerFixture;
  beforeAll(async () => {
    fixture.db = await borrowTestStore(kind, options.poolSize);
    const config = typeof options.config === 'function' ? options.config() : options.config;
    fixture.server = await startServer(fixture.db, { config, reaper: options.reaper, log: options.log });
  });
  afterAll(async () => {
    await fixture.server?.close();
    if (fixture.db) await returnTestStore(fixture.db);
  });
  beforeEach(async () => {
    if (options.resetEachTest !== false) await resetStore(fixture.db);
  });
  return fixture;
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A minimal client: JSON in, JSON out, the key sent as a bearer token unless `headers` say otherwise. */
export function client(baseUrl: string, key: string | null) {
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
  };
  return {
    /** The Authorization header this client sends, for requests a test makes with fetch itself (streams). */
    authorization: key ? `Bearer ${key}` : '',
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>('GET', path, undefined, headers),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('POST', path, body, headers),
    patch: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('PATCH', path, body, headers),
    delete: <T = any>(path: string, headers?: Record<string, string>) => call<T>('DELETE', path, undefined, headers),
    call,
  };
}
export type Client = ReturnType<typeof client>;
