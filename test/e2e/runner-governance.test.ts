// A real `runplane runner` and session programs under a profile policy. Permissions: the program asks with the
// line protocol (`::runplane::{"request_permission": …}`) and reads the decision from
// $RUNPLANE_PERMISSIONS_DIR/<key>.json: allow gives it a token at once, ask waits until a person approves (then the
// token works on the session's routes and nowhere else), deny and expiry end the wait with that state. Budgets: a
// program reporting usage past max_tokens is paused (it checkpoints on SIGTERM) and continues from its checkpoint
// once the budget is raised and the session resumed; max_wall_seconds pauses a program that reports nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type RunnerProcess, startRunnerProcess } from '../support/processes.ts';
import { type Client, useTestServer } from '../support/server.ts';
import { STORE_KINDS } from '../support/stores.ts';
import { until } from '../support/wait.ts';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

const PROGRAM = `
import fs from 'node:fs';
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const say = (message) => console.log('::runplane::' + JSON.stringify(message));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
if (input.mode === 'spend') {
  const file = process.env.RUNPLANE_CHECKPOINT_FILE;
  const from = file ? JSON.parse(fs.readFileSync(file, 'utf8')).step : 0;
  let step = from;
  // Stopped for a pause: keep the place.
  process.on('SIGTERM', () => {
    say({ checkpoint: { step } });
    process.exit(0);
  });
  for (; step < 40; step++) {
    say({ event: { type: 'usage', level: 'info', message: 'model call', data: { tokens: 100 } } });
    await sleep(100);
  }
  say({ result: { from, steps: step } });
  process.exit(0);
}
if (input.mode === 'idle') {
  await sleep(60_000);
  process.exit(0);
}
const ask = { scope: input.scope, resource: input.resource, reason: 'e2e', ttl_seconds: 300, key: 'p' };
console.log('::runplane::' + JSON.stringify({ request_permission: ask }));
const file = process.env.RUNPLANE_PERMISSIONS_DIR + '/p.json';
while (!fs.existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 50));
const answer = JSON.parse(fs.readFileSync(file, 'utf8'));
let used = null;
if (answer.token) {
  const auth = { authorization: 'Bearer ' + answer.token };
  const own = await fetch(input.server + '/v1/runners/sessions/' + process.env.RUNPLANE_SESSION_ID + '/events', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify([{ type: 'used_token', level: 'info', message: 'posted with the granted token' }]),
  });
  const elsewhere = await fetch(input.server + '/v1/runners/profiles', { headers: auth });
  used = { own: own.status, elsewhere: elsewhere.status };
}
const mode = (fs.statSync(file).mode & 0o777).toString(8);
console.log('::runplane::' + JSON.stringify({ result: { state: answer.state, used, mode, note: answer.note } }));
`;

const kind = STORE_KINDS.at(-1)!;
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`${CHROMIUM} is required in CI (apt-get install chromium)`);
const PASSWORD = 'correct horse battery';

