// The process executor with real programs: it always ends what it started and reads output whole.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanEnv, containerArgs, killAllRuns, type RunRequest, runProgram } from '../../src/agent/executor.ts';
import { ENDED_STATES, processState, until } from '../support/wait.ts';

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

function run(command: string, overrides: Partial<RunRequest> = {}) {
  const lines: [string, string][] = [];
  const outcome = runProgram('process', {
    command,
    cwd: '/tmp',
    stdin: '',
    env: cleanEnv({}),
    timeoutMs: 60_000,
    graceMs: 300,
    signal: new AbortController().signal,
    onLine: (line, stream) => lines.push([stream, line]),
    ...overrides,
  });
  return { outcome, lines };
}

const pidsIn = (lines: [string, string][]) =>
  lines.filter(([, line]) => /^pid \d+$/.test(line)).map(([, line]) => Number(line.slice(4)));

describe('runProgram (process)', () => {
  it('returns when the program exits even though a background child holds its pipes, and stops that child', async () => {
    const { outcome, lines } = run('sleep 1000 & echo "pid $!"; echo done');
    const result = await outcome;
    expect(result).toMatchObject({ exitCode: 0, reason: 'exited' });
    const [sleeper] = pidsIn(lines);
    leftovers.push(sleeper!);
    expect(ENDED_STATES).toContain(
      await until(
        async () => processState(sleeper!),
        (s) => ENDED_STATES.includes(s),
        3000,
      ),
    );
  });

  it('a cancel stops a group that ignores SIGTERM after the grace, leader gone or not', async () => {
    const abort = new AbortController();
    const { outcome, lines } = run(`trap '' TERM; (trap '' TERM; sleep 1000) & echo "pid $!"; sleep 1000`, {
      signal: abort.signal,
      graceMs: 200,
    });
    await until(
      async () => lines.length,
      (n) => n > 0,
      3000,
    );
    abort.abort();
    const result = await outcome;
    expect(result.reason).toBe('cancelled');
    const [child] = pidsIn(lines);
    leftovers.push(child!);
    expect(ENDED_STATES).toContain(
      await until(
        async () => processState(child!),
        (s) => ENDED_STATES.includes(s),
        3000,
      ),
    );
  });

  it('returns within grace + 1 s when a process outside the group (setsid) keeps the pipes open', async () => {
    const abort = new AbortController();
    const { outcome, lines } = run('setsid sh -c \'echo "pid $$"; exec sleep 1000\' & sleep 1000', {
      signal: abort.signal,
      graceMs: 200,
    });
    await until(
      async () => pidsIn(lines).length,
      (n) => n > 0,
      3000,
    );
    leftovers.push(...pidsIn(lines));
    abort.abort();
    const result = await outcome;
    expect(result.reason).toBe('cancelled');
  });

  it('keeps multi-byte characters split across chunks whole and the last line without a newline', async () => {
    const { outcome, lines } = run(
      `printf '\\303'; sleep 0.2; printf '\\251t\\342\\202'; sleep 0.2; printf '\\254\\n'; printf '::runplane::{"result":1}'`,
    );
    const result = await outcome;
    expect(lines).toEqual([
      ['stdout', 'ét€'],
      ['stdout', '::runplane::{"result":1}'],
    ]);
    expect(result.stdout).toBe('ét€\n::runplane::{"result":1}');
  });

  it('stops a program past --max-output-bytes with reason output_limit instead of buffering it', async () => {
    const { outcome } = run('yes runplane', { maxOutputBytes: 1024 * 1024 });
    const result = await outcome;
    expect(result.reason).toBe('output_limit');
    expect(result.stdout.length).toBeLessThanOrEqual(1024 * 1024);
  });

  it('killAllRuns SIGKILLs every running group (the agent’s last act on a drain timeout)', async () => {
    const { outcome, lines } = run(`trap '' TERM; sleep 1000 & echo "pid $!"; wait`);
    await until(
      async () => pidsIn(lines).length,
      (n) => n > 0,
      3000,
    );
    leftovers.push(...pidsIn(lines));
    expect(killAllRuns()).toBe(1);
    const result = await outcome;
    expect(result.signal).toBe('SIGKILL');
  });

  it('gives the program no variable of the agent beyond PATH and locale', async () => {
    process.env['RUNPLANE_API_KEY'] = 'rp_secret';
    try {
      const { outcome, lines } = run('env', { env: cleanEnv({ RUNPLANE_TASK_ID: 't1' }, '/tmp') });
      await outcome;
      const names = lines.map(([, line]) => line.split('=')[0]).sort();
      expect(names.filter((name) => name?.startsWith('RUNPLANE_'))).toEqual(['RUNPLANE_TASK_ID']);
      expect(names).not.toContain('RUNPLANE_API_KEY');
    } finally {
      delete process.env['RUNPLANE_API_KEY'];
    }
  });
});

describe('containerArgs', () => {
  it('names the container, adds --init, read-only root, limits, no network, and ends options before the image', () => {
    const args = containerArgs({
      name: 'runplane-abc',
      image: 'ghcr.io/x/h:1',
      cwd: '/tmp/w',
      command: 'run.sh',
      env: { A: '1' },
      limits: { memory: '512m', cpus: '1' },
    });
    expect(args.slice(0, 5)).toEqual(['run', '--rm', '-i', '--name', 'runplane-abc']);
    for (const flag of ['--init', '--read-only']) expect(args).toContain(flag);
    expect(args.join(' ')).toContain('--network none');
    expect(args.join(' ')).toContain('--memory 512m --cpus 1');
    expect(args.slice(-5)).toEqual(['--', 'ghcr.io/x/h:1', 'sh', '-c', 'run.sh']);
  });

  it('mounts the permission answers directory read-only where the program is told to look', () => {
    const args = containerArgs({
      name: 'runplane-abc',
      image: 'img',
      cwd: '/tmp/w',
      command: 'run.sh',
      env: { RUNPLANE_PERMISSIONS_DIR: '/runplane/answers' },
      answersDir: '/var/lib/runplane/answers-x',
    });
    expect(args.join(' ')).toContain('--volume /var/lib/runplane/answers-x:/runplane/answers:ro');
    expect(args.join(' ')).toContain('--env RUNPLANE_PERMISSIONS_DIR=/runplane/answers');
    expect(args.indexOf('--volume')).toBeLessThan(args.indexOf('--'));
  });
});
