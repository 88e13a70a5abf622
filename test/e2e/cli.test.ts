// The `runplane` command as a user runs it, on the embedded store: keys, the data-directory lock, bad config.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDataDir, runCli, startServeProcess } from '../support/processes.ts';
import { reviewBody } from '../support/review-fixtures.ts';
import { client } from '../support/server.ts';

describe('runplane CLI on the embedded store', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-cli-'));
    env = { RUNPLANE_DATA_DIR: freshDataDir(dataDir) };
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('keys create prints the key alone on stdout (its messages on stderr); keys list never shows it; the server honours it; revoke ends it', async () => {
    const created = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'runners:read', '--name', 'ci'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1)!;
    expect(key).toMatch(/^rp_[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toBe(`${key}\n`);
    expect(created.stderr).toContain('created key');
    expect(created.stderr).toContain('the key is shown once');

    const listed = await runCli(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('acme');
    expect(listed.stdout).toContain('runners:read');
    expect(listed.stdout).not.toContain(key);
    const keyId = /key_[A-Za-z0-9_-]+/.exec(listed.stdout)![0];

    const server = await startServeProcess(env);
    try {
      expect(server.output()).toContain('"jwtSecret":null');
      const api = client(server.url, key);
      expect((await api.get('/api/runners')).status).toBe(200);
      // The server holds the data directory: a second opener is refused with a message saying what to do.
      const busy = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'runners:read'], env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain('in use by process');
      expect(busy.stderr).toContain('--server URL');
    } finally {
      expect(await server.stop()).toBe(0);
    }

    const revoked = await runCli(['keys', 'revoke', keyId], env);
    expect(revoked.code).toBe(0);
    expect(revoked).toMatchObject({ stdout: '', stderr: expect.stringContaining(`revoked key ${keyId}`) });
    const after = await startServeProcess(env);
    try {
      expect((await client(after.url, key).get('/api/runners')).status).toBe(401);
    } finally {
      await after.stop();
    }
  }, 120_000);

  it('keys create --runner makes a runner key (runner scopes by default) whose task writes must name their attempt', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-runner-key-'));
    const keyEnv = { RUNPLANE_DATA_DIR: freshDataDir(dir) };
    try {
      const created = await runCli(['keys', 'create', '--runner', '--org', 'acme'], keyEnv);
      expect(created.code).toBe(0);
      expect(created.stderr).toContain('created runner key');
      expect(created.stderr).toContain('runners:read,runners:write');
      const runnerKey = created.stdout.trim().split('\n').at(-1)!;
      const admin = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'admin'], keyEnv);
      const adminKey = admin.stdout.trim().split('\n').at(-1)!;
      const listed = await runCli(['keys', 'list'], keyEnv);
      expect(listed.stdout).toMatch(/\trunner\trunners:read,runners:write\t/);
      const neither = await runCli(['keys', 'create', '--org', 'acme'], keyEnv);
      expect(neither.code).toBe(1);
      expect(neither.stderr).toContain('--runner');

      const server = await startServeProcess(keyEnv);
      try {
        // Key changes made with the CLI are in the audit log, by the operating-system user who made them.
        const audit = (await client(server.url, adminKey).get('/v1/audit')).body.items;
        expect(audit.filter((r: { action: string }) => r.action === 'keys create')).toHaveLength(2);
        expect(audit[0].actor).toBe(`cli:${os.userInfo().username}`);
        const runner = client(server.url, runnerKey);
        await runner.post('/api/runners/register', undefined, { 'x-runner-id': 'r1' });
        await client(server.url, adminKey).post('/api/reviews', reviewBody());
        const [task] = (await runner.get('/api/runners/tasks/pending?runnerId=r1')).body.data;
        const unnamed = await runner.post(
          `/api/runners/tasks/${task.id}/logs`,
          { logs: ['x'] },
          { 'x-runner-id': 'r1' },
        );
        expect(unnamed.status).toBe(400);
        expect(unnamed.body.error.code).toBe('attempt_required');
      } finally {
        await server.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('migrate applies the schema once, then says it is up to date', async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-migrate-'));
    try {
      const first = await runCli(['migrate'], { RUNPLANE_DATA_DIR: fresh });
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('applying 1 init');
      const again = await runCli(['migrate'], { RUNPLANE_DATA_DIR: fresh });
      expect(again.stderr).toContain('schema is up to date');
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses unknown scopes and missing options with a clear message', async () => {
    const badScope = await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'runners:fly'], env);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toContain('unknown scope "runners:fly"');
    const missing = await runCli(['keys', 'create', '--scopes', 'runners:read'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--org');
  }, 60_000);

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8'));
    const result = await runCli(['--version'], env);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  }, 60_000);

  it('users create without a terminal and without --password-stdin says how to pass the password', async () => {
    const result = await runCli(
      ['users', 'create', '--org', 'acme', '--email', 'a@example.com', '--role', 'admin'],
      env,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--password-stdin');
    const piped = await runCli(
      ['users', 'create', '--org', 'acme', '--email', 'a@example.com', '--role', 'admin', '--password-stdin'],
      env,
      'a long enough password\n',
    );
    expect(piped.code).toBe(0);
    expect(piped.stderr).toContain('user a@example.com is admin of org acme');
  }, 60_000);

  it.each([
    ['RUNPLANE_LEASE_TTL_SECONDS', 'soon'],
    ['PORT', '99999'],
    ['DATABASE_URL', 'mysql://localhost/x'],
    ['RUNPLANE_JWT_SECRET', 'short'],
    ['RUNPLANE_REQUEST_LOG_LEVEL', 'loud'],
  ])(
    'a bad %s stops start-up naming the variable',
    async (variable, value) => {
      const result = await runCli(['serve'], { ...env, [variable]: value });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(variable);
    },
    60_000,
  );
});
