// Executors run a task's program isolated: `process` starts it in its own process group with a minimal environment
// (optionally as another user) and a wall-clock timeout; `container` runs it with docker or podman under a name the
// agent owns, without network, read-only, with --init and resource limits. Invariant: a run always ends what it
// started — cancel, timeout, too much output, or the program's own exit stop the whole group (SIGTERM, SIGKILL after
// the grace), and the run returns within grace + 1 s of the stop whatever the children do with the pipes.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

export interface RunRequest {
  command: string;
  cwd: string;
  stdin: string;
  /** Environment the program gets (build it with cleanEnv: nothing of the agent's is inherited). */
  env: Record<string, string>;
  timeoutMs: number;
  graceMs: number;
  signal: AbortSignal;
  /** Each line of output, whole characters, the last one even without a newline. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Bytes of stdout + stderr after which the program is stopped (reason `output_limit`). */
  maxOutputBytes?: number;
  /** Run the program as this user (the agent must be root); see resolveUser. */
  runAs?: RunAs | null;
  /** A directory the program may read but not write (permission answers); mounted read-only in a container. */
  answersDir?: string;
  /** Container image (container executor only). */
  image?: string;
  /** Container limits (container executor only). */
  limits?: ContainerLimits;
}

export interface RunAs {
  uid: number;
  gid: number;
  home: string;
}

export interface ContainerLimits {
  memory?: string;
  cpus?: string;
}

export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** All of stdout (bounded by maxOutputBytes). */
  stdout: string;
  reason: 'exited' | 'timeout' | 'cancelled' | 'output_limit';
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** A line of output longer than this is handed over in pieces of this size. */
const MAX_LINE_CHARS = 1024 * 1024;
/** How long after SIGKILL a run waits for the pipes to close before it stops reading them. */
const PIPE_WAIT_MS = 1000;

// What a program may inherit from the agent's environment: nothing that can hold a secret.
const BASE_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ'];

/** A minimal environment: PATH, locale and time zone from the agent, a private HOME and TMPDIR, and `extra`. */
export function cleanEnv(extra: Record<string, string>, home?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BASE_ENV) if (process.env[name]) env[name] = process.env[name]!;
  if (home) {
    env['HOME'] = home;
    env['TMPDIR'] = home;
  }
  return { ...env, ...extra };
}

/** Looks up a user for --run-as (uid, gid, home) with `id` and getent; throws a message saying what to do. */
export function resolveUser(name: string): RunAs {
  if (!/^[a-z_][a-z0-9_-]*\$?$/i.test(name)) throw new Error(`--run-as "${name}" is not a user name`);
  const id = (flag: string) => spawnSync('id', [flag, '--', name], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      `--run-as: no user "${name}" on this machine; create it (useradd --system ${name}) or drop the flag`,
    );
  }
  const passwd = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.split(':');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), home: passwd[5] || '/' };
}

/** A container name the agent can stop by (the engine's client process is not the container). */
/** Where a container sees the permission answers directory (read-only). */
export const CONTAINER_ANSWERS_DIR = '/runplane/answers';

export const containerName = () => `runplane-${randomBytes(6).toString('hex')}`;

/**
 * Arguments for `docker|podman run`: named, removed after, no network, read-only root with a private /tmp, an init
 * process that reaps and forwards signals, resource limits, only the work dir mounted, the program via sh.
 */
