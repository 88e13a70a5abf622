import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReviewContext, ReviewerOutputError, runReview } from '../../src/agent/review/run-review.ts';
import { InvalidTaskInput } from '../../src/agent/task-input.ts';
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-services.ts';
import { createReviewRepo, type ReviewRepo } from '../support/git-repo.ts';

let repo: ReviewRepo;
let root: string;
/** Every git command the agent runs goes through this wrapper on PATH, which logs its arguments here. */
let gitLog: string;
let savedPath: string | undefined;

beforeAll(() => {
  repo = createReviewRepo();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-review-run-'));
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  gitLog = path.join(root, 'git-calls.log');
  const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim();
  fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> '${gitLog}'\nexec '${realGit}' "$@"\n`, {
    mode: 0o755,
  });
  savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath}`;
  // The agent's own secrets, which must reach no child.
  process.env.RUNPLANE_API_KEY = 'rp_agent_secret';
  process.env.RUNPLANE_LLM_API_KEY = 'llm_agent_secret';
});

afterAll(() => {
  process.env.PATH = savedPath;
  delete process.env.RUNPLANE_API_KEY;
  delete process.env.RUNPLANE_LLM_API_KEY;
  repo.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
});

const gitCalls = () => (fs.existsSync(gitLog) ? fs.readFileSync(gitLog, 'utf8').trim().split('\n') : []);

const task = (overrides: Record<string, unknown> = {}) => ({
  id: 'task-0001-abcdef',
  reviewId: 'rev-1',
  repositoryUrl: repo.url,
  branch: 'feature/x',
  commitSha: repo.headSha,
  baseSha: repo.baseSha,
  files: [],
  aiConfig: { provider: 'openai', model: 'gpt-b' },
  attempt: 2,
  ...overrides,
});

function context(overrides: Partial<ReviewContext> = {}) {
  const phases: string[] = [];
  const logs: string[] = [];
  const workDir = fs.mkdtempSync(path.join(root, 'task-'));
  const ctx: ReviewContext = {
    workDir,
    signal: new AbortController().signal,
    phase: async (phase) => {
      phases.push(phase);
    },
    log: (line) => logs.push(line),
    llm: { baseUrl: 'http://127.0.0.1:1/v1', models: ['gpt-a', 'gpt-b'], apiKey: 'llm-key', tokenBudget: 12_000 },
    reviewerCommand: null,
    executor: 'process',
    timeoutMs: 30_000,
    graceMs: 300,
    allowFileRepos: true,
    maxOutputBytes: 1024 * 1024,
    runAs: null,
    ...overrides,
  };
  return { ctx, phases, logs, workDir };
}

describe('runReview refuses a hostile task before it runs anything', () => {
  const marker = () => path.join(root, 'pwned');
  const rows: [string, () => unknown, string, Partial<ReviewContext>?][] = [
    ['branch --upload-pack=…', () => task({ branch: `--upload-pack=touch ${marker()};` }), 'branch'],
    ['URL ext::sh -c …', () => task({ repositoryUrl: `ext::sh -c touch% ${marker()}` }), 'repositoryUrl'],
    ['file:// without --allow-file-repos', () => task(), 'repositoryUrl', { allowFileRepos: false }],
    [
      'SHA with spaces',
      () => task({ commitSha: `${repo.headSha.slice(0, 20)} ${repo.headSha.slice(21)}` }),
      'commitSha',
    ],
    ['base SHA as an option', () => task({ baseSha: `--output=${marker()}` }), 'baseSha'],
    [
      'path ../../etc/passwd',
      () => task({ files: [{ path: '../../etc/passwd', status: 'modified' }] }),
      'files[0].path',
    ],
    ['aiConfig.model not in --llm-models', () => task({ aiConfig: { model: 'gpt-x' } }), 'aiConfig.model'],
    ['/v1 input {}', () => ({ id: 'sess-1', attempt: 1, input: {} }), 'repositoryUrl'],
  ];

  it.each(rows)(
    '%s → InvalidTaskInput naming the field; no git, no phase, no file',
    async (_name, input, field, extra) => {
      const before = gitCalls().length;
      const { ctx, phases, logs, workDir } = context(extra);
      const error = await runReview(input(), ctx).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(InvalidTaskInput);
      expect((error as InvalidTaskInput).field).toBe(field);
      expect((error as Error).message.startsWith(field)).toBe(true);
      expect(gitCalls().length).toBe(before);
      expect(phases).toEqual([]);
      expect(logs).toEqual([]);
      expect(fs.readdirSync(workDir)).toEqual([]);
      expect(fs.existsSync(marker())).toBe(false);
    },
  );

  it('the same task with valid fields does run git (the wrapper sees it)', async () => {
    const before = gitCalls().length;
    const { ctx, phases } = context({ reviewerCommand: `cat > /dev/null; echo '{"files":[]}'` });
    await runReview(task(), ctx);
    const calls = gitCalls().slice(before);
    expect(calls.length).toBeGreaterThan(0);
    // Every command carries the transport allow-list and runs no hooks; positional arguments follow `--`.
    for (const call of calls) {
      expect(call).toContain('-c protocol.allow=never');
      expect(call).toContain('-c core.hooksPath=/dev/null');
    }
    expect(calls.find((c) => c.includes(' fetch '))).toContain(`-- origin ${repo.headSha}`);
    expect(calls.find((c) => c.includes(' remote add '))).toContain(`remote add -- origin ${repo.url}`);
    expect(phases).toEqual(['preparing', 'cloning', 'reviewing', 'submitting']);
  });
});

