// Credentials → a Principal. API keys (`rp_…`) are looked up by their SHA-256 hash and compared again in constant
// time; JWTs are verified with jose (signature, issuer, audience, expiry). Scopes are checked by the HTTP layer.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as jose from 'jose';
import type { Config } from '../config.ts';
import type { Db, Queryable } from '../store/db.ts';
import { insertAuditRecords } from '../store/sql/audit.ts';
import { findGrantByTokenHash } from '../store/sql/grants.ts';
import { ensureOrg, findKeyByHash, findOrgBySlug, insertKey, revokeKey } from '../store/sql/keys.ts';
import { recordAudit } from './audit.ts';
import { invalid, unauthenticated } from './errors.ts';
import { newId } from './ids.ts';
import { type ApiKey, type KeyKind, type Principal, SCOPES, type Scope } from './types.ts';

const KEY_PREFIX = 'rp_';
/** Permission-grant tokens (minted in grants.ts) start with this. */
export const GRANT_PREFIX = 'rpg_';
export const ORG_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function checkOrgSlug(slug: string, field = 'org'): string {
  if (!ORG_SLUG.test(slug)) {
    throw invalid(field, 'an org slug is 1-63 lowercase letters, digits or dashes, starting with a letter or digit');
  }
  return slug;
}
/** Clock difference tolerated between the token issuer and this server. */
const JWT_CLOCK_SKEW_SECONDS = 60;

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Whether a presented secret equals the expected one, in time that does not depend on where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function parseScopes(values: readonly string[], field = 'scopes'): Scope[] {
  const scopes = new Set<Scope>();
  for (const value of values.map((v) => v.trim()).filter(Boolean)) {
    if (!(SCOPES as readonly string[]).includes(value)) {
      throw invalid(field, `unknown scope "${value}"; use one of ${SCOPES.join(', ')}`);
    }
    scopes.add(value as Scope);
  }
  if (scopes.size === 0) throw invalid(field, `give at least one of ${SCOPES.join(', ')}`);
  return [...scopes];
}

/** Who made a key change outside a request (the CLI), recorded in the audit log with the change. */
export interface KeyChangeAuthor {
  actor: string;
  action: string;
}

/** Creates a key (and its org when new). The plain key is returned once and never stored. */
export async function createApiKey(
  db: Db,
  request: { orgSlug: string; scopes: Scope[]; name?: string; kind?: KeyKind; expiresAt?: Date | null },
  author: KeyChangeAuthor | null = null,
): Promise<{ key: string; record: ApiKey }> {
  checkOrgSlug(request.orgSlug);
  if (request.expiresAt && request.expiresAt.getTime() <= Date.now()) {
    throw invalid(
      'expires_at',
      'expires_at is in the past; give a future instant (or none for a key that never expires)',
    );
  }
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const record = await db.tx(async (tx) => {
    const org = await ensureOrg(tx, request.orgSlug, newId('org'));
    const inserted = await insertKey(tx, {
      id: newId('key'),
      orgId: org.id,
      name: request.name ?? 'default',
      keyHash: hashApiKey(key),
      scopes: request.scopes,
      kind: request.kind ?? 'standard',
      expiresAt: request.expiresAt ?? null,
    });
    if (author) await auditKeyChange(tx, inserted, author);
    else await recordAudit(tx, inserted.id);
    return inserted;
  });
  return { key, record };
}

/**
 * Revokes a key (idempotent); null when there is no such key (in `orgId`, when given). Without an `author` (the CLI)
 * the request's audit scope, if any, records it. Servers forget cached keys when told (Signals `credentials`).
 */
export async function revokeApiKey(
  db: Db,
  id: string,
  author: KeyChangeAuthor | null = null,
  orgId: string | null = null,
): Promise<ApiKey | null> {
  return db.tx(async (tx) => {
    const key = await revokeKey(tx, id, orgId);
    if (key && author) await auditKeyChange(tx, key, author);
    else if (key) await recordAudit(tx, key.id);
    return key;
  });
}

function auditKeyChange(tx: Queryable, key: ApiKey, author: KeyChangeAuthor): Promise<void> {
  return insertAuditRecords(tx, [
    { orgId: key.orgId, actor: author.actor, action: author.action, target: key.id, requestId: null, at: new Date() },
  ]);
}

/** Scopes a principal holds: `admin` implies every other scope. */
export function effectiveScopes(scopes: readonly Scope[]): ReadonlySet<Scope> {
  return new Set(scopes.includes('admin') ? SCOPES : scopes);
}

const looksLikeJwt = (value: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);

/** Verified API keys by hash, each trusted until `until` (see Config.authCacheMs). Bounded so it cannot grow. */
class KeyCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(hash: string): Principal | null {
    const entry = this.entries.get(hash);
    if (!entry) return null;
    if (entry.until > Date.now()) return entry.principal;
    this.entries.delete(hash);
    return null;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Trusted for the cache's time, never past the key's expiry. */
  set(hash: string, principal: Principal, expiresAt: Date | null): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const until = Math.min(Date.now() + this.ttlMs, expiresAt?.getTime() ?? Number.POSITIVE_INFINITY);
    this.entries.set(hash, { principal, until });
  }
}

