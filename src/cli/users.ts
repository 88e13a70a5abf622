// `runplane users …`: console users of an org with a role, in the store directly or through a running server's
// /v1/admin API (`--server URL`); a password comes from stdin or a hidden prompt, never from an argument. stdout
// carries only the list; messages and the prompt go to stderr.
import os from 'node:os';
import readline from 'node:readline';
import type { Config } from '../config.ts';
import { openAuditScope, withAuditScope } from '../core/audit.ts';
import { changeOrgUser, createUser } from '../core/users.ts';
import { findOrgBySlug } from '../store/sql/keys.ts';
import { findUsersByEmail, listUsers } from '../store/sql/users.ts';
import { adminApi, listAll, noOrgWithServer } from './admin-api.ts';
import { withStore } from './local-store.ts';

interface UserAnswer {
  id: string;
  email: string;
  role: string;
  disabled: boolean;
  created_at: string;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    let asked = false;
    output._writeToOutput = (text: string) => {
      if (!asked) {
        process.stderr.write(text);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export async function createConsoleUser(
  config: Config,
  options: { org?: string; email: string; role: string; passwordStdin?: boolean; server?: string },
): Promise<void> {
  noOrgWithServer(options);
  if (!options.server && !options.org) throw new Error('give --org ORG, or --server URL to ask a running server');
  const api = options.server ? adminApi(options.server) : null;
  if (!options.passwordStdin && !process.stdin.isTTY) {
    // Without a terminal the hidden prompt would wait on input that never comes (and Node then exits silently).
    throw new Error(
      'no terminal to ask for the password on; pipe it in with --password-stdin, e.g. ' +
        '`printf \'%s\' "$PASSWORD" | runplane users create … --password-stdin`',
    );
  }
  const password = options.passwordStdin ? await readStdin() : await prompt(`password for ${options.email}: `);
  if (api) {
    const user = await api.call<UserAnswer>('POST', '/v1/admin/users', {
      email: options.email,
      role: options.role,
      password,
    });
    console.error(`user ${user.email} is ${user.role} (id ${user.id}); log in at ${api.server}/console/login`);
    return;
  }
  const org = options.org!;
  await withStore(config, (db) => createUser(db, { orgSlug: org, email: options.email, role: options.role, password }));
  console.error(`user ${options.email} is ${options.role} of org ${org}; log in at /console/login`);
}

export async function listConsoleUsers(config: Config, options: { org?: string; server?: string }): Promise<void> {
  let rows: { id: string; org: string; email: string; role: string; status: string; created: string }[];
  if (options.server) {
    noOrgWithServer(options);
    const users = await listAll<UserAnswer>(adminApi(options.server), '/v1/admin/users');
    rows = users.map((user) => ({
      ...user,
      org: '-',
      status: user.disabled ? 'disabled' : 'active',
      created: user.created_at,
    }));
  } else {
    rows = await withStore(config, async (db) => {
      const org = options.org ? await findOrgBySlug(db, options.org) : null;
      if (options.org && !org) throw new Error(`no org "${options.org}"; list every org's users without --org`);
      return (await listUsers(db, org?.id ?? null)).map((user) => ({
        id: user.id,
        org: user.orgSlug,
        email: user.email,
        role: user.role,
        status: user.disabledAt ? 'disabled' : 'active',
        created: user.createdAt.toISOString(),
      }));
    });
  }
  if (rows.length === 0) {
    console.error(
      options.server
        ? `no users yet; create one with \`runplane users create --server ${options.server} --email EMAIL --role admin\``
        : 'no users yet; create one with `runplane users create --org ORG --email EMAIL --role admin`',
    );
    return;
  }
  console.log(['ID', 'ORG', 'EMAIL', 'ROLE', 'STATUS', 'CREATED'].join('\t'));
  for (const row of rows) console.log([row.id, row.org, row.email, row.role, row.status, row.created].join('\t'));
}

/** Disables (or with `enable`, enables again) a user by email; its sessions end at once. */
export async function setConsoleUserDisabled(
  config: Config,
  email: string,
  options: { org?: string; server?: string; enable?: boolean },
): Promise<void> {
  const disabled = !options.enable;
  const verb = disabled ? 'disabled' : 'enabled';
  if (options.server) {
    noOrgWithServer(options);
    const api = adminApi(options.server);
    const users = await listAll<UserAnswer>(api, '/v1/admin/users');
    const user = users.find((candidate) => candidate.email === email.toLowerCase());
    if (!user) throw new Error(`no user ${email} in this org; see \`runplane users list --server ${api.server}\``);
    await api.call('PATCH', `/v1/admin/users/${encodeURIComponent(user.id)}`, { disabled });
    console.error(`user ${user.email} is ${verb}`);
    return;
  }
  await withStore(config, async (db) => {
    const matches = (await findUsersByEmail(db, email)).filter((user) => !options.org || user.orgSlug === options.org);
    if (matches.length === 0) throw new Error(`no user ${email}${options.org ? ` in org ${options.org}` : ''}`);
    if (matches.length > 1) {
      throw new Error(`${email} is a user of ${matches.map((u) => u.orgSlug).join(', ')}; choose one with --org`);
    }
    const user = matches[0]!;
    const scope = openAuditScope({
      orgId: user.orgId,
      actor: `cli:${os.userInfo().username}`,
      action: disabled ? 'users disable' : 'users enable',
      target: user.id,
      requestId: null,
    });
    await withAuditScope(scope, () => changeOrgUser(db, user.orgId, user.id, { disabled }));
    console.error(`user ${user.email} of org ${user.orgSlug} is ${verb}`);
  });
}