describe('external reviewer', () => {
  it('gets the task on stdin, the checkout as cwd, RUNPLANE_TASK_ID, a private HOME and no agent secret', async () => {
    const { ctx, logs, workDir } = context({
      reviewerCommand: [
        'cat > "$HOME/task.json"',
        'env > "$HOME/env.txt"',
        'pwd > "$HOME/pwd.txt"',
        'echo "reading the diff" >&2',
        `echo '{"files":[{"path":"src/util.ts","comments":[{"line":2,"severity":"major","body":"Overflow?"}]}],"rating":"C"}'`,
      ].join('; '),
    });
    // The model check belongs to the built-in reviewer; an external one may get any model name as data.
    const result = await runReview(task({ aiConfig: { model: 'n/a', baseUrl: 'http://x' } }), ctx);
    expect(result).toMatchObject({
      status: 'success',
      totalComments: 1,
      rating: 'C',
      files: [{ path: 'src/util.ts', comments: [{ line: 2, severity: 'major', body: 'Overflow?' }] }],
    });
    const home = path.join(workDir, 'home');
    const stdin = JSON.parse(fs.readFileSync(path.join(home, 'task.json'), 'utf8'));
    expect(stdin).toMatchObject({ id: 'task-0001-abcdef', commitSha: repo.headSha, aiConfig: { model: 'n/a' } });
    expect(stdin.aiConfig.baseUrl).toBeUndefined();
    expect(stdin.files.map((f: { path: string }) => f.path).sort()).toEqual(['src/app.ts', 'src/util.ts']);
    const env = fs.readFileSync(path.join(home, 'env.txt'), 'utf8');
    expect(env).toContain('RUNPLANE_TASK_ID=task-0001-abcdef');
    expect(env).toContain(`HOME=${home}`);
    expect(env).not.toMatch(/RUNPLANE_(?!TASK_ID)/);
    expect(env).not.toContain('secret');
    expect(fs.readFileSync(path.join(home, 'pwd.txt'), 'utf8').trim()).toBe(path.join(workDir, 'checkout'));
    expect(logs).toContain('reading the diff');
  });

  const failures: [string, string, RegExp | string, (new (message: string) => Error)?][] = [
    [
      'an unknown severity',
      `echo '{"files":[{"path":"a","comments":[{"line":1,"severity":"warning","body":"b"}]}]}'`,
      'reviewer output files[0].comments[0].severity "warning" is not one of info, minor, major, critical',
      ReviewerOutputError,
    ],
    [
      'a progress line on stdout',
      `echo working; echo '{"files":[]}'`,
      'reviewer output is not one JSON document (write progress to stderr): "working\\n{',
      ReviewerOutputError,
    ],
    [
      'more output than --max-output-bytes',
      'yes x | head -c 5000000',
      'reviewer output exceeded --max-output-bytes (1048576 bytes)',
      ReviewerOutputError,
    ],
    [
      'a non-zero exit',
      'echo "starting" >&2; echo "no credentials for the model" >&2; exit 3',
      'the reviewer command exited with 3; its last line on stderr: no credentials for the model',
    ],
    ['death by a signal', 'kill -9 $$', 'the reviewer command was killed by SIGKILL'],
  ];

  it.each(failures)('%s fails the review with a message saying so', async (_name, command, message, kind) => {
    const { ctx } = context({ reviewerCommand: `cat > /dev/null; ${command}` });
    const error = (await runReview(task(), ctx).catch((thrown: unknown) => thrown)) as Error;
    expect(error).toBeInstanceOf(kind ?? Error);
    expect(error.message).toContain(message);
  });

  const asRoot = process.getuid?.() === 0 && execFileSync('id', ['-u', 'nobody']).toString().trim() !== '';
  it.skipIf(!asRoot)('with --run-as, git and the reviewer run as that user', async () => {
    const nobody = {
      uid: Number(execFileSync('id', ['-u', 'nobody'])),
      gid: Number(execFileSync('id', ['-g', 'nobody'])),
    };
    // git refuses to read a repository another user owns (safe.directory): this one is served as nobody's.
    const own = createReviewRepo();
    const served = path.dirname(new URL(own.url).pathname);
    fs.chmodSync(served, 0o755);
    execFileSync('chown', ['-R', `${nobody.uid}:${nobody.gid}`, served]);
    fs.chmodSync(root, 0o755);
    const { ctx, workDir } = context({
      runAs: { ...nobody, home: '/nonexistent' },
      reviewerCommand: `cat > /dev/null; id -u > "$HOME/uid"; echo '{"files":[]}'`,
    });
    await runReview(task({ repositoryUrl: own.url, commitSha: own.headSha, baseSha: own.baseSha }), ctx).finally(
      own.cleanup,
    );
    expect(fs.readFileSync(path.join(workDir, 'home/uid'), 'utf8').trim()).toBe(String(nobody.uid));
    expect(fs.statSync(path.join(workDir, 'checkout/src/util.ts')).uid).toBe(nobody.uid);
    expect(fs.statSync(path.join(workDir, 'checkout/.git')).uid).toBe(nobody.uid);
  });
});

