// The compiled build the end-to-end tests start their processes from: `npm run build:server` (dist/, what the
// published package runs as its bin), made once per `npm test` by global setup so it always matches the sources.
// Starting a process from it costs ~1 s less CPU than through tsx's loader, in the process and in its embedded
// store's worker, and e2e tests start a few hundred processes. The checkout's entry (bin/runplane.js, `npm start`)
// keeps a test of its own (first-run.test.ts).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** The build's CLI entry, the published package's bin. */
export const BUILT_CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

/** Runs the server build into the checkout's dist/. */
export async function buildForTests(): Promise<void> {
  await promisify(execFile)(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build:server'], {
    cwd: REPO_ROOT,
  });
}

/**
 * Node flags of every process the tests start from the build. `--liftoff-only` keeps V8 from compiling the embedded
 * store's WebAssembly a second time with its optimising compiler: a CLI command, a short-lived server, lives too
 * briefly to gain from it, and those background compiles were a third of each such process's CPU (2.5 s → 1.3 s
 * for `runplane migrate`), on a machine whose two cores the suite keeps busy. The code's meaning is the same.
 */
export const TEST_NODE_FLAGS = ['--liftoff-only'];
