// The console in a real browser (Debian's chromium driven by playwright-core) against a real server process:
// log in, watch a runner appear, dispatch a session, follow its logs live, cancel it; a viewer sees no Cancel.
// Screenshots of each page are written under test-output/console/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDataDir, REPO_ROOT, runCli, type ServerProcess, startServeProcess } from '../support/processes.ts';
import { type Client, client } from '../support/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
const SHOTS = path.join(REPO_ROOT, 'test-output', 'console');
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is required in CI (apt-get install chromium)`);
  console.warn(
    `\n!!! ${CHROMIUM} not found: the browser tests of the console are SKIPPED (apt-get install chromium)\n`,
  );
}

describe.skipIf(!hasChromium)('the console in a browser', () => {
  let root: string;
  let server: ServerProcess;
  let api: Client;
  let browser: Browser;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-console-'));
    const env = { RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'data')) };
    const key = (await runCli(['keys', 'create', '--org', 'acme', '--scopes', 'admin'], env)).stdout
      .trim()
      .split('\n')
      .at(-1)!;
    for (const [email, role] of [
      ['operator@acme.test', 'operator'],
      ['viewer@acme.test', 'viewer'],
    ]) {
      const created = await runCli(
        ['users', 'create', '--org', 'acme', '--email', email!, '--role', role!, '--password-stdin'],
        env,
        PASSWORD,
      );
      expect(created.code).toBe(0);
    }
    server = await startServeProcess(env);
    api = client(server.url, key);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function logIn(email: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${email}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${email}: ${error.message}`));
    await page.goto(`${server.url}/console/runners`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/console\/runners$/);
    return page;
  }

  it('serves the API reference at /docs from the server itself, with no request to another host', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const elsewhere: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      if (route.request().url().startsWith(server.url)) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/docs`);
    await page.locator('.opblock-tag', { hasText: 'sessions' }).first().waitFor({ timeout: 20_000 });
    await page.locator('.opblock-summary-path', { hasText: '/v1/runners/sessions/{id}/cancel' }).first().waitFor();
    expect(await page.locator('.info .title').textContent()).toContain('Runplane');
    await page.screenshot({ path: path.join(SHOTS, 'api-docs.png'), fullPage: false });
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('an operator sees a runner appear, dispatches a session, follows its logs live and cancels it; a viewer cannot cancel', async () => {
    const profileId = (await api.post('/v1/runners/profiles', { name: 'jobs' })).body.id;
    const page = await logIn('operator@acme.test');
    await page.screenshot({ path: path.join(SHOTS, 'runners-empty.png') });

    await api.post('/api/runners/register', undefined, { 'x-runner-id': 'browser-runner', 'x-runner-tags': 'gpu' });
    await page.locator('tr[data-runner="browser-runner"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('tr[data-runner="browser-runner"]').textContent()).toContain('online');
    await page.screenshot({ path: path.join(SHOTS, 'runners.png') });

    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.waitForURL(/\/console\/sessions$/);
    await page.getByLabel('Task id').fill('job-from-browser');
    await page.getByRole('combobox', { name: 'Profile' }).last().selectOption(profileId);
    await page.getByRole('button', { name: 'Dispatch' }).click();
    await page.waitForURL(/\/console\/sessions\/[0-9a-f-]{36}$/);
    const sessionId = page.url().split('/').at(-1)!;
    await page.getByTestId('why-pending').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'session-pending.png') });

    // A runner takes it and writes logs: they appear in the open page without a reload.
    await api.post(`/v1/runners/sessions/${sessionId}/claim`, { runner_id: 'browser-runner' });
    const lines = Array.from({ length: 300 }, (_v, i) => ({
      type: 'log',
      level: 'info',
      message: `line ${i + 1} from the runner`,
    }));
    await api.post(`/v1/runners/sessions/${sessionId}/events`, lines, { 'x-runplane-attempt': '1' });
    await page.getByTestId('log-tail').getByText('line 300 from the runner').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, 'session-live.png') });

    // Cancel asks first: "No" changes nothing, "Cancel session" cancels.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'No, keep it' }).click();
    expect(await page.getByTestId('state').textContent()).not.toContain('cancel');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('button', { name: 'Cancel session' }).click();
    await page.getByTestId('state').getByText('cancel_requested').waitFor({ timeout: 10_000 });

    const viewer = await logIn('viewer@acme.test');
    await viewer.goto(`${server.url}/console/sessions/${sessionId}`);
    await viewer.getByTestId('state').waitFor();
    expect(await viewer.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await viewer.goto(`${server.url}/console/sessions`);
    await viewer.locator(`tr[data-session="${sessionId}"]`).waitFor();
    expect(await viewer.getByRole('button', { name: 'Dispatch' }).count()).toBe(0);
    await viewer.screenshot({ path: path.join(SHOTS, 'sessions-viewer.png') });
    await viewer.goto(`${server.url}/console/reviews`);
    await viewer.getByRole('heading', { name: 'Reviews' }).waitFor();
    await viewer.screenshot({ path: path.join(SHOTS, 'reviews.png') });

    const narrow = await logIn('viewer@acme.test', { width: 390, height: 844 });
    await narrow.locator('tr[data-runner="browser-runner"]').waitFor();
    await narrow.screenshot({ path: path.join(SHOTS, 'runners-narrow.png') });

    expect(consoleErrors).toEqual([]);
    for (const shot of [
      'runners.png',
      'session-live.png',
      'sessions-viewer.png',
      'reviews.png',
      'runners-narrow.png',
    ]) {
      expect(fs.statSync(path.join(SHOTS, shot)).size).toBeGreaterThan(1000);
    }
  }, 120_000);
});