/** Records every request it receives and answers 404. */
async function recorder() {
  const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('built-in reviewer: the LLM key goes only to --llm-base-url', () => {
  let openai: FakeOpenAi;
  let elsewhere: Awaited<ReturnType<typeof recorder>>;

  beforeAll(async () => {
    openai = await startFakeOpenAi();
    elsewhere = await recorder();
  });

  afterAll(async () => {
    await openai.close();
    await elsewhere.close();
  });

  const llm = () => ({
    baseUrl: `${openai.url}/v1`,
    models: ['gpt-a', 'gpt-b'],
    apiKey: 'llm-key',
    tokenBudget: 12_000,
  });

  it("a task's aiConfig.baseUrl and apiKey are ignored: the runner's endpoint gets the key, the other server nothing", async () => {
    openai.requests.length = 0;
    const { ctx } = context({ llm: llm() });
    const hostile = task({
      aiConfig: { provider: 'openai', model: 'gpt-b', baseUrl: `${elsewhere.url}/v1`, apiKey: 'task-key' },
    });
    const result = await runReview(hostile, ctx);
    expect(result.status).toBe('success');
    expect(result.totalComments).toBeGreaterThan(0);
    expect(openai.requests.length).toBeGreaterThan(0);
    expect(openai.requests.every((r) => r.authorization === 'Bearer llm-key' && r.model === 'gpt-b')).toBe(true);
    expect(elsewhere.seen).toEqual([]);
  });

  it('a task without a model gets the first of --llm-models', async () => {
    openai.requests.length = 0;
    const { ctx } = context({ llm: llm() });
    await runReview(task({ aiConfig: {} }), ctx);
    expect(openai.requests.map((r) => r.model)).toContain('gpt-a');
    expect(openai.requests.every((r) => r.model === 'gpt-a')).toBe(true);
  });

  it('an endpoint that redirects does not carry the key on: the review fails', async () => {
    const redirect = http.createServer((_request, response) => {
      response.writeHead(307, { location: `${elsewhere.url}/v1/chat/completions` }).end();
    });
    await new Promise<void>((resolve) => redirect.listen(0, '127.0.0.1', resolve));
    const { port } = redirect.address() as AddressInfo;
    const { ctx } = context({ llm: { ...llm(), baseUrl: `http://127.0.0.1:${port}/v1` } });
    await expect(runReview(task(), ctx)).rejects.toThrow(
      'the model endpoint (--llm-base-url) could not be used: unexpected redirect',
    );
    await new Promise<void>((resolve) => redirect.close(() => resolve()));
    expect(elsewhere.seen).toEqual([]);
  });
});
