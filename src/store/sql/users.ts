// Console users and their login sessions.
import type { Queryable } from '../db.ts';

export type Role = 'viewer' | 'approver' | 'operator' | 'admin';

export interface User {
  id: string;
  orgId: string;
  orgSlug: string;
  email: string;
  role: Role;
  passwordHash: string;
  createdAt: Date;
  disabledAt: Date | null;
}

interface UserRow {
  id: string;
  org_id: string;
  org_slug: string;
  email: string;
  role: Role;
  password_hash: string;
  created_at: Date;
  disabled_at: Date | null;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  orgId: row.org_id,
  orgSlug: row.org_slug,
  email: row.email,
  role: row.role,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});

const USER_COLUMNS = 'u.*, o.slug as org_slug';

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
    `select ${USER_COLUMNS} from users u join orgs o on o.id = u.org_id where u.email = $1 order by o.slug`,
    [email.toLowerCase()],
  );
  return rows.map(toUser);
}

/** Opens a session for a user still enabled and with this password hash; null when it changed since the check. */
export async function insertUserSession(
  q: Queryable,
  session: { tokenHash: string; userId: string; passwordHash: string; csrfToken: string; ttlSeconds: number },
): Promise<Date | null> {
  const rows = await q.query<{ expires_at: Date }>(
    `insert into user_sessions (token_hash, user_id, csrf_token, expires_at)
     select $1, id, $3, now() + $4 * interval '1 second' from users
     where id = $2 and password_hash = $5 and disabled_at is null
     returning expires_at`,
    [session.tokenHash, session.userId, session.csrfToken, session.ttlSeconds, session.passwordHash],
  );
  return rows[0]?.expires_at ?? null;
}

export async function findUserSession(
  q: Queryable,
  tokenHash: string,
): Promise<{ user: User; csrfToken: string; expiresAt: Date } | null> {
  const rows = await q.query<UserRow & { csrf_token: string; expires_at: Date }>(
    `select u.*, o.slug as org_slug, s.csrf_token, s.expires_at
     from user_sessions s join users u on u.id = s.user_id join orgs o on o.id = u.org_id
     where s.token_hash = $1 and s.expires_at > now() and u.disabled_at is null`,
    [tokenHash],
  );
  const row = rows[0];
  return row ? { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at } : null;
}

export async function deleteUserSession(q: Queryable, tokenHash: string): Promise<void> {
  await q.query('delete from user_sessions where token_hash = $1', [tokenHash]);
}

/** Ends every login session of a user (disabled, deleted, or its password reset). */
export async function deleteSessionsOfUser(q: Queryable, userId: string): Promise<void> {
  await q.query('delete from user_sessions where user_id = $1', [userId]);
}

/** Whether any console user exists, in any org: a store without one is a fresh install. */
export async function anyUserExists(q: Queryable): Promise<boolean> {
  const rows = await q.query<{ found: boolean }>('select exists (select 1 from users) as found');
  return rows[0]!.found;
}

/** Users by org and email: every org's (`orgId` null, the CLI), or one org's in pages after the email `after`. */
export async function listUsers(
  q: Queryable,
  orgId: string | null,
  page: { after: string | null; limit: number } = { after: null, limit: 100_000 },
): Promise<User[]> {
  const rows = await q.query<UserRow>(
    `select ${USER_COLUMNS} from users u join orgs o on o.id = u.org_id
     where ($1::text is null or u.org_id = $1)
       and ($2::text is null or u.email > $2)
     order by o.slug, u.email limit $3`,
    [orgId, page.after, page.limit],
  );
  return rows.map(toUser);
}

export async function findUser(q: Queryable, id: string, orgId: string): Promise<User | null> {
  const rows = await q.query<UserRow>(
    `select ${USER_COLUMNS} from users u join orgs o on o.id = u.org_id where u.id = $1 and u.org_id = $2`,
    [id, orgId],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Inserts a new user; null when the org already has one with this email. */
export async function insertUser(
  q: Queryable,
  user: { id: string; orgId: string; email: string; role: Role; passwordHash: string },
): Promise<User | null> {
  const rows = await q.query<UserRow>(
    `with inserted as (
       insert into users (id, org_id, email, role, password_hash) values ($1, $2, $3, $4, $5)
       on conflict (org_id, email) do nothing returning *
     )
     select u.*, o.slug as org_slug from inserted u join orgs o on o.id = u.org_id`,
    [user.id, user.orgId, user.email.toLowerCase(), user.role, user.passwordHash],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Changes what is given (a null `disabled` leaves it); null when the org has no such user. */
export async function updateUser(
  q: Queryable,
  id: string,
  orgId: string,
  change: { role?: Role; disabled?: boolean; passwordHash?: string },
): Promise<User | null> {
  const rows = await q.query<UserRow>(
    `with updated as (
       update users set
         role = coalesce($3, role),
         disabled_at = case when $4::boolean is null then disabled_at
                            when $4 then coalesce(disabled_at, now()) else null end,
         password_hash = coalesce($5, password_hash)
       where id = $1 and org_id = $2 returning *
     )
     select u.*, o.slug as org_slug from updated u join orgs o on o.id = u.org_id`,
    [id, orgId, change.role ?? null, change.disabled ?? null, change.passwordHash ?? null],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

export async function deleteUser(q: Queryable, id: string, orgId: string): Promise<User | null> {
  const rows = await q.query<UserRow>(
    `with deleted as (delete from users where id = $1 and org_id = $2 returning *)
     select u.*, o.slug as org_slug from deleted u join orgs o on o.id = u.org_id`,
    [id, orgId],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Enabled admins of an org, counted after a change, so a change that leaves none can be refused. */
export async function countEnabledAdmins(q: Queryable, orgId: string): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `select count(*)::int as n from users where org_id = $1 and role = 'admin' and disabled_at is null`,
    [orgId],
  );
  return rows[0]!.n;
}

export async function dropSetupTokens(q: Queryable): Promise<void> {
  await q.query('delete from setup_tokens');
}

export async function insertSetupToken(q: Queryable, tokenHash: string): Promise<void> {
  await q.query('insert into setup_tokens (token_hash) values ($1)', [tokenHash]);
}

/**
 * Consumes every setup token if `tokenHash` is one of them; false otherwise. Two setups racing with different
 * tokens: the second finds the rows deleted by the first (its delete waits on their locks) and gets false.
 */
export async function consumeSetupTokens(q: Queryable, tokenHash: string): Promise<boolean> {
  const rows = await q.query<{ token_hash: string }>('delete from setup_tokens returning token_hash');
  return rows.some((row) => row.token_hash === tokenHash);
}

/** Serialises the org's user changes, so two admins demoting each other cannot both pass the last-admin check. */
export async function lockOrgUsers(q: Queryable, orgId: string): Promise<void> {
  await q.query('select 1 from orgs where id = $1 for update', [orgId]);
}