export class Authenticator {
  private readonly keyCache: KeyCache;
  private readonly jwtKey: Uint8Array | ReturnType<typeof jose.createRemoteJWKSet> | null;
  private readonly algorithms: string[];

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {
    this.keyCache = new KeyCache(config.authCacheMs);
    if (config.jwtSecret) {
      this.jwtKey = new TextEncoder().encode(config.jwtSecret);
      this.algorithms = ['HS256'];
    } else if (config.jwksUrl) {
      this.jwtKey = jose.createRemoteJWKSet(new URL(config.jwksUrl));
      this.algorithms = ['RS256', 'ES256'];
    } else {
      this.jwtKey = null;
      this.algorithms = [];
    }
  }

  /** A credential was revoked somewhere: forget every cached key (the next request of each looks it up again). */
  forgetCachedKeys(): void {
    this.keyCache.clear();
  }

  async authenticate(credential: string): Promise<Principal> {
    if (credential.startsWith(GRANT_PREFIX)) return this.fromGrant(credential);
    if (credential.startsWith(KEY_PREFIX)) return this.fromApiKey(credential);
    if (looksLikeJwt(credential)) return this.fromJwt(credential);
    throw unauthenticated('the credential is neither a Runplane API key (rp_…) nor a JWT');
  }

  private async fromApiKey(key: string): Promise<Principal> {
    const hash = hashApiKey(key);
    const cached = this.keyCache.get(hash);
    if (cached) return cached;
    const presented = Buffer.from(hash, 'hex');
    const record = await findKeyByHash(this.db, hash);
    // The lookup is by hash; compare again in constant time so the answer does not depend on where bytes differ.
    if (!record || !timingSafeEqual(Buffer.from(record.keyHash, 'hex'), presented)) {
      throw unauthenticated('unknown API key; create one with `runplane keys create`');
    }
    if (record.revokedAt) throw unauthenticated('this API key was revoked; create a new one');
    if (record.expiresAt && record.expiresAt.getTime() <= Date.now()) {
      throw unauthenticated(`this API key expired at ${record.expiresAt.toISOString()}; create a new one`);
    }
    const principal: Principal = {
      orgId: record.orgId,
      orgSlug: record.orgSlug,
      actor: record.id,
      scopes: effectiveScopes(record.scopes),
      via: 'api_key',
      runnerKey: record.kind === 'runner',
    };
    this.keyCache.set(hash, principal, record.expiresAt);
    return principal;
  }

  /** Grant tokens are never cached: a revocation holds from the next request on. */
  private async fromGrant(token: string): Promise<Principal> {
    const hash = hashApiKey(token);
    const grant = await findGrantByTokenHash(this.db, hash);
    if (!grant || !timingSafeEqual(Buffer.from(grant.tokenHash, 'hex'), Buffer.from(hash, 'hex'))) {
      throw unauthenticated('unknown grant token');
    }
    if (grant.status !== 'active') throw unauthenticated(`this grant token is ${grant.status}; ask for a new grant`);
    return {
      orgId: grant.orgId,
      orgSlug: grant.orgSlug,
      actor: `grant:${grant.id}`,
      scopes: new Set([grant.scope as Scope]),
      via: 'grant',
      sessionId: grant.itemId,
    };
  }

  private async fromJwt(token: string): Promise<Principal> {
    if (!this.jwtKey) {
      throw unauthenticated('JWT bearer tokens are not enabled; set RUNPLANE_JWT_SECRET or RUNPLANE_JWKS_URL');
    }
    let payload: jose.JWTPayload;
    try {
      const options: jose.JWTVerifyOptions = {
        algorithms: this.algorithms,
        requiredClaims: ['exp', 'sub', 'org_id'],
        ...(this.config.jwtIssuer ? { issuer: this.config.jwtIssuer } : {}),
        ...(this.config.jwtAudience ? { audience: this.config.jwtAudience } : {}),
      };
      const verified =
        this.jwtKey instanceof Uint8Array
          ? await jose.jwtVerify(token, this.jwtKey, options)
          : await jose.jwtVerify(token, this.jwtKey, options);
      payload = verified.payload;
      // jose checks exp and nbf; a token issued in the future is as wrong as an expired one.
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + JWT_CLOCK_SKEW_SECONDS) {
        throw new jose.errors.JWTClaimValidationFailed('"iat" claim is in the future', payload, 'iat', 'check_failed');
      }
    } catch (error) {
      const reason = error instanceof jose.errors.JOSEError ? error.code : 'ERR_JWT_INVALID';
      throw unauthenticated(`the JWT was refused (${reason}); obtain a fresh token from your identity provider`);
    }
    const slug = payload['org_id'];
    if (typeof slug !== 'string' || !ORG_SLUG.test(slug))
      throw unauthenticated('the JWT org_id claim is not an org slug');
    // The issuer is trusted to name orgs: a token for an org Runplane has not seen yet creates it (empty).
    const org = (await findOrgBySlug(this.db, slug)) ?? (await ensureOrg(this.db, slug, newId('org')));
    return {
      orgId: org.id,
      orgSlug: org.slug,
      actor: String(payload.sub),
      scopes: effectiveScopes(jwtScopes(payload)),
      via: 'jwt',
    };
  }
}

/** Scopes from `scope` (space-separated) or a `scp` / `permissions` array; unknown values are ignored. */
function jwtScopes(payload: jose.JWTPayload): Scope[] {
  const raw: unknown[] = [];
  if (typeof payload['scope'] === 'string') raw.push(...payload['scope'].split(' '));
  for (const claim of ['scp', 'permissions']) {
    const value = payload[claim];
    if (Array.isArray(value)) raw.push(...value);
    else if (typeof value === 'string') raw.push(...value.split(' '));
  }
  return raw.filter((value): value is Scope => (SCOPES as readonly unknown[]).includes(value));
}
