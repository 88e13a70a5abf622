import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, containerArgs, runProgram } from '../../src/agent/executor.ts';
import { LogShipper } from '../../src/agent/log-shipper.ts';
import { commentableLines, numberedPatch, parseGitDiff } from '../../src/agent/review/diff.ts';
import { chunkDiff } from '../../src/agent/review/llm-reviewer.ts';
import { backoffMs } from '../../src/delivery/worker.ts';
import { verifyGitHubSignature } from '../../src/intake/github.ts';
import { ENDED_STATES, processState } from '../support/wait.ts';

const DIFF = `diff --git a/src/app.ts b/src/app.ts
index 1..2 100644
--- a/src/app.ts
+++ b/src/app.ts
@@ -1,2 +1,3 @@
 export const a = 1;
-export const b = 3;
+export const b = 2;
+export const c = a + b;
diff --git a/src/new.ts b/src/new.ts
new file mode 100644
--- /dev/null
+++ b/src/new.ts
@@ -0,0 +1,2 @@
+line one
+line two
`;

describe('diff reading', () => {
  it('splits git diff output into files with status and hunks', () => {
    const files = parseGitDiff(DIFF);
    expect(files.map((f) => [f.path, f.status])).toEqual([
      ['src/app.ts', 'modified'],
      ['src/new.ts', 'added'],
    ]);
    expect(files[0]!.patch.startsWith('@@ -1,2 +1,3 @@')).toBe(true);
  });

  it('knows which new-side lines a comment may point at, and numbers them for the model', () => {
    const [app] = parseGitDiff(DIFF);
    expect([...commentableLines(app!.patch)]).toEqual([1, 2, 3]);
    const numbered = numberedPatch(app!.patch).split('\n');
    expect(numbered).toContain('   3 +export const c = a + b;');
    expect(numbered).toContain('     -export const b = 3;');
  });

  it('chunks a diff within the token budget, splitting a large file by hunks', () => {
    const big = {
      path: 'big.ts',
      status: 'modified',
      patch: Array.from({ length: 40 }, (_v, i) => `@@ -${i * 10 + 1},1 +${i * 10 + 1},1 @@\n+${'x'.repeat(200)}`).join(
        '\n',
      ),
    };
    const small = { path: 'small.ts', status: 'added', patch: '@@ -0,0 +1 @@\n+hi' };
    const chunks = chunkDiff([small, big], 1000);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(1000 * 4 + 300);
    expect(chunks.join('\n')).toContain('### small.ts');
    expect(chunks.filter((c) => c.includes('### big.ts')).length).toBeGreaterThan(1);
  });
});

describe('executors', () => {
  it('container arguments: removed after, no network, only the work dir, env passed explicitly', () => {
    expect(containerArgs({ image: 'ghcr.io/x/h:1', cwd: '/tmp/w', command: 'run.sh', env: { A: '1' } })).toEqual([
      'run',
      '--rm',
      '-i',
      '--network',
      'none',
      '--volume',
      '/tmp/w:/work',
      '--workdir',
      '/work',
      '--env',
      'A=1',
      'ghcr.io/x/h:1',
      'sh',
      '-c',
      'run.sh',
    ]);
  });

  it('a cleaned environment keeps PATH and drops secrets', () => {
    process.env.RUNPLANE_LLM_API_KEY_TEST = 'secret';
    const env = cleanEnv({ X: '1' });
    expect(env.X).toBe('1');
    expect(env.PATH).toBeTruthy();
    expect(env.RUNPLANE_LLM_API_KEY_TEST).toBeUndefined();
  });

  it('cancel stops the whole process group: SIGTERM, then SIGKILL after the grace period', async () => {
    const abort = new AbortController();
    const lines: string[] = [];
    const running = runProgram('process', {
      // Both the shell and its background child ignore SIGTERM: only the group SIGKILL ends them.
      command: `trap '' TERM; (trap '' TERM; sleep 60) & echo "child $!"; wait`,
      cwd: process.cwd(),
      stdin: '',
      env: cleanEnv({}),
      timeoutMs: 60_000,
      graceMs: 300,
      signal: abort.signal,
      onLine: (line) => lines.push(line),
    });
    while (!lines.some((l) => l.startsWith('child '))) await new Promise((resolve) => setTimeout(resolve, 20));
    const grandchild = Number(lines.find((l) => l.startsWith('child '))!.split(' ')[1]);
    abort.abort();
    const outcome = await running;
    expect(outcome.reason).toBe('cancelled');
    expect(outcome.signal).toBe('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ENDED_STATES).toContain(processState(grandchild));
  });

  it('a program over its wall-clock limit is stopped with reason timeout', async () => {
    const outcome = await runProgram('process', {
      command: 'sleep 30',
      cwd: process.cwd(),
      stdin: '',
      env: cleanEnv({}),
      timeoutMs: 200,
      graceMs: 200,
      signal: new AbortController().signal,
      onLine: () => {},
    });
    expect(outcome.reason).toBe('timeout');
  });
});

describe('log shipping', () => {
  it('a failed background batch does not crash the agent; the next flush reports it and keeps the line', async () => {
    const spool = path.join(os.tmpdir(), `runplane-spool-${process.pid}.jsonl`);
    const refused = new Error('stale attempt');
    const sent: string[][] = [];
    const shipper = new LogShipper<string>(async (lines) => {
      sent.push(lines);
      throw refused;
    }, spool);
    shipper.push('one');
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(sent).toEqual([['one']]);
    await expect(shipper.flush()).rejects.toBe(refused);
    expect(fs.readFileSync(spool, 'utf8')).toBe('"one"\n');
    fs.rmSync(spool, { force: true });
  });

  it('batches at most 200 lines and removes the spool once everything is sent', async () => {
    const spool = path.join(os.tmpdir(), `runplane-spool-ok-${process.pid}.jsonl`);
    const sent: number[] = [];
    const shipper = new LogShipper<string>(async (lines) => {
      sent.push(lines.length);
    }, spool);
    for (let i = 0; i < 450; i++) shipper.push(`line ${i}`);
    await shipper.flush();
    expect(sent.reduce((a, b) => a + b, 0)).toBe(450);
    expect(Math.max(...sent)).toBeLessThanOrEqual(200);
    expect(fs.existsSync(spool)).toBe(false);
  });
});

describe('webhooks and retries', () => {
  it('verifies X-Hub-Signature-256 over the exact bytes', () => {
    const body = Buffer.from('{"a":1}');
    const good = `sha256=${createHmac('sha256', 's').update(body).digest('hex')}`;
    expect(verifyGitHubSignature('s', body, good)).toBe(true);
    expect(verifyGitHubSignature('s', Buffer.from('{"a":2}'), good)).toBe(false);
    expect(verifyGitHubSignature('other', body, good)).toBe(false);
    expect(verifyGitHubSignature('s', body, undefined)).toBe(false);
    expect(verifyGitHubSignature('s', body, 'sha256=short')).toBe(false);
  });

  it('backs off exponentially with full jitter, capped', () => {
    for (let attempt = 1; attempt < 30; attempt++) {
      const delay = backoffMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(600_000, 1000 * 2 ** (attempt - 1)));
    }
  });
});
