// Issue 14's walk, in a real browser (Debian's chromium via playwright-core) against real processes: a fresh
// server → the setup link from its start output → the first admin → a runner key made in the console and used by
// a runner process that appears on the Runners page → a viewer who cannot see admin pages → the audit page →
// a session whose program emits a custom event, a result and an artifact, all shown on its page → logout.
// Screenshots are kept under test-output/console/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freshDataDir,
  REPO_ROOT,
  type RunnerProcess,
  type ServerProcess,
  startRunnerProcess,
  startServeProcess,
} from '../support/processes.ts';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'correct horse battery';
const SHOTS = path.join(REPO_ROOT, 'test-output', 'console');
const hasChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('the first run in a browser', () => {
  let root: string;
  let server: ServerProcess;
  let runner: RunnerProcess | undefined;
  let browser: Browser;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-first-run-browser-'));
    server = await startServeProcess({ RUNPLANE_DATA_DIR: freshDataDir(path.join(root, 'data')) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await browser?.close();
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function newPage(label: string, options: { width?: number; dark?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: 860 },
      colorScheme: options.dark ? 'dark' : 'light',
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${label}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${label}: ${error.message}`));
    return page;
  }

  async function logIn(page: Page, email: string) {
    await page.goto(`${server.url}/console/runners`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/console\/runners$/);
  }

  it('walks from the setup link to a finished session, with a viewer kept out of admin pages', async () => {
    // 1. The setup link from the start output; the first admin is made in the browser.
    const link = /(http:\/\/\S+\/console\/setup\?token=\S+)/.exec(server.output())?.[1];
    expect(link, server.output()).toBeDefined();
    const admin = await newPage('admin');
    await admin.goto(link!);
    await admin.getByLabel('Organisation (slug)').fill('acme');
    await admin.getByLabel('Admin email').fill('root@acme.test');
    await admin.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
    await admin.getByLabel('Repeat the password').fill(PASSWORD);
    await admin.screenshot({ path: path.join(SHOTS, 'setup.png') });
    await admin.getByRole('button', { name: 'Create organisation' }).click();
    await admin.waitForURL(/\/console\/keys$/);
    await admin.getByText('No keys yet').waitFor();

    // 2. A runner key, shown once.
    const createKey = admin.getByRole('form', { name: 'Create a key' });
    await createKey.getByLabel('Name', { exact: true }).fill('box-1');
    await createKey.getByRole('button', { name: 'Create key' }).click();
    const secret = (await admin.getByTestId('new-key').locator('code').textContent())!.trim();
    expect(secret).toMatch(/^rp_/);
    await admin.locator('tr[data-key="box-1"]').waitFor();
    expect(await admin.locator('tr[data-key="box-1"]').textContent()).toContain('runner');
    await admin.screenshot({ path: path.join(SHOTS, 'keys.png') });

    // 3. A profile with a readable id, and a runner process using the new key.
    await admin.getByRole('link', { name: 'Profiles' }).click();
    const createProfile = admin.getByRole('form', { name: 'Create a profile' });
    await createProfile.getByLabel('Name', { exact: true }).fill('Nightly jobs');
    await createProfile.getByLabel(/^Id/).fill('nightly');
    await createProfile.getByRole('button', { name: 'Create profile' }).click();
    await admin.waitForURL(/\/console\/profiles\/nightly$/);
    await admin.getByLabel('Version').fill('1.0.0');
    await admin.getByLabel('Image reference').fill('local/jobs:1.0.0');
    await admin.getByRole('button', { name: 'Add revision' }).click();
    await admin.locator('tr[data-harness="1.0.0"]').waitFor();
    await admin.screenshot({ path: path.join(SHOTS, 'profile.png') });

    const program = path.join(root, 'job.sh');
    fs.writeFileSync(
      program,
      `#!/bin/sh
cat > /dev/null
echo "starting the job"
echo '::runplane::{"event":{"type":"tool_call","level":"info","message":"called grep","data":{"tool":"grep"}}}'
printf 'the report' > report.txt
echo '::runplane::{"artifact":{"path":"report.txt","content_type":"text/plain"}}'
echo '::runplane::{"result":{"answer":42,"verdict":"all good"}}'
`,
      { mode: 0o755 },
    );
    runner = startRunnerProcess(
      [
        '--server',
        server.url,
        '--id',
        'box-1',
        '--profiles',
        'nightly',
        '--session-command',
        program,
        '--heartbeat',
        '1',
        '--work-dir',
        path.join(root, 'work'),
      ],
      { RUNPLANE_API_KEY: secret },
    );
    await runner.waitFor('registered');
    await admin.getByRole('link', { name: 'Runners' }).click();
    await admin.locator('tr[data-runner="box-1"]').waitFor({ timeout: 15_000 });
    await admin.screenshot({ path: path.join(SHOTS, 'runners-first.png') });

    // 4. A viewer, created in the console.
    await admin.getByRole('link', { name: 'Users' }).click();
    const createUser = admin.getByRole('form', { name: 'Create a user' });
    await createUser.getByLabel('Email').fill('viewer@acme.test');
    await createUser.getByLabel('Role').selectOption('viewer');
    await createUser.getByLabel(/Initial password/).fill(PASSWORD);
    await createUser.getByRole('button', { name: 'Create user' }).click();
    await admin.locator('tr[data-user="viewer@acme.test"]').waitFor();
    await admin.screenshot({ path: path.join(SHOTS, 'users.png') });

    // 5. The audit page shows what was done, by whom.
    await admin.getByRole('link', { name: 'Audit' }).click();
    for (const action of ['setup', 'POST /v1/admin/keys', 'POST /v1/admin/users', 'POST /v1/runners/profiles']) {
      await admin.locator(`tr[data-audit="${action}"]`).first().waitFor();
    }
    expect(await admin.locator('tr[data-audit="POST /v1/admin/users"]').textContent()).toContain('user:root@acme.test');
    await admin.getByLabel('Action').fill('admin/keys');
    await admin.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(1);
    await admin.screenshot({ path: path.join(SHOTS, 'audit.png') });

    // 6. A session: the runner's program emits a custom event, an artifact and a result; the page shows them.
    await admin.getByRole('link', { name: 'Sessions' }).click();
    await admin.getByLabel('Task id').fill('nightly-1');
    await admin.getByRole('combobox', { name: 'Profile' }).last().selectOption('nightly');
    await admin.getByLabel('Input (JSON)').fill('{"branch":"main"}');
    await admin.getByRole('button', { name: 'Dispatch' }).click();
    await admin.waitForURL(/\/console\/sessions\/[0-9a-f-]{36}$/);
    await admin.getByTestId('state').getByText('succeeded').waitFor({ timeout: 30_000 });
    await admin.locator('[data-testid="log-tail"] [data-type="tool_call"]').getByText('called grep').waitFor();
    await admin.getByTestId('result').getByText('"verdict": "all good"').waitFor();
    expect(await admin.getByTestId('input').textContent()).toContain('"branch": "main"');
    const artifact = admin.getByTestId('artifacts').locator('li');
    await artifact.getByText('report.txt').waitFor();
    // sha256 of "the report"
    expect(await artifact.textContent()).toContain('10 B');
    expect(await artifact.textContent()).toMatch(/[0-9a-f]{64}/);
    expect(await admin.getByTestId('attempts').textContent()).toContain('box-1');
    expect(await admin.locator('.summary').textContent()).toContain('Nightly jobs');
    await admin.screenshot({ path: path.join(SHOTS, 'session-finished.png'), fullPage: true });

    // 7. The viewer sees no admin page, in the menu or by address; an unknown route is a not-found page.
    const viewer = await newPage('viewer', { width: 390, dark: true });
    await logIn(viewer, 'viewer@acme.test');
    const menu = await viewer.getByRole('navigation', { name: 'Sections' }).textContent();
    for (const hidden of ['Keys', 'Users', 'Audit']) expect(menu).not.toContain(hidden);
    await viewer.locator('tr[data-runner="box-1"]').waitFor();
    await viewer.screenshot({ path: path.join(SHOTS, 'runners-viewer-dark-narrow.png') });
    for (const adminPage of ['keys', 'users', 'audit']) {
      await viewer.goto(`${server.url}/console/${adminPage}`);
      await viewer.getByTestId('not-found').waitFor();
    }
    await viewer.goto(`${server.url}/console/no-such-page`);
    await viewer.getByTestId('not-found').waitFor();
    await viewer.screenshot({ path: path.join(SHOTS, 'not-found.png') });

    // 8. Logout ends the session: the console asks to log in again.
    await admin.getByRole('button', { name: 'Log out' }).click();
    await admin.waitForURL(/\/console\/login/);
    await admin.goto(`${server.url}/console/keys`);
    await admin.waitForURL(/\/console\/login/);

    expect(consoleErrors).toEqual([]);
    for (const shot of ['setup.png', 'keys.png', 'users.png', 'audit.png', 'session-finished.png']) {
      expect(fs.statSync(path.join(SHOTS, shot)).size).toBeGreaterThan(1000);
    }
  }, 180_000);
});