describe(`a session program asking for permissions through a real runner (${kind} store)`, { timeout: 60_000 }, () => {
  const t = useTestServer(kind, { reaper: true, resetEachTest: false, config: { approvalTimeoutMs: 15_000 } });
  let root: string;
  let runner: RunnerProcess;
  let admin: Client;
  let approver: Client;
  let profileId: string;
  let spendProfile: string;
  let idleProfile: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-permissions-'));
    const program = path.join(root, 'job.mjs');
    fs.writeFileSync(program, PROGRAM);
    admin = await t.client(['admin']);
    approver = await t.client(['runners:read', 'runners:approve']);
    profileId = (await admin.post('/v1/runners/profiles', { name: 'governed' })).body.id;
    const put = await admin.call('PUT', `/v1/runners/profiles/${profileId}/policy`, {
      permissions: [
        { scope: 'runners:write', resource: 'sessions/allowed', action: 'allow' },
        { scope: 'runners:write', resource: 'sessions/forbidden', action: 'deny' },
        { scope: 'runners:write', resource: 'sessions/**', action: 'ask', max_ttl_seconds: 600 },
      ],
    });
    expect(put.status).toBe(200);
    spendProfile = (await admin.post('/v1/runners/profiles', { name: 'spender' })).body.id;
    await admin.call('PUT', `/v1/runners/profiles/${spendProfile}/policy`, { budgets: { max_tokens: 500 } });
    idleProfile = (await admin.post('/v1/runners/profiles', { name: 'idler' })).body.id;
    await admin.call('PUT', `/v1/runners/profiles/${idleProfile}/policy`, {
      budgets: { max_wall_seconds: 1 },
      cancel_grace_seconds: 20,
    });
    const runnerKey = await t.client(['runners:read', 'runners:write'], { kind: 'runner' });
    runner = startRunnerProcess(
      [
        '--server',
        t.server.url,
        '--id',
        'governed-1',
        '--profiles',
        [profileId, spendProfile, idleProfile].join(','),
        '--session-command',
        `"${process.execPath}" "${program}"`,
        '--heartbeat',
        '0.5',
        '--grace',
        '1',
        '--work-dir',
        path.join(root, 'work'),
      ],
      { RUNPLANE_API_KEY: runnerKey.authorization.replace('Bearer ', '') },
    );
    await runner.waitFor('registered');
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const dispatch = async (resource: string) => {
    const reply = await admin.post('/v1/runners/sessions', {
      profile_id: profileId,
      task_id: resource.replace('/', '-'),
      input: { scope: 'runners:write', resource, server: t.server.url },
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    return reply.body.id as string;
  };
  const finished = (id: string) =>
    until(
      async () => (await admin.get(`/v1/runners/sessions/${id}`)).body,
      (session) => FINISHED.includes(session.state),
      30_000,
    );
  const pendingFor = (id: string) =>
    until(
      async () => (await approver.get(`/v1/runners/permission-requests?state=pending&session_id=${id}`)).body.items,
      (items: { id: string }[]) => items.length === 1,
      20_000,
    );

  it('allow: the program gets a token at once that works on its session and nowhere else', async () => {
    const id = await dispatch('sessions/allowed');
    const session = await finished(id);
    expect(session.state, runner.output()).toBe('succeeded');
    expect(session.result).toEqual({ state: 'approved', used: { own: 200, elsewhere: 403 }, mode: '600', note: null });
    const types = (await admin.get(`/v1/runners/sessions/${id}/events?limit=500`)).body.items.map(
      (event: { type: string }) => event.type,
    );
    expect(types).toEqual(expect.arrayContaining(['permission_requested', 'permission_approved', 'used_token']));
  });

  it('ask: the program waits until a person approves, then uses its token', async () => {
    const id = await dispatch('sessions/review');
    const request = (await pendingFor(id))[0]!;
    expect(request).toMatchObject({ scope: 'runners:write', resource: 'sessions/review', runner_id: 'governed-1' });
    const approved = await approver.post(`/v1/runners/permission-requests/${request.id}/approve`, { note: 'go' });
    expect(approved.status).toBe(200);
    const session = await finished(id);
    expect(session.result).toEqual({ state: 'approved', used: { own: 200, elsewhere: 403 }, mode: '600', note: 'go' });
    const audit = (await admin.get(`/v1/audit?target=${encodeURIComponent(`${id}/${request.id}`)}`)).body.items;
    expect(audit.map((record: { actor: string }) => record.actor)).toContain(approved.body.decided_by);
  });

  it('deny by the policy and deny by a person end the wait denied, with no token', async () => {
    const byPolicy = await dispatch('sessions/forbidden');
    expect((await finished(byPolicy)).result).toMatchObject({ state: 'denied', used: null });
    const byPerson = await dispatch('sessions/person');
    const request = (await pendingFor(byPerson))[0]!;
    await approver.post(`/v1/runners/permission-requests/${request.id}/deny`, { note: 'no' });
    expect((await finished(byPerson)).result).toMatchObject({ state: 'denied', used: null, note: 'no' });
  });

  it('a request nobody decides expires, and the program learns it', async () => {
    const id = await dispatch('sessions/nobody');
    const session = await finished(id);
    expect(session.result).toMatchObject({ state: 'expired', used: null });
  });

  it('usage past max_tokens pauses the program at its checkpoint; a raised budget and resume finish it', async () => {
    const id = (
      await admin.post('/v1/runners/sessions', { profile_id: spendProfile, task_id: 'spend', input: { mode: 'spend' } })
    ).body.id;
    const paused = await until(
      async () => (await admin.get(`/v1/runners/sessions/${id}`)).body,
      (session) => session.state === 'paused' || FINISHED.includes(session.state),
      30_000,
    );
    expect(paused.state, runner.output()).toBe('paused');
    expect(paused.pause_reason).toBe('budget_reached');
    expect(paused.usage.tokens).toBeGreaterThanOrEqual(500);
    expect(paused.latest_checkpoint.data.step).toBeGreaterThan(0);
    expect(runner.output()).toContain('a budget was reached');
    const raised = await approver.patch(`/v1/runners/sessions/${id}`, { budget: { max_tokens: 1_000_000 } });
    expect(raised.status).toBe(200);
    expect((await admin.post(`/v1/runners/sessions/${id}/resume`)).status).toBe(200);
    const done = await finished(id);
    expect(done.state).toBe('succeeded');
    expect(done.result).toEqual({ from: paused.latest_checkpoint.data.step, steps: 40 });
  });

  it('max_wall_seconds pauses a program that reports nothing, through its runner', async () => {
    const id = (
      await admin.post('/v1/runners/sessions', { profile_id: idleProfile, task_id: 'idle', input: { mode: 'idle' } })
    ).body.id;
    const paused = await until(
      async () => (await admin.get(`/v1/runners/sessions/${id}`)).body,
      (session) => session.state === 'paused',
      20_000,
    );
    // Paused by the runner (its checkpoint with pause), well within the 20 s grace after which the server would.
    expect(paused.pause_reason).toBe('budget_reached');
    const states = (await admin.get(`/v1/runners/sessions/${id}/events?type=state`)).body.items;
    expect(states.at(-1).data.reason).toBe('paused');
    await admin.post(`/v1/runners/sessions/${id}/cancel`);
  });

  describe.skipIf(!hasChromium)('in the console', () => {
    let browser: Browser;

    /** Approver and viewer accounts, and the browser (once for this block). */
    const open = async () => {
      for (const [email, role] of [
        ['approver@acme.test', 'approver'],
        ['viewer@acme.test', 'viewer'],
      ]) {
        const made = await admin.post('/v1/admin/users', { email, role, password: PASSWORD });
        expect(made.status, JSON.stringify(made.body)).toBe(201);
      }
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
    };

    const logIn = async (email: string) => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto(`${t.server.url}/console/login`);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(/\/console\/runners$/);
      return page;
    };

    it('a person approves in the console; the program gets its token; a viewer cannot approve', async () => {
      await open();
      try {
        await approveInConsole();
      } finally {
        await browser.close();
      }
    });

    it('an admin edits the policy and suspends and unsuspends the profile in the console', async () => {
      const made = await admin.post('/v1/admin/users', { email: 'admin@acme.test', role: 'admin', password: PASSWORD });
      expect(made.status).toBe(201);
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      try {
        const page = await logIn('admin@acme.test');
        await page.goto(`${t.server.url}/console/profiles/${idleProfile}`);
        const editor = page.getByLabel('Policy JSON');
        await page.getByTestId('policy').getByText('version 1').waitFor();
        expect(await editor.inputValue()).toContain('max_wall_seconds');
        await editor.fill(JSON.stringify({ budgets: { max_wall_seconds: 5 }, cancel_grace_seconds: 20 }));
        await page.getByRole('button', { name: 'Save policy' }).click();
        await page.getByText('saved as version 2').waitFor();
        const policy = (await admin.get(`/v1/runners/profiles/${idleProfile}/policy`)).body;
        expect(policy.current).toMatchObject({ version: 2, budgets: { max_wall_seconds: 5 } });

        await page.getByRole('button', { name: 'Suspend', exact: true }).click();
        await page.getByRole('button', { name: 'Suspend profile' }).click();
        await page.getByTestId('suspended').waitFor();
        const refused = await admin.post('/v1/runners/sessions', { profile_id: idleProfile, task_id: 'x', input: {} });
        expect(refused.body.error.code).toBe('profile_suspended');
        await page.getByRole('button', { name: 'Unsuspend' }).click();
        await page.getByTestId('suspended').waitFor({ state: 'detached' });
        expect((await admin.get(`/v1/runners/profiles/${idleProfile}`)).body.suspended_at).toBeNull();
      } finally {
        await browser.close();
      }
    });

    const approveInConsole = async () => {
      // Both log in first: the request waits for a person only 15 s (the file's approval timeout).
      const viewer = await logIn('viewer@acme.test');
      const approver = await logIn('approver@acme.test');
      const id = await dispatch('sessions/console');
      const request = (await pendingFor(id))[0]!;
      await viewer.goto(`${t.server.url}/console/approvals`);
      await viewer.locator(`tr[data-request="${request.id}"]`).waitFor();
      expect(await viewer.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      const refused = await viewer.evaluate(async (rid) => {
        const me = await (await fetch('/console/api/me')).json();
        const answer = await fetch(`/console/api/v1/runners/permission-requests/${rid}/approve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf_token },
          body: '{}',
        });
        return answer.status;
      }, request.id);
      expect(refused).toBe(403);

      // The header's count is read when a page opens (and every few seconds after).
      await approver.goto(`${t.server.url}/console/approvals`);
      await approver.getByTestId('approvals-badge').waitFor();
      expect(await approver.getByTestId('approvals-badge').textContent()).toBe('1');
      const row = approver.locator(`tr[data-request="${request.id}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain('sessions/console');
      fs.mkdirSync(path.join(REPO_ROOT, 'test-output', 'console'), { recursive: true });
      await approver.screenshot({ path: path.join(REPO_ROOT, 'test-output', 'console', 'approvals.png') });
      await row.getByLabel('Note').fill('approved in the console');
      await row.getByRole('button', { name: 'Approve' }).click();
      await row.waitFor({ state: 'detached' });

      const session = await finished(id);
      expect(session.result).toEqual({
        state: 'approved',
        used: { own: 200, elsewhere: 403 },
        mode: '600',
        note: 'approved in the console',
      });
      const decided = (await admin.get(`/v1/runners/sessions/${id}/permission-requests`)).body.items[0];
      expect(decided.decided_by).toMatch(/^user:|approver@acme\.test|usr_/);
      const audit = (await admin.get(`/v1/audit?target=${encodeURIComponent(`${id}/${request.id}`)}`)).body.items;
      expect(audit.map((record: { actor: string }) => record.actor)).toContain(decided.decided_by);

      await approver.goto(`${t.server.url}/console/sessions/${id}`);
      await approver.getByTestId('permission-requests').getByText('approved').waitFor();
    };
  });
});
