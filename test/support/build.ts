// The compiled build the end-to-end tests start their processes from, made once per `npm test` by global setup.
// It is what the published package runs (dist/cli/main.js), laid out like a checkout so its relative paths hold:
//   <dir>/dist/…           the sources compiled by tsconfig.build.json (no type check: `npm run typecheck` does that)
//   <dir>/package.json     the checkout's (the CLI reads its version)
//   <dir>/console/dist     the checkout's built console
//   <dir>/node_modules     the checkout's dependencies
// Starting a process from it costs ~1 s less CPU than through tsx's loader, in the process and in its embedded
// store's worker, and e2e tests start a few hundred processes.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** Compiles the checkout into `dir` and returns the path of its CLI entry. */
export async function buildForTests(dir: string): Promise<string> {
  await promisify(execFile)(process.execPath, [
    path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(REPO_ROOT, 'tsconfig.build.json'),
    '--noCheck',
    '--sourceMap',
    'false',
    '--outDir',
    path.join(dir, 'dist'),
  ]);
  // The non-TypeScript files scripts/build-assets.mjs copies for the real build.
  fs.cpSync(path.join(REPO_ROOT, 'src/store/migrations'), path.join(dir, 'dist/store/migrations'), {
    recursive: true,
  });
  fs.cpSync(
    path.join(REPO_ROOT, 'src/store/pglite-worker-boot.js'),
    path.join(dir, 'dist/store/pglite-worker-boot.js'),
  );
  fs.symlinkSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'console'));
  fs.symlinkSync(path.join(REPO_ROOT, 'console/dist'), path.join(dir, 'console/dist'));
  return path.join(dir, 'dist/cli/main.js');
}

/**
 * Node flags of every process the tests start from the build. `--liftoff-only` keeps V8 from compiling the embedded
 * store's WebAssembly a second time with its optimising compiler: a CLI command, a short-lived server, lives too
 * briefly to gain from it, and those background compiles were a third of each such process's CPU (2.5 s → 1.3 s
 * for `runplane migrate`), on a machine whose two cores the suite keeps busy. The code's meaning is the same.
 */
export const TEST_NODE_FLAGS = ['--liftoff-only'];
