// Console users: local accounts per org with a role, passwords hashed with scrypt, login sessions whose token
// lives in an HttpOnly cookie and whose CSRF token must accompany every state-changing request.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../store/db.ts';
import { ensureOrg } from '../store/sql/keys.ts';
import {
  deleteUserSession,
  findUserSession,
  findUsersByEmail,
  insertUserSession,
  type Role,
  type User,
  upsertUser,
} from '../store/sql/users.ts';
import { effectiveScopes } from './auth.ts';
import { invalid, unauthenticated } from './errors.ts';
import { newId } from './ids.ts';
import type { Principal, Scope } from './types.ts';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

export const ROLE_SCOPES: Record<Role, Scope[]> = {
  viewer: ['runners:read'],
  operator: ['runners:read', 'runners:write', 'runners:dispatch'],
  admin: ['admin'],
};

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(actual, expected);
}

// Compared against when the email is unknown, so a login takes as long whether or not the account exists.
const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));

export async function createUser(
  db: Db,
  request: { orgSlug: string; email: string; role: string; password: string },
): Promise<void> {
  if (!ROLES.includes(request.role as Role)) throw invalid('role', `role must be one of ${ROLES.join(', ')}`);
  if (!/^[^@\s]+@[^@\s]+$/.test(request.email)) throw invalid('email', 'email is not an email address');
  if (request.password.length < 10) throw invalid('password', 'password must be at least 10 characters');
  const passwordHash = await hashPassword(request.password);
  await db.tx(async (tx) => {
    const org = await ensureOrg(tx, request.orgSlug, newId('org'));
    await upsertUser(tx, {
      id: newId('usr'),
      orgId: org.id,
      email: request.email,
      role: request.role as Role,
      passwordHash,
    });
  });
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface LoginSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  user: User;
}

/** Checks the password and opens a session; the same answer whatever was wrong, so accounts cannot be probed. */
export async function login(db: Db, email: string, password: string, orgSlug?: string): Promise<LoginSession> {
  const candidates = (await findUsersByEmail(db, email)).filter((u) => !orgSlug || u.orgSlug === orgSlug);
  const user = candidates.length === 1 ? candidates[0]! : null;
  const ok = await verifyPassword(password, user?.passwordHash ?? (await DUMMY_HASH));
  if (!user || !ok) {
    throw unauthenticated(
      candidates.length > 1 ? 'this email belongs to several orgs; choose the org' : 'wrong email or password',
    );
  }
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = await insertUserSession(db, {
    tokenHash: hashToken(token),
    userId: user.id,
    csrfToken,
    ttlSeconds: SESSION_TTL_SECONDS,
  });
  return { token, csrfToken, expiresAt, user };
}

export async function logout(db: Db, token: string): Promise<void> {
  await deleteUserSession(db, hashToken(token));
}

/** The principal of a session cookie, with its CSRF token; null when the session is unknown or expired. */
export async function sessionPrincipal(
  db: Db,
  token: string,
): Promise<{ principal: Principal; csrfToken: string; user: User } | null> {
  const session = await findUserSession(db, hashToken(token));
  if (!session) return null;
  const scopes = ROLE_SCOPES[session.user.role];
  return {
    principal: {
      orgId: session.user.orgId,
      orgSlug: session.user.orgSlug,
      actor: `user:${session.user.email}`,
      scopes: effectiveScopes(scopes),
      via: 'session',
    },
    csrfToken: session.csrfToken,
    user: session.user,
  };
}
