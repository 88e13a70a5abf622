// Executors run a task's program isolated: `process` starts it in its own process group with a cleaned
// environment and a wall-clock timeout; `container` runs it with docker or podman, no network, the work dir
// mounted. Cancel and timeout stop the whole group: SIGTERM, then SIGKILL after a grace period.
import { spawn, spawnSync } from 'node:child_process';

export interface RunRequest {
  command: string;
  cwd: string;
  stdin: string;
  /** Environment the program gets (nothing is inherited beyond PATH, HOME, LANG). */
  env: Record<string, string>;
  timeoutMs: number;
  graceMs: number;
  signal: AbortSignal;
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Container image (container executor only). */
  image?: string;
}

export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  reason: 'exited' | 'timeout' | 'cancelled';
}

const BASE_ENV = ['PATH', 'HOME', 'LANG', 'TMPDIR'];

export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BASE_ENV) if (process.env[name]) env[name] = process.env[name]!;
  return { ...env, ...extra };
}

/** Arguments for `docker|podman run`: removed after, no network, only the work dir, the program via sh. */
export function containerArgs(request: { image: string; cwd: string; command: string; env: Record<string, string> }) {
  return [
    'run',
    '--rm',
    '-i',
    '--network',
    'none',
    '--volume',
    `${request.cwd}:/work`,
    '--workdir',
    '/work',
    ...Object.entries(request.env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    request.image,
    'sh',
    '-c',
    request.command,
  ];
}

/** The first container engine on PATH, or null (the container executor is unusable without one). */
export function findContainerEngine(): 'docker' | 'podman' | null {
  for (const engine of ['docker', 'podman'] as const) {
    if (spawnSync(engine, ['--version'], { stdio: 'ignore' }).status === 0) return engine;
  }
  return null;
}

export function runProgram(kind: 'process' | 'container', request: RunRequest): Promise<RunOutcome> {
  let file = 'sh';
  let args = ['-c', request.command];
  if (kind === 'container') {
    const engine = findContainerEngine();
    if (!engine) throw new Error('the container executor needs docker or podman on PATH; use --executor process');
    if (!request.image) throw new Error('the container executor needs an image (the harness revision image_ref)');
    file = engine;
    args = containerArgs({ image: request.image, cwd: request.cwd, command: request.command, env: request.env });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let reason: RunOutcome['reason'] = 'exited';
    let stdout = '';
    let killTimer: NodeJS.Timeout | undefined;
    const stopGroup = (why: RunOutcome['reason']) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      reason = why;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {}
      killTimer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
      }, request.graceMs);
    };
    const timeout = setTimeout(() => stopGroup('timeout'), request.timeoutMs);
    const onAbort = () => stopGroup('cancelled');
    request.signal.addEventListener('abort', onAbort, { once: true });
    const lines = (stream: 'stdout' | 'stderr') => {
      let rest = '';
      return (chunk: Buffer) => {
        const text = rest + chunk.toString('utf8');
        if (stream === 'stdout') stdout += chunk.toString('utf8');
        const parts = text.split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) request.onLine(line, stream);
      };
    };
    child.stdout.on('data', lines('stdout'));
    child.stderr.on('data', lines('stderr'));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timeout);
      // A stop in progress keeps its SIGKILL: a grandchild that ignored SIGTERM may still hold the group.
      killTimer?.unref();
      request.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, stdout, reason });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(request.stdin);
    if (request.signal.aborted) onAbort();
  });
}
