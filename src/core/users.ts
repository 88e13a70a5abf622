// Console users: local accounts per org with a role, passwords hashed with scrypt, login sessions whose token
// lives in an HttpOnly cookie and whose CSRF token must accompany every state-changing request.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db, Queryable } from '../store/db.ts';
import { ensureOrg } from '../store/sql/keys.ts';
import {
  countEnabledAdmins,
  deleteSessionsOfUser,
  deleteUser,
  deleteUserSession,
  findUser,
  findUserSession,
  findUsersByEmail,
  insertUser,
  insertUserSession,
  listUsers,
  lockOrgUsers,
  type Role,
  type User,
  updateUser,
  upsertUser,
} from '../store/sql/users.ts';
import { recordAudit } from './audit.ts';
import { effectiveScopes } from './auth.ts';
import { conflict, invalid, notFound, unauthenticated } from './errors.ts';
import { newId } from './ids.ts';
import type { Principal, Scope } from './types.ts';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
export const ROLES: readonly Role[] = ['viewer', 'approver', 'operator', 'admin'];
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

export const ROLE_SCOPES: Record<Role, Scope[]> = {
  viewer: ['runners:read'],
  // Decides permission requests and raises budgets; dispatches and changes nothing else.
  approver: ['runners:read', 'runners:approve'],
  operator: ['runners:read', 'runners:write', 'runners:dispatch'],
  admin: ['admin'],
};

export async function hashPassword(password: string): Promise<string> {
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

const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));

const MIN_PASSWORD_LENGTH = 10;

export function checkRole(role: string): Role {
  if (!ROLES.includes(role as Role)) throw invalid('role', `role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

export function checkEmail(email: string): string {
  if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 320) {
    throw invalid('email', 'email is not an email address');
  }
  return email.toLowerCase();
}

export function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalid('password', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return password;
}

/** Creates a user, or replaces the role and password of the same email in the org (the offline CLI). */
export async function createUser(
  db: Db,
  request: { orgSlug: string; email: string; role: string; password: string },
): Promise<void> {
  checkRole(request.role);
  checkEmail(request.email);
  const passwordHash = await hashPassword(checkPassword(request.password));
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

/** Login and setup tokens are stored only as this hash. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface LoginSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
  user: User;
}

/**
 * Checks the password and opens a session; the same answer whatever was wrong, so accounts cannot be probed. An
 * email may be a user of several orgs (each org's admins create their own): the password decides which, and only
 * when it fits several must the person name the org — something only the password's holder learns.
 */
export async function login(db: Db, email: string, password: string, orgSlug?: string): Promise<LoginSession> {
  const candidates = (await findUsersByEmail(db, email)).filter((u) => !orgSlug || u.orgSlug === orgSlug);
  const matches: User[] = [];
  for (const candidate of candidates) {
    if (await verifyPassword(password, candidate.passwordHash)) matches.push(candidate);
  }
  // Compared against when the email is unknown, so a login takes as long whether or not the account exists.
  if (candidates.length === 0) await verifyPassword(password, await DUMMY_HASH);
  if (matches.length > 1) throw unauthenticated('this email and password open several orgs; choose the org');
  const user = matches[0];
  if (!user) throw unauthenticated('wrong email or password');
  if (user.disabledAt) throw unauthenticated('this account is disabled; ask an admin of your org to enable it');
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  // Opened only if the user is still as checked: a reset, disable or delete committed meanwhile wins.
  const expiresAt = await insertUserSession(db, {
    tokenHash: hashToken(token),
    userId: user.id,
    passwordHash: user.passwordHash,
    csrfToken,
    ttlSeconds: SESSION_TTL_SECONDS,
  });
  if (!expiresAt) throw unauthenticated('wrong email or password');
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

// The org's users, managed by its admins (/v1/admin/users). Every change is audited in its transaction, ends the
// sessions it makes stale, and is refused when it would leave the org without an enabled admin.

export async function listOrgUsers(db: Db, orgId: string, page: { after: string | null; limit: number }) {
  return listUsers(db, orgId, page);
}

export async function addOrgUser(
  db: Db,
  orgId: string,
  request: { email: string; role: string; password: string },
): Promise<User> {
  const role = checkRole(request.role);
  const email = checkEmail(request.email);
  const passwordHash = await hashPassword(checkPassword(request.password));
  return db.tx(async (tx) => {
    const user = await insertUser(tx, { id: newId('usr'), orgId, email, role, passwordHash });
    if (!user) throw conflict('user_exists', `${email} is already a user of this org; change it with PATCH`);
    await recordAudit(tx, user.id);
    return user;
  });
}

export async function changeOrgUser(
  db: Db,
  orgId: string,
  id: string,
  change: { role?: string; disabled?: boolean; password?: string },
): Promise<User> {
  const role = change.role === undefined ? undefined : checkRole(change.role);
  const passwordHash = change.password === undefined ? undefined : await hashPassword(checkPassword(change.password));
  return db.tx(async (tx) => {
    await lockOrgUsers(tx, orgId);
    const before = await findUser(tx, id, orgId);
    const user = await updateUser(tx, id, orgId, {
      ...(role ? { role } : {}),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled }),
      ...(passwordHash ? { passwordHash } : {}),
    });
    if (!before || !user) throw notFound('user', id);
    await keepAnAdmin(tx, before);
    // A disabled account, a lowered role or a reset password must not live on in open sessions.
    if (change.disabled || role || passwordHash) await deleteSessionsOfUser(tx, user.id);
    await recordAudit(tx, user.id);
    return user;
  });
}

export async function removeOrgUser(db: Db, orgId: string, id: string): Promise<User> {
  return db.tx(async (tx) => {
    await lockOrgUsers(tx, orgId);
    const user = await deleteUser(tx, id, orgId);
    if (!user) throw notFound('user', id);
    await keepAnAdmin(tx, user);
    await recordAudit(tx, user.id);
    return user;
  });
}

/**
 * Refuses a change that took away the org's last enabled admin user (`before`: the user as it was). An org run
 * with API keys alone has no admin user to keep, so its other users' changes pass.
 */
async function keepAnAdmin(tx: Queryable, before: User): Promise<void> {
  if (before.role !== 'admin' || before.disabledAt) return;
  if ((await countEnabledAdmins(tx, before.orgId)) === 0) {
    throw conflict('last_admin', 'this would leave the org without an enabled admin; make another user admin first');
  }
}
