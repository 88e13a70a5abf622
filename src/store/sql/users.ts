// Console users and their login sessions.
import type { Queryable } from '../db.ts';

export type Role = 'viewer' | 'operator' | 'admin';

export interface User {
  id: string;
  orgId: string;
  orgSlug: string;
  email: string;
  role: Role;
  passwordHash: string;
}

interface UserRow {
  id: string;
  org_id: string;
  org_slug: string;
  email: string;
  role: Role;
  password_hash: string;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  orgId: row.org_id,
  orgSlug: row.org_slug,
  email: row.email,
  role: row.role,
  passwordHash: row.password_hash,
});

/** Creates a user, or replaces the role and password of the same email in the org. */
export async function upsertUser(
  q: Queryable,
  user: { id: string; orgId: string; email: string; role: Role; passwordHash: string },
): Promise<void> {
  await q.query(
    `insert into users (id, org_id, email, role, password_hash) values ($1, $2, $3, $4, $5)
     on conflict (org_id, email) do update set role = excluded.role, password_hash = excluded.password_hash`,
    [user.id, user.orgId, user.email.toLowerCase(), user.role, user.passwordHash],
  );
}

/** Users with this email in any org (an email may belong to several orgs). */
export async function findUsersByEmail(q: Queryable, email: string): Promise<User[]> {
  const rows = await q.query<UserRow>(
    `select u.*, o.slug as org_slug from users u join orgs o on o.id = u.org_id where u.email = $1 order by o.slug`,
    [email.toLowerCase()],
  );
  return rows.map(toUser);
}

export async function insertUserSession(
  q: Queryable,
  session: { tokenHash: string; userId: string; csrfToken: string; ttlSeconds: number },
): Promise<Date> {
  const rows = await q.query<{ expires_at: Date }>(
    `insert into user_sessions (token_hash, user_id, csrf_token, expires_at)
     values ($1, $2, $3, now() + $4 * interval '1 second') returning expires_at`,
    [session.tokenHash, session.userId, session.csrfToken, session.ttlSeconds],
  );
  return rows[0]!.expires_at;
}

export async function findUserSession(
  q: Queryable,
  tokenHash: string,
): Promise<{ user: User; csrfToken: string; expiresAt: Date } | null> {
  const rows = await q.query<UserRow & { csrf_token: string; expires_at: Date }>(
    `select u.*, o.slug as org_slug, s.csrf_token, s.expires_at
     from user_sessions s join users u on u.id = s.user_id join orgs o on o.id = u.org_id
     where s.token_hash = $1 and s.expires_at > now()`,
    [tokenHash],
  );
  const row = rows[0];
  return row ? { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at } : null;
}

export async function deleteUserSession(q: Queryable, tokenHash: string): Promise<void> {
  await q.query('delete from user_sessions where token_hash = $1', [tokenHash]);
}
