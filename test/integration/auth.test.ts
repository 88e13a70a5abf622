// Authentication and authorisation over real HTTP: API keys, HS256 JWTs and JWKS-verified RS256 JWTs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { createReview, register } from '../support/review-fixtures.ts';
import { client, newKey, useTestServer } from '../support/server.ts';
import { openTestStore, STORE_KINDS } from '../support/stores.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const ISSUER = 'https://idp.example.com/';
const AUDIENCE = 'runplane';

function hsToken(claims: Record<string, unknown>, options: { secret?: string; exp?: string | number } = {}) {
  return new jose.SignJWT({ org_id: 'acme', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-1')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

describe.each(STORE_KINDS)('auth on the %s store', (kind) => {
  const t = useTestServer(kind, { config: { jwtSecret: SECRET, jwtIssuer: ISSUER, jwtAudience: AUDIENCE } });

  describe('API keys', () => {
    it('are accepted as a bearer token and as x-api-key', async () => {
      const key = await newKey(t.db, 'acme', ['runners:read']);
      expect((await client(t.server.url, key).get('/api/runners')).status).toBe(200);
      expect((await client(t.server.url, null).get('/api/runners', { 'x-api-key': key })).status).toBe(200);
    });

    it('missing or unknown credentials answer 401 with a JSON error', async () => {
      const none = await client(t.server.url, null).get('/api/runners');
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthorized');
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const unknown = await client(t.server.url, 'rp_notakeyatall').get('/api/runners');
      expect(unknown.status).toBe(401);
      const garbage = await client(t.server.url, null).get('/api/runners', { authorization: 'Basic Zm9vOmJhcg==' });
      expect(garbage.status).toBe(401);
    });

    it('a revoked key answers 401', async () => {
      const { createApiKey } = await import('../../src/core/auth.ts');
      const { revokeKey } = await import('../../src/store/sql/keys.ts');
      const { key, record } = await createApiKey(t.db, { orgSlug: 'acme', scopes: ['runners:read'] });
      expect((await client(t.server.url, key).get('/api/runners')).status).toBe(200);
      await revokeKey(t.db, record.id);
      expect((await client(t.server.url, key).get('/api/runners')).status).toBe(401);
    });

    it('are stored only as hashes', async () => {
      const key = await newKey(t.db, 'acme', ['runners:read']);
      const rows = await t.db.query<{ key_hash: string }>('select key_hash from api_keys');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.key_hash).not.toContain(key.slice(3, 20));
      expect(rows[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it.each([
      ['GET', '/api/runners', 'runners:read'],
      ['GET', '/api/runners/r1', 'runners:read'],
      ['POST', '/api/runners/register', 'runners:write'],
      ['POST', '/api/runners/r1/heartbeat', 'runners:write'],
      ['GET', '/api/runners/tasks/pending?runnerId=r1', 'runners:write'],
      ['POST', '/api/runners/tasks/x/status', 'runners:write'],
      ['POST', '/api/runners/tasks/x/logs', 'runners:write'],
      ['POST', '/api/runners/tasks/x/result', 'runners:write'],
      ['DELETE', '/api/runners/r1', 'runners:write'],
      ['POST', '/api/reviews', 'runners:dispatch'],
      ['GET', '/api/reviews', 'runners:read'],
    ])('%s %s without %s answers 403', async (method, path, scope) => {
      const others = (['runners:read', 'runners:write', 'runners:dispatch'] as const).filter((s) => s !== scope);
      const api = await t.client([...others]);
      const reply = await api.call(method, path, method === 'POST' ? {} : undefined, { 'x-runner-id': 'r1' });
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('forbidden');
      expect(reply.body.error.message).toContain(scope);
    });

    it('admin implies every scope', async () => {
      const admin = await t.client(['admin']);
      await register(admin, 'r1');
      await createReview(admin);
      expect((await admin.get('/api/reviews')).body.data).toHaveLength(1);
    });
  });

  describe('JWT bearer tokens (HS256)', () => {
    it('a valid token authenticates for its org with its scopes', async () => {
      const keyApi = await t.client(['runners:write']);
      await register(keyApi, 'r1');
      const token = await hsToken({ scope: 'runners:read' });
      const reply = await client(t.server.url, token).get('/api/runners');
      expect(reply.status).toBe(200);
      expect(reply.body.data.map((r: { id: string }) => r.id)).toEqual(['r1']);
      expect(
        (await client(t.server.url, token).post('/api/runners/register', undefined, { 'x-runner-id': 'x' })).status,
      ).toBe(403);
    });

    it('reads scopes from scp and permissions arrays', async () => {
      expect((await client(t.server.url, await hsToken({ scp: ['runners:read'] })).get('/api/runners')).status).toBe(
        200,
      );
      const permissions = await hsToken({ permissions: ['runners:read'] });
      expect((await client(t.server.url, permissions).get('/api/runners')).status).toBe(200);
      expect((await client(t.server.url, await hsToken({})).get('/api/runners')).status).toBe(403);
    });

    it('an org from the token sees only its own data', async () => {
      const acme = await t.client(['runners:write']);
      await register(acme, 'r1');
      const globex = await hsToken({ org_id: 'globex', scope: 'runners:read' });
      expect((await client(t.server.url, globex).get('/api/runners')).body.data).toEqual([]);
      expect((await client(t.server.url, globex).get('/api/runners/r1')).status).toBe(404);
    });

    it.each([
      ['expired', () => hsToken({ scope: 'runners:read' }, { exp: Math.floor(Date.now() / 1000) - 60 })],
      ['signed with the wrong secret', () => hsToken({ scope: 'runners:read' }, { secret: `${SECRET}-other` })],
      [
        'with the wrong audience',
        () =>
          new jose.SignJWT({ org_id: 'acme', scope: 'runners:read' })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('u')
            .setIssuer(ISSUER)
            .setAudience('someone-else')
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(SECRET)),
      ],
      [
        'with the wrong issuer',
        () =>
          new jose.SignJWT({ org_id: 'acme', scope: 'runners:read' })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('u')
            .setIssuer('https://evil.example.com/')
            .setAudience(AUDIENCE)
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(SECRET)),
      ],
      [
        'with alg none',
        async () =>
          new jose.UnsecuredJWT({ org_id: 'acme', scope: 'runners:read', sub: 'u' })
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .setExpirationTime('5m')
            .encode(),
      ],
      [
        'without an expiry',
        () =>
          new jose.SignJWT({ org_id: 'acme', scope: 'runners:read' })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('u')
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .sign(new TextEncoder().encode(SECRET)),
      ],
      ['without org_id', () => hsToken({ org_id: undefined, scope: 'runners:read' })],
    ])('a token %s answers 401', async (_case, makeToken) => {
      const reply = await client(t.server.url, await makeToken()).get('/api/runners');
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('unauthorized');
    });
  });
});

describe('JWT bearer tokens verified through a JWKS URL (RS256)', () => {
  let jwks: http.Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;

  // Registered before the fixture, so the JWKS endpoint listens before the server's config names it.
  beforeAll(async () => {
    const pair = await jose.generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = http.createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => {
    jwks?.close();
  });
  const t = useTestServer(STORE_KINDS.at(-1)!, { config: () => ({ jwksUrl, jwtAudience: AUDIENCE }) });

  it('accepts a token signed by a key in the JWKS and refuses an HS256 token', async () => {
    const token = await new jose.SignJWT({ org_id: 'acme', scope: 'runners:read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('svc')
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await client(t.server.url, token).get('/api/runners')).status).toBe(200);
    const hs = await hsToken({ scope: 'runners:read' });
    expect((await client(t.server.url, hs).get('/api/runners')).status).toBe(401);
  });
});

describe('the verified-key cache', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestStore('embedded');
  });
  afterAll(() => db?.close());

  async function revokedAfterFirstUse(authCacheMs: number) {
    const { Authenticator, createApiKey } = await import('../../src/core/auth.ts');
    const { revokeKey } = await import('../../src/store/sql/keys.ts');
    const { testConfig } = await import('../support/server.ts');
    const authenticator = new Authenticator(db, testConfig({ authCacheMs }));
    const { key, record } = await createApiKey(db, { orgSlug: 'cache', scopes: ['runners:read'] });
    await authenticator.authenticate(key);
    await revokeKey(db, record.id);
    return authenticator.authenticate(key).then(
      () => 'accepted',
      () => 'refused',
    );
  }

  it('trusts a verified key for the configured time, saving the lookup', async () => {
    expect(await revokedAfterFirstUse(60_000)).toBe('accepted');
  });

  it('with RUNPLANE_AUTH_CACHE_SECONDS=0 every request sees a revocation at once', async () => {
    expect(await revokedAfterFirstUse(0)).toBe('refused');
  });
});