export function containerArgs(request: {
  name: string;
  image: string;
  cwd: string;
  command: string;
  env: Record<string, string>;
  limits?: ContainerLimits;
  runAs?: RunAs | null;
  answersDir?: string;
}) {
  return [
    'run',
    '--rm',
    '-i',
    '--name',
    request.name,
    '--init',
    '--network',
    'none',
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--security-opt',
    'no-new-privileges',
    '--memory',
    request.limits?.memory ?? '2g',
    '--cpus',
    request.limits?.cpus ?? '2',
    '--pids-limit',
    '1024',
    ...(request.runAs ? ['--user', `${request.runAs.uid}:${request.runAs.gid}`] : []),
    '--volume',
    `${request.cwd}:/work`,
    ...(request.answersDir ? ['--volume', `${request.answersDir}:${CONTAINER_ANSWERS_DIR}:ro`] : []),
    '--workdir',
    '/work',
    ...Object.entries(request.env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    '--',
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

/** Process groups of runs in progress, so the agent can kill every one of them before it exits. */
const runningGroups = new Map<number, () => void>();

/** SIGKILLs every process group (and container) a run started; for the agent's last moments. */
export function killAllRuns(): number {
  const kills = [...runningGroups.values()];
  for (const kill of kills) kill();
  return kills.length;
}

const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone.
  }
};

export function runProgram(kind: 'process' | 'container', request: RunRequest): Promise<RunOutcome> {
  let file = 'sh';
  let args = ['-c', request.command];
  let stopContainer: ((signal: 'TERM' | 'KILL') => void) | null = null;
  if (kind === 'container') {
    const engine = findContainerEngine();
    if (!engine) throw new Error('the container executor needs docker or podman on PATH; use --executor process');
    if (!request.image) throw new Error('the container executor needs an image (the harness revision image_ref)');
    const name = containerName();
    file = engine;
    args = containerArgs({ ...request, image: request.image, name });
    stopContainer = (signal) => {
      spawn(engine, ['kill', '--signal', signal, name], { stdio: 'ignore' }).on('error', () => {});
    };
  }
  const maxOutput = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(request.runAs && kind === 'process' ? { uid: request.runAs.uid, gid: request.runAs.gid } : {}),
      });
    } catch (error) {
      reject(error);
      return;
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.on('error', reject);
      return;
    }
    let reason: RunOutcome['reason'] = 'exited';
    let stopping = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let outputBytes = 0;
    let stdout = '';
    let openStreams = 2;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const killNow = () => {
      stopContainer?.('KILL');
      signalGroup(pid, 'SIGKILL');
    };
    runningGroups.set(pid, killNow);

    const finish = () => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      clearTimeout(timeout);
      request.signal.removeEventListener('abort', onAbort);
      runningGroups.delete(pid);
      flushAll();
      resolve({ exitCode: exit?.code ?? null, signal: exit?.signal ?? null, stdout, reason });
    };

    // Stops the whole group: SIGTERM, SIGKILL after the grace, and after one more second stop waiting for pipes a
    // process outside the group (setsid) may still hold.
    const stop = (why: RunOutcome['reason'] | null) => {
      if (why && reason === 'exited') reason = why;
      if (stopping) return;
      stopping = true;
      stopContainer?.('TERM');
      signalGroup(pid, 'SIGTERM');
      timers.push(setTimeout(killNow, request.graceMs));
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          if (exit) finish();
        }, request.graceMs + PIPE_WAIT_MS),
      );
    };

    const timeout = setTimeout(() => stop('timeout'), request.timeoutMs);
    const onAbort = () => stop('cancelled');
    request.signal.addEventListener('abort', onAbort, { once: true });

    const readers = (['stdout', 'stderr'] as const).map((stream) => {
      const decoder = new StringDecoder('utf8');
      let rest = '';
      const deliver = (line: string) => request.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, stream);
      // Only text with a newline is split (splitting the growing rest on every chunk would be quadratic); a line
      // longer than MAX_LINE_CHARS is handed over in pieces so one unterminated line cannot grow without bound.
      const emit = (text: string, final: boolean) => {
        if (!text.includes('\n')) {
          rest += text;
          while (rest.length >= MAX_LINE_CHARS) {
            deliver(rest.slice(0, MAX_LINE_CHARS));
            rest = rest.slice(MAX_LINE_CHARS);
          }
        } else {
          const parts = (rest + text).split('\n');
          rest = parts.pop() ?? '';
          for (const line of parts) deliver(line);
        }
        if (final && rest !== '') {
          deliver(rest);
          rest = '';
        }
      };
      const source = stream === 'stdout' ? child.stdout! : child.stderr!;
      let flushed = false;
      const flush = () => {
        if (flushed) return;
        flushed = true;
        emit(decoder.end(), true);
      };
      source.on('data', (chunk: Buffer) => {
        if (outputBytes > maxOutput) return;
        outputBytes += chunk.length;
        if (outputBytes > maxOutput) {
          stop('output_limit');
          return;
        }
        const text = decoder.write(chunk);
        if (stream === 'stdout') stdout += text;
        emit(text, false);
      });
      source.on('error', () => {});
      source.on('close', () => {
        flush();
        openStreams -= 1;
        if (openStreams === 0 && exit) finish();
      });
      return flush;
    });
    const flushAll = () => {
      for (const flush of readers) flush();
    };

    child.on('error', (error) => {
      runningGroups.delete(pid);
      if (!settled) {
        settled = true;
        clearTimeout(timeout);
        reject(error);
      }
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The program is done; whatever it left running in its group is stopped (and cannot hold the run open).
      if (openStreams === 0) finish();
      else stop(null);
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(request.stdin);
    if (request.signal.aborted) onAbort();
  });
}
