import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Three files at a time on two cores: e2e files spend much of their time waiting on processes and timers.
    maxWorkers: 3,
    // Each worker process runs its files one after another without re-importing the server's modules for each, and
    // keeps its embedded store open for the next file (test/support/stores.ts: borrowTestStore), emptied between
    // tests and files. Tests restore what they change of process.env.
    isolate: false,
    // As for the processes the tests start (test/support/build.ts): the embedded store's WebAssembly is compiled
    // once, by V8's baseline compiler, not again in the background by the optimising one.
    execArgv: ['--liftoff-only'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
