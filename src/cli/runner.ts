// `runplane runner`: every option has an environment twin, shown in --help.
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { Runner } from '../agent/runner.ts';
import { FatalServerError } from '../agent/server-api.ts';

const seconds = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`"${value}" is not a positive number of seconds`);
  return parsed * 1000;
};

export function runnerCommand(): Command {
  return new Command('runner')
    .description('run a runner agent that claims and executes review tasks (each flag has an env twin)')
    .addOption(new Option('--server <url>', 'Runplane server URL').env('RUNPLANE_URL').default('http://127.0.0.1:8080'))
    .addOption(
      new Option('--api-key <key>', 'runner key (create one with `runplane keys create --runner --org ORG`)').env(
        'RUNPLANE_API_KEY',
      ),
    )
    .addOption(
      new Option('--id <id>', 'runner id, unique in the org')
        .env('RUNPLANE_RUNNER_ID')
        .default(`${os.hostname()}-${process.pid}`),
    )
    .addOption(new Option('--name <name>', 'display name (defaults to the id)').env('RUNPLANE_RUNNER_NAME'))
    .addOption(
      new Option('--tags <tags>', 'comma-separated tags this runner offers').env('RUNPLANE_RUNNER_TAGS').default(''),
    )
    .addOption(new Option('--max-concurrency <n>', 'tasks at once').env('RUNPLANE_RUNNER_MAX_CONCURRENCY').default('2'))
    .addOption(
      new Option('--work-dir <dir>', 'where task work dirs and the spool live')
        .env('RUNPLANE_WORK_DIR')
        .default(path.join(os.tmpdir(), 'runplane-runner')),
    )
    .addOption(
      new Option('--executor <kind>', 'process | container')
        .env('RUNPLANE_EXECUTOR')
        .choices(['process', 'container'])
        .default('process'),
    )
    .addOption(
      new Option('--reviewer-command <cmd>', 'external reviewer: task JSON on stdin, result JSON on stdout').env(
        'RUNPLANE_REVIEWER_COMMAND',
      ),
    )
    .addOption(
      new Option(
        '--llm-base-url <url>',
        'OpenAI-compatible API base URL (the key comes only from RUNPLANE_LLM_API_KEY)',
      )
        .env('RUNPLANE_LLM_BASE_URL')
        .default('https://api.openai.com/v1'),
    )
    .addOption(
      new Option('--llm-model <model>', 'model when the task names none')
        .env('RUNPLANE_LLM_MODEL')
        .default('gpt-4o-mini'),
    )
    .addOption(
      new Option('--profiles <ids>', 'comma-separated /v1 profile ids whose sessions this runner executes').env(
        'RUNPLANE_RUNNER_PROFILES',
      ),
    )
    .addOption(
      new Option('--session-command <cmd>', 'program run for each session (input JSON on stdin; see README)').env(
        'RUNPLANE_SESSION_COMMAND',
      ),
    )
    .addOption(
      new Option('--heartbeat <seconds>', 'heartbeat interval').env('RUNPLANE_HEARTBEAT_SECONDS').default('10'),
    )
    .addOption(
      new Option('--timeout <seconds>', 'wall-clock limit of a task program')
        .env('RUNPLANE_TASK_TIMEOUT_SECONDS')
        .default('1800'),
    )
    .addOption(
      new Option('--grace <seconds>', 'SIGTERM → SIGKILL grace on cancel')
        .env('RUNPLANE_KILL_GRACE_SECONDS')
        .default('10'),
    )
    .addOption(
      new Option('--drain <seconds>', 'how long SIGTERM waits for running tasks')
        .env('RUNPLANE_DRAIN_SECONDS')
        .default('30'),
    )
    .action(async (flags: Record<string, string | undefined>) => {
      if (!flags['apiKey']) {
        throw new Error(
          'a runner key is required: pass --api-key or set RUNPLANE_API_KEY (create one with `runplane keys create --runner --org ORG`)',
        );
      }
      if (flags['profiles'] && !flags['sessionCommand']) {
        throw new Error('--profiles needs --session-command (the program each session runs)');
      }
      const maxConcurrency = Number(flags['maxConcurrency']);
      if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
        throw new Error('--max-concurrency must be a whole number ≥ 1');
      const say = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
      const runner = new Runner(
        {
          server: flags['server']!,
          apiKey: flags['apiKey'],
          id: flags['id']!,
          name: flags['name'] ?? flags['id']!,
          version: '0.1.0',
          tags: (flags['tags'] ?? '')
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
          maxConcurrency,
          workDir: flags['workDir']!,
          executor: flags['executor'] as 'process' | 'container',
          reviewerCommand: flags['reviewerCommand'] ?? null,
          llmBaseUrl: flags['llmBaseUrl']!,
          llmModel: flags['llmModel']!,
          llmApiKey: process.env['RUNPLANE_LLM_API_KEY'] ?? null,
          profiles: (flags['profiles'] ?? '')
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean),
          sessionCommand: flags['sessionCommand'] ?? null,
          heartbeatMs: seconds(flags['heartbeat']!),
          timeoutMs: seconds(flags['timeout']!),
          graceMs: seconds(flags['grace']!),
          drainMs: seconds(flags['drain']!),
        },
        say,
      );
      let stopping: Promise<void> | null = null;
      // A fatal answer during the drain (e.g. runner_replaced) still ends the process non-zero.
      const stop = (signal: string) => {
        stopping ??= runner.shutdown(signal).then(
          () => process.exit(0),
          (error: Error) => {
            console.error(`runplane: ${error.message}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      try {
        await runner.run();
        if (stopping) await stopping;
      } catch (error) {
        if (error instanceof FatalServerError) throw new Error(error.message);
        throw error;
      }
    });
}
