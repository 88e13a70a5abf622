// Real processes for end-to-end tests: the `runplane` CLI and servers, started as a user would start them (from the
// build the published package runs, with one V8 flag that only changes how fast they start: see build.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { BUILT_CLI, TEST_NODE_FLAGS } from './build.ts';
import { freePort } from './postgres-cluster.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The checkout's entry, through tsx: what `npm start` and `npm run runplane` run. */
const CHECKOUT_BIN = path.join(REPO_ROOT, 'bin/runplane.js');

/**
 * How a test starts `runplane`: from the build global setup compiled for this run (what the published package runs),
 * or with `checkout`, from the checkout's TypeScript entry as `npm start` does.
 */
function runplaneArgs(args: string[], entry: 'build' | 'checkout' = 'build'): string[] {
  return entry === 'checkout' ? [CHECKOUT_BIN, ...args] : [...TEST_NODE_FLAGS, BUILT_CLI, ...args];
}

const baseEnv = (env: Record<string, string>) => {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('RUNPLANE_') && name !== 'DATABASE_URL' && name !== 'PORT') {
      clean[name] = value;
    }
  }
  return { ...clean, RUNPLANE_LOG_LEVEL: 'warn', ...env };
};

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, runplaneArgs(args), { env: baseEnv(env), cwd: REPO_ROOT });
    child.stdin.end(stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process dies without any cleanup. */
  kill9(): Promise<void>;
}

/** Starts `runplane serve` on a free port and resolves once it says it is listening. */
export async function startServeProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
  entry: 'build' | 'checkout' = 'build',
): Promise<ServerProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, runplaneArgs(['serve'], entry), {
    env: baseEnv({ PORT: String(port), RUNPLANE_RATE_LIMIT_PER_MINUTE: '0', ...env }),
    cwd: REPO_ROOT,
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs a TypeScript helper script as its own process and resolves with its parsed JSON stdout. */
export function runScript<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout) as T);
    });
  });
}

export interface RunnerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Starts `runplane runner` with the given flags; its stdout/stderr are collected for assertions. */
export function startRunnerProcess(args: string[], env: Record<string, string> = {}): RunnerProcess {
  const child = spawn(process.execPath, runplaneArgs(['runner', ...args]), { env: baseEnv(env), cwd: REPO_ROOT });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    waitFor: (text, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`runner output never contained ${JSON.stringify(text)}:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Makes `dir` a migrated, empty embedded data directory by copying the one global setup made: a new one costs ~7 s
 * of CPU (initdb in WebAssembly, then the migrations) for every server or CLI test that starts from nothing. Tests
 * of that first start itself (`migrate` on an empty dir, the packed install) create theirs for real.
 */
export function freshDataDir(dir: string): string {
  fs.cpSync(inject('embeddedDataDirTemplate'), dir, { recursive: true });
  return dir;
}
