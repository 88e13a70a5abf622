// `runplane runner`: every option has an environment twin, shown in --help. Everything the runner can be told to do
// is checked here, before it registers: a runner that could not do its queues' work is refused with advice.
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_MAX_OUTPUT_BYTES, killAllRuns, type RunAs, resolveUser } from '../agent/executor.ts';
import { type Queue, Runner } from '../agent/runner.ts';
import { createSay, LOG_FORMATS, type LogFormat } from '../agent/say.ts';
import { FatalServerError } from '../agent/server-api.ts';

const seconds = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`"${value}" is not a positive number of seconds`);
  return parsed * 1000;
};

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

/** The queues to claim from: as asked, each checked for what it needs, or those the configuration can serve. */
export function chooseQueues(flags: { queues?: string | undefined; reviewer: boolean; sessions: boolean }): Queue[] {
  const noReviewer =
    'no reviewer is configured: pass --reviewer-command CMD, or set RUNPLANE_LLM_API_KEY (with --llm-base-url for ' +
    'a local model server) for the built-in reviewer';
  const noSessions = 'sessions need --profiles IDS and --session-command CMD';
  if (flags.queues === undefined) {
    const queues: Queue[] = [
      ...(flags.reviewer ? (['reviews'] as const) : []),
      ...(flags.sessions ? (['sessions'] as const) : []),
    ];
    if (queues.length === 0) {
      throw new Error(`this runner has nothing to do: ${noReviewer}; and ${noSessions}`);
    }
    return queues;
  }
  const asked = [...new Set(list(flags.queues))];
  const unknown = asked.find((queue) => queue !== 'reviews' && queue !== 'sessions');
  if (unknown !== undefined) throw new Error(`--queues: unknown queue "${unknown}" (reviews, sessions)`);
  if (asked.length === 0) throw new Error('--queues names no queue: use reviews, sessions or reviews,sessions');
  if (asked.includes('reviews') && !flags.reviewer) {
    throw new Error(`--queues includes reviews but ${noReviewer}; or serve only sessions with --queues sessions`);
  }
  if (asked.includes('sessions') && !flags.sessions) throw new Error(`--queues includes sessions but ${noSessions}`);
  return asked as Queue[];
}

/** --run-as: only an agent running as root can start programs as another user. */
function runAsUser(name: string | undefined): RunAs | null {
  if (!name) return null;
  const uid = process.getuid?.();
  if (uid !== 0) {
    throw new Error(
      `--run-as ${name} starts programs as that user, which needs the agent to run as root (it runs as uid ${uid}): ` +
        'start the agent as root, or drop --run-as and start the agent itself as the user the programs should run as',
    );
  }
  return resolveUser(name);
}

