// A fresh install hands itself over the way Grafana, Jenkins and GitLab do: a server that starts on a store
// with no console user prints a one-time setup link, and whoever opens it creates the first org and its admin in
// the browser. Containers do the same unattended from RUNPLANE_BOOTSTRAP_ADMIN_EMAIL and _PASSWORD_FILE.
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { insertAuditRecords } from '../store/sql/audit.ts';
import { ensureOrg } from '../store/sql/keys.ts';
import {
  anyUserExists,
  consumeSetupTokens,
  dropSetupTokens,
  insertSetupToken,
  insertUser,
  lockOrgUsers,
} from '../store/sql/users.ts';
import { checkOrgSlug } from './auth.ts';
import { conflict, unauthenticated } from './errors.ts';
import { newId } from './ids.ts';
import { checkEmail, checkPassword, hashPassword, hashToken } from './users.ts';

/**
 * A new setup token when the store has no console user yet (null otherwise; then leftover tokens are dropped).
 * Each start prints its own; all of them stop working when the first admin exists.
 */
export async function issueSetupToken(db: Db): Promise<string | null> {
  if (await anyUserExists(db)) {
    await dropSetupTokens(db);
    return null;
  }
  const token = randomBytes(24).toString('base64url');
  await insertSetupToken(db, hashToken(token));
  return token;
}

export interface FirstAdmin {
  org: string;
  email: string;
  password: string;
}

/** Creates the first org and its admin with a setup token; the token (and every other) is used up. */
export async function completeSetup(db: Db, token: string, admin: FirstAdmin): Promise<{ userId: string }> {
  const org = checkOrgSlug(admin.org);
  const email = checkEmail(admin.email);
  const passwordHash = await hashPassword(checkPassword(admin.password));
  return db.tx(async (tx) => {
    if (!(await consumeSetupTokens(tx, hashToken(token)))) {
      throw unauthenticated('this setup link is used or unknown; restart the server on an empty store for a new one');
    }
    if (await anyUserExists(tx)) throw conflict('already_set_up', 'Runplane is already set up; log in instead');
    const orgRow = await ensureOrg(tx, org, newId('org'));
    const userId = newId('usr');
    await insertUser(tx, { id: userId, orgId: orgRow.id, email, role: 'admin', passwordHash });
    await insertAuditRecords(tx, [
      { orgId: orgRow.id, actor: `user:${email}`, action: 'setup', target: userId, requestId: null, at: new Date() },
    ]);
    return { userId };
  });
}

/** The unattended first run: creates the admin unless some user exists. Whether it created one. */
export async function bootstrapAdmin(db: Db, admin: FirstAdmin): Promise<boolean> {
  const org = checkOrgSlug(admin.org, 'RUNPLANE_BOOTSTRAP_ORG');
  const email = checkEmail(admin.email);
  const passwordHash = await hashPassword(checkPassword(admin.password));
  if (await anyUserExists(db)) return false;
  return db.tx(async (tx) => {
    // Several instances starting together: the org row lock lets one of them create the admin.
    const orgRow = await ensureOrg(tx, org, newId('org'));
    await lockOrgUsers(tx, orgRow.id);
    if (await anyUserExists(tx)) return false;
    const userId = newId('usr');
    await insertUser(tx, { id: userId, orgId: orgRow.id, email, role: 'admin', passwordHash });
    await insertAuditRecords(tx, [
      {
        orgId: orgRow.id,
        actor: 'bootstrap',
        action: 'bootstrap admin',
        target: userId,
        requestId: null,
        at: new Date(),
      },
    ]);
    return true;
  });
}
