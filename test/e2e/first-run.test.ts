// The first run and administration while the server runs (issue 14), with real processes on the embedded store:
// the setup link a fresh server prints, the unattended bootstrap admin, and `runplane keys|users … --server`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDataDir, runCli, type ServerProcess, startServeProcess } from '../support/processes.ts';
import { client } from '../support/server.ts';

const PASSWORD = 'correct horse battery';

async function setupLink(server: ServerProcess): Promise<string> {
  for (let i = 0; i < 100 && !/setup\?token=\S+/.test(server.output()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const link = /(http:\/\/\S+\/console\/setup\?token=\S+)/.exec(server.output());
  if (!link) throw new Error(`no setup link in the start output:\n${server.output()}`);
  return link[1]!;
}

async function submitSetup(link: string, admin: { org: string; email: string; password: string }) {
  const url = new URL(link);
  return fetch(`${url.origin}/console/api/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...admin, token: url.searchParams.get('token') }),
  });
}

describe('first run and administration without a stop', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-first-run-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a fresh server prints a one-time setup link; it creates the first admin once; a restart prints none', async () => {
    const env = { RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'fresh')) };
    // The first start as the README has it, `npm start`: the checkout's entry through tsx (every other test starts
    // the compiled build).
    const server = await startServeProcess(env, undefined, 'checkout');
    let link: string;
    try {
      link = await setupLink(server);
      expect(server.output()).toContain(`console at ${server.url}/console`);
      expect(link.startsWith(`${server.url}/console/setup?token=`)).toBe(true);
      const page = await fetch(link, { redirect: 'manual' });
      expect(page.status).toBe(200); // no session needed for the setup page
      const done = await submitSetup(link, { org: 'acme', email: 'root@acme.test', password: PASSWORD });
      expect(done.status).toBe(200);
      expect((await done.json()).user).toEqual({ email: 'root@acme.test', role: 'admin', org: 'acme' });
      expect((await submitSetup(link, { org: 'evil', email: 'x@evil.test', password: PASSWORD })).status).toBe(401);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const again = await startServeProcess(env);
    try {
      expect(again.output()).not.toContain('setup?token=');
      expect(again.output()).toContain('next: log in to the console');
      const sameToken = link.replace(server.url, again.url);
      expect((await submitSetup(sameToken, { org: 'evil', email: 'x@evil.test', password: PASSWORD })).status).toBe(
        401,
      );
    } finally {
      await again.stop();
    }
  }, 120_000);

  it('RUNPLANE_BOOTSTRAP_ADMIN_EMAIL and _PASSWORD_FILE create the admin unattended; a missing file says so', async () => {
    const passwordFile = path.join(root, 'admin-password');
    fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const env = {
      RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'bootstrap')),
      RUNPLANE_BOOTSTRAP_ADMIN_EMAIL: 'ops@acme.test',
      RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE: passwordFile,
      RUNPLANE_BOOTSTRAP_ORG: 'acme',
    };
    const server = await startServeProcess(env);
    try {
      expect(server.output()).toContain('created the first admin ops@acme.test of org acme');
      expect(server.output()).not.toContain('setup?token=');
      expect(server.output()).not.toContain(PASSWORD);
      const login = await fetch(`${server.url}/console/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ops@acme.test', password: PASSWORD }),
      });
      expect(login.status).toBe(200);
    } finally {
      await server.stop();
    }
    // Once the admin exists the secret is not needed: a file removed after the first start stops nothing.
    fs.rmSync(passwordFile);
    const again = await startServeProcess(env);
    expect(again.output()).not.toContain('created the first admin');
    await again.stop();
    const missing = await runCli(['serve'], {
      ...env,
      RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'bootstrap-missing')), // a store without users
      RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE: path.join(root, 'nope'),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE');
    const half = await runCli(['serve'], { RUNPLANE_DATA_DIR: root, RUNPLANE_BOOTSTRAP_ADMIN_EMAIL: 'a@b.c' });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain('RUNPLANE_BOOTSTRAP_ADMIN_PASSWORD_FILE');
  }, 120_000);

  it('keys and users commands work against the running server with --server and an admin key', async () => {
    const env = { RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'live')) };
    const adminKey = (await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'admin'], env)).stdout
      .trim()
      .split('\n')
      .at(-1)!;
    const server = await startServeProcess(env);
    const live = { ...env, RUNPLANE_API_KEY: adminKey };
    const cli = (args: string[], stdin?: string) => runCli([...args, '--server', server.url], live, stdin);
    try {
      const created = await cli(['keys', 'create', '--runner', '--name', 'box-1', '--expires-at', '2099-01-01']);
      expect(created.code, created.stderr).toBe(0);
      const runnerKey = created.stdout.trim().split('\n').at(-1)!;
      expect(runnerKey).toMatch(/^rp_/);
      expect(created.stderr).toContain('expiring 2099-01-01T23:59:59.000Z'); // a date: the end of that day
      expect((await client(server.url, runnerKey).get('/api/runners')).status).toBe(200);

      const listed = await cli(['keys', 'list']);
      expect(listed.stdout).toContain('box-1');
      expect(listed.stdout).toContain('active until 2099-01-01');
      expect(listed.stdout).not.toContain(runnerKey);
      const runnerKeyId = /(key_\S+)\t-\tbox-1/.exec(listed.stdout)![1]!;

      const user = await cli(
        ['users', 'create', '--email', 'dev@acme.test', '--role', 'viewer', '--password-stdin'],
        PASSWORD,
      );
      expect(user.code, user.stderr).toBe(0);
      expect(user.stderr).toContain('user dev@acme.test is viewer');
      expect((await cli(['users', 'list'])).stdout).toMatch(/dev@acme\.test\tviewer\tactive/);
      expect((await cli(['users', 'disable', 'dev@acme.test'])).code).toBe(0);
      expect((await cli(['users', 'list'])).stdout).toMatch(/dev@acme\.test\tviewer\tdisabled/);

      const revoked = await cli(['keys', 'revoke', runnerKeyId]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect((await client(server.url, runnerKey).get('/api/runners')).status).toBe(401);

      // What a person gets wrong is said plainly.
      const noKey = await runCli(['keys', 'list', '--server', server.url], env);
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toContain('RUNPLANE_API_KEY');
      const notAdmin = await runCli(['keys', 'list', '--server', server.url], { ...env, RUNPLANE_API_KEY: runnerKey });
      expect(notAdmin.stderr).toContain('refused RUNPLANE_API_KEY');
      const withOrg = await cli(['keys', 'create', '--org', 'other', '--scopes', 'runners:read']);
      expect(withOrg.stderr).toContain('--org is not used with --server');
      const unreachable = await runCli(['keys', 'list', '--server', 'http://127.0.0.1:9'], live);
      expect(unreachable.stderr).toContain('cannot reach');
      expect((await cli(['keys', 'revoke', 'key_nope'])).stderr).toContain('no key with id key_nope');
    } finally {
      await server.stop();
    }
    // Offline, the same commands read and change the store.
    const offline = await runCli(['users', 'list', '--org', 'acme'], env);
    expect(offline.stdout).toMatch(/dev@acme\.test\tviewer\tdisabled/);
    expect((await runCli(['users', 'disable', 'dev@acme.test', '--enable'], env)).code).toBe(0);
    expect((await runCli(['users', 'list'], env)).stdout).toMatch(/dev@acme\.test\tviewer\tactive/);
  }, 180_000);
});
