// The published package, not the checkout (issue 15): `npm pack` of a copy of the sources, installed with
// `--omit=dev` into an empty directory, runs `runplane serve` (console included) and `runplane runner` from compiled
// JavaScript, and a review goes from dispatch to succeeded through them.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandReviewOf, createReviewRepo, type ReviewRepo } from '../support/git-repo.ts';
import { freePort } from '../support/postgres-cluster.ts';
import { REPO_ROOT } from '../support/processes.ts';
import { client } from '../support/server.ts';
import { until } from '../support/wait.ts';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The environment of a user's shell: nothing of this test run's RUNPLANE_* or NODE_OPTIONS (no tsx loader). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('RUNPLANE_') && !name.startsWith('VITEST') && name !== 'NODE_OPTIONS') env[name] = value;
  }
  return { ...env, RUNPLANE_LOG_LEVEL: 'warn', ...extra };
}

describe('the npm package', () => {
  let root: string;
  let installed: string;
  let repo: ReviewRepo;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-package-'));
    // Build from a copy, so the checkout's console/dist (served to other tests meanwhile) is never rebuilt.
    const source = path.join(root, 'source');
    const entries = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'tsconfig.client.json',
    ];
    for (const entry of [...entries, 'README.md']) {
      fs.cpSync(path.join(REPO_ROOT, entry), path.join(source, entry));
    }
    for (const dir of ['src', 'scripts'])
      fs.cpSync(path.join(REPO_ROOT, dir), path.join(source, dir), { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, 'console'), path.join(source, 'console'), {
      recursive: true,
      filter: (file) => !file.includes(`${path.sep}dist`),
    });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(source, 'node_modules'));
    execFileSync(NPM, ['pack', '--silent', '--pack-destination', root], {
      cwd: source,
      env: cleanEnv({}),
      stdio: 'pipe',
    });
    const tarball = fs.readdirSync(root).find((file) => file.endsWith('.tgz'))!;
    installed = path.join(root, 'app');
    fs.mkdirSync(installed);
    fs.writeFileSync(path.join(installed, 'package.json'), '{"name":"runplane-user","private":true}');
    execFileSync(
      NPM,
      ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', path.join(root, tarball)],
      { cwd: installed, env: cleanEnv({}), stdio: 'pipe' },
    );
    repo = createReviewRepo();
  }, 300_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
      ),
    );
    repo?.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const bin = () => path.join(installed, 'node_modules', '.bin', 'runplane');
  const run = (args: string[], env: Record<string, string> = {}) =>
    execFileSync(bin(), args, { cwd: installed, env: cleanEnv(env), encoding: 'utf8' });

  function start(args: string[], env: Record<string, string>, ready: string): Promise<{ output: () => string }> {
    const child = spawn(bin(), args, { cwd: installed, env: cleanEnv(env) });
    children.push(child);
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${ready}" in:\n${output}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes(ready)) {
          clearTimeout(timer);
          resolve({ output: () => output });
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`exited ${code} before "${ready}":\n${output}`)));
    });
  }

  it('installs without dev dependencies and runs compiled JavaScript: serve, console, keys over --server, runner, a review', async () => {
    const modules = path.join(installed, 'node_modules');
    expect(fs.existsSync(path.join(modules, 'runplane', 'dist', 'cli', 'main.js'))).toBe(true);
    expect(fs.existsSync(path.join(modules, 'runplane', 'src'))).toBe(false);
    for (const devOnly of ['tsx', 'vite', 'typescript', 'vitest'])
      expect(fs.existsSync(path.join(modules, devOnly))).toBe(false);
    expect(run(['--version']).trim()).toBe(
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version,
    );

    const env = { RUNPLANE_DATA_DIR: path.join(root, 'data') };
    const adminKey = run(['keys', 'create', '--org', 'acme', '--scopes', 'admin'], env).trim().split('\n').at(-1)!;
    const port = await freePort();
    const server = await start(['serve'], { ...env, PORT: String(port) }, 'listening on');
    const url = `http://127.0.0.1:${port}`;
    await until(
      () => Promise.resolve(server.output()),
      (text) => text.includes('next: log in'),
      10_000,
    );

    const page = await fetch(`${url}/console/login`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = /\/console\/assets\/[^"]+\.js/.exec(html)![0];
    expect((await fetch(url + asset)).status).toBe(200);

    const runnerKey = run(['keys', 'create', '--server', url, '--runner', '--name', 'pkg'], {
      RUNPLANE_API_KEY: adminKey,
    })
      .trim()
      .split('\n')
      .at(-1)!;
    const reviewer = `cat > /dev/null; echo '{"files":[{"path":"src/app.ts","comments":[{"line":3,"severity":"minor","body":"from the package"}]}],"rating":"B"}'`;
    await start(
      [
        'runner',
        '--server',
        url,
        '--id',
        'pkg-runner',
        '--reviewer-command',
        reviewer,
        '--allow-file-repos',
        '--work-dir',
        path.join(root, 'work'),
      ],
      { RUNPLANE_API_KEY: runnerKey },
      'registered',
    );
    const api = client(url, adminKey);
    const review = await api.post('/api/reviews', commandReviewOf(repo));
    expect(review.status).toBe(201);
    const done = await until(
      async () => (await api.get(`/api/reviews/${review.body.data.id}`)).body.data,
      (r) => ['succeeded', 'failed', 'cancelled'].includes(r.status),
      60_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', rating: 'B', totalComments: 1, runnerId: 'pkg-runner' });

    // The API reference is served from the package (Swagger UI's own files, no CDN).
    const docs = await fetch(`${url}/docs/static/index.html`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');

    // runplane/client: a user's strict TypeScript compiles against the package's types, and the code runs.
    fs.writeFileSync(
      path.join(installed, 'use-client.mts'),
      [
        "import { createRunplaneClient, type Review } from 'runplane/client';",
        `const runplane = createRunplaneClient({ baseUrl: '${url}', apiKey: '${adminKey}' });`,
        `const { data } = await runplane.GET('/api/reviews/{id}', { params: { path: { id: '${review.body.data.id}' } } });`,
        'const review: Review | undefined = data?.data;',
        'console.log(review?.status);',
        '',
      ].join('\n'),
    );
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = spawnSync(
      process.execPath,
      [
        tsc,
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        'use-client.mts',
      ],
      { cwd: installed, env: cleanEnv({}), encoding: 'utf8' },
    );
    expect(compiled.stdout + compiled.stderr).toBe('');
    // tsc wrote use-client.mjs beside it: run it.
    const used = execFileSync(process.execPath, ['use-client.mjs'], {
      cwd: installed,
      env: cleanEnv({}),
      encoding: 'utf8',
    });
    expect(used.trim()).toBe('succeeded');
  }, 180_000);
});