export function runnerCommand(): Command {
  return new Command('runner')
    .description('run a runner agent that claims and executes review tasks and sessions (each flag has an env twin)')
    .addOption(new Option('--server <url>', 'Runplane server URL').env('RUNPLANE_URL').default('http://127.0.0.1:8080'))
    .addOption(
      new Option('--api-key <key>', 'runner key (create one with `runplane keys create --runner --org ORG`)').env(
        'RUNPLANE_API_KEY',
      ),
    )
    .addOption(new Option('--id <id>', 'runner id, unique in the org').env('RUNPLANE_RUNNER_ID').default(os.hostname()))
    .addOption(new Option('--name <name>', 'display name (defaults to the id)').env('RUNPLANE_RUNNER_NAME'))
    .addOption(
      new Option('--tags <tags>', 'comma-separated tags this runner offers').env('RUNPLANE_RUNNER_TAGS').default(''),
    )
    .addOption(new Option('--max-concurrency <n>', 'tasks at once').env('RUNPLANE_RUNNER_MAX_CONCURRENCY').default('2'))
    .addOption(
      new Option(
        '--queues <queues>',
        'reviews, sessions or both (default: reviews when a reviewer is configured, sessions with --profiles)',
      ).env('RUNPLANE_RUNNER_QUEUES'),
    )
    .addOption(
      new Option('--work-dir <dir>', 'where task work dirs live')
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
      new Option('--llm-models <models>', 'models the built-in reviewer may use; a task may pick one, else the first')
        .env('RUNPLANE_LLM_MODELS')
        .default('gpt-4o-mini'),
    )
    .addOption(
      new Option('--llm-model <model>', 'deprecated: the same as --llm-models with one model').env(
        'RUNPLANE_LLM_MODEL',
      ),
    )
    .addOption(
      new Option('--allow-file-repos', 'also fetch file:// repository URLs (tests, local mirrors)').env(
        'RUNPLANE_ALLOW_FILE_REPOS',
      ),
    )
    .addOption(
      new Option('--max-output-bytes <n>', "bytes of a program's output after which it is stopped and its task fails")
        .env('RUNPLANE_MAX_OUTPUT_BYTES')
        .default(String(DEFAULT_MAX_OUTPUT_BYTES)),
    )
    .addOption(
      new Option('--run-as <user>', 'run programs and git as this user (the agent must run as root)').env(
        'RUNPLANE_RUN_AS',
      ),
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
    .addOption(
      new Option('--log-format <format>', "the agent's own lines: text, or json (one JSON object per line)")
        .env('RUNPLANE_LOG_FORMAT')
        .choices(LOG_FORMATS)
        .default('text'),
    )
    .action(async (flags: Record<string, string | boolean | undefined>, command: Command) => {
      const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
      const apiKey = text('apiKey');
      if (!apiKey) {
        throw new Error(
          'a runner key is required: pass --api-key or set RUNPLANE_API_KEY (create one with `runplane keys create --runner --org ORG`)',
        );
      }
      const profiles = list(text('profiles'));
      const sessionCommand = text('sessionCommand') ?? null;
      if (profiles.length > 0 && !sessionCommand) {
        throw new Error('--profiles needs --session-command (the program each session runs)');
      }
      if (sessionCommand && profiles.length === 0) {
        throw new Error('--session-command needs --profiles (the profiles whose sessions it runs)');
      }
      const maxConcurrency = Number(flags['maxConcurrency']);
      if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)
        throw new Error('--max-concurrency must be a whole number ≥ 1');
      const maxOutputBytes = Number(flags['maxOutputBytes']);
      if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 1)
        throw new Error('--max-output-bytes must be a whole number of bytes ≥ 1');
      const reviewerCommand = text('reviewerCommand') ?? null;
      const llmApiKey = process.env['RUNPLANE_LLM_API_KEY'] || null;
      const queues = chooseQueues({
        queues: text('queues'),
        reviewer:
          reviewerCommand !== null || llmApiKey !== null || command.getOptionValueSource('llmBaseUrl') !== 'default',
        sessions: profiles.length > 0 && sessionCommand !== null,
      });
      let llmModels = list(text('llmModels'));
      if (text('llmModel') && command.getOptionValueSource('llmModels') === 'default') {
        console.error('runplane: --llm-model is deprecated; use --llm-models (a comma-separated list)');
        llmModels = [text('llmModel')!];
      }
      if (llmModels.length === 0) throw new Error('--llm-models names no model');
      const runAs = runAsUser(text('runAs'));
      // Read once; no child of the agent can inherit them from here on (children get a minimal environment anyway).
      delete process.env['RUNPLANE_API_KEY'];
      delete process.env['RUNPLANE_LLM_API_KEY'];
      const say = createSay(text('logFormat') as LogFormat, text('id')!);
      const runner = new Runner(
        {
          server: text('server')!,
          apiKey,
          id: text('id')!,
          name: text('name') ?? text('id')!,
          version: '0.1.0',
          tags: list(text('tags')),
          maxConcurrency,
          workDir: text('workDir')!,
          executor: text('executor') as 'process' | 'container',
          queues,
          reviewerCommand,
          llmBaseUrl: text('llmBaseUrl')!,
          llmModels,
          llmApiKey,
          allowFileRepos: flags['allowFileRepos'] === true,
          maxOutputBytes,
          runAs,
          profiles,
          sessionCommand,
          heartbeatMs: seconds(text('heartbeat')!),
          timeoutMs: seconds(text('timeout')!),
          graceMs: seconds(text('grace')!),
          drainMs: seconds(text('drain')!),
        },
        say,
      );
      // However the agent ends, no program it started outlives it.
      process.on('exit', () => killAllRuns());
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
