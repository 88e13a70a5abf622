// Fetches exactly the commits a review needs into a fresh directory: shallow by SHA where the remote allows it, the
// branch otherwise. Git is treated as running on hostile input: `--` before every positional argument, only the
// transports the runner allows, no hooks, fsmonitor, credential helpers, prompts, system or global config, symlinks
// checked out as plain files, and a minimal environment that holds none of the agent's secrets.
import { execFile } from 'node:child_process';
import type { RunAs } from '../executor.ts';
import { cleanEnv } from '../executor.ts';

export interface GitOptions {
  signal: AbortSignal;
  /** file:// remotes are fetched only with --allow-file-repos. */
  allowFileRepos: boolean;
  /** A private, empty HOME for git (nothing of the agent's home is read). */
  home: string;
  /** Run git as this user (the agent runs as root with --run-as). */
  runAs: RunAs | null;
  /** Bound on what git may print (the diff); past it the review fails instead of exhausting memory. */
  maxOutputBytes: number;
  /** Wall-clock limit of each git command. */
  timeoutMs: number;
}

/** What the output of a git command other than diff may reach (a few status lines). */
const SMALL_OUTPUT = 1024 * 1024;

/** `-c` settings given to every git command. */
export function gitConfigArgs(allowFileRepos: boolean): string[] {
  const settings = [
    'protocol.allow=never',
    'protocol.https.allow=always',
    'protocol.ssh.allow=always',
    'protocol.git.allow=always',
    ...(allowFileRepos ? ['protocol.file.allow=always'] : []),
    'core.hooksPath=/dev/null',
    'core.fsmonitor=false',
    'core.symlinks=false',
    'credential.helper=',
    'submodule.recurse=false',
    'advice.detachedHead=false',
  ];
  return settings.flatMap((setting) => ['-c', setting]);
}

/** The whole environment of a git command: PATH, locale, a private HOME, and git told to read no config or ask. */
export function gitEnv(home: string): Record<string, string> {
  return cleanEnv(
    {
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_ATTR_NOSYSTEM: '1',
      // ssh must fail rather than ask for a password or a host key on the agent's terminal.
      GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    },
    home,
  );
}

export class GitFailed extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
    this.name = 'GitFailed';
  }
}

/** git's first `fatal:` or `error:` line says what went wrong; the lines after it are generic advice. */
function firstProblem(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.find((line) => /^(?:fatal|error):/.test(line)) ?? lines.at(-1))?.slice(0, 500);
}

function git(cwd: string, args: string[], options: GitOptions, maxBuffer = SMALL_OUTPUT): Promise<string> {
  const command = args[0]!;
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...gitConfigArgs(options.allowFileRepos), ...args],
      {
        cwd,
        env: gitEnv(options.home),
        signal: options.signal,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer,
        encoding: 'utf8',
        ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if (options.signal.aborted) return reject(options.signal.reason ?? error);
        const code = (error as { code?: unknown }).code;
        if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          return reject(
            new GitFailed(command, `git ${command} printed more than ${maxBuffer} bytes (--max-output-bytes)`),
          );
        }
        if (error.killed) {
          return reject(new GitFailed(command, `git ${command} did not finish within ${options.timeoutMs} ms`));
        }
        const how = typeof code === 'number' ? `exit ${code}` : String(code);
        reject(new GitFailed(command, `git ${command} failed (${how}): ${firstProblem(stderr) ?? error.message}`));
      },
    );
  });
}

async function fetchCommit(dir: string, sha: string, branch: string, options: GitOptions): Promise<void> {
  try {
    await git(
      dir,
      ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--depth=1', '--', 'origin', sha],
      options,
    );
  } catch (error) {
    if (options.signal.aborted) throw error;
    // Remotes that refuse unadvertised SHAs: fetch the branch (and its history) instead.
    await git(
      dir,
      ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--', 'origin', `refs/heads/${branch}`],
      options,
    );
  }
}

/** Initialises `dir` (which must exist and be empty) and checks out commitSha, detached. */
export async function checkout(
  dir: string,
  task: { repositoryUrl: string; branch: string; commitSha: string },
  options: GitOptions,
): Promise<void> {
  await git(dir, ['init', '--quiet', '--template='], options);
  await git(dir, ['remote', 'add', '--', 'origin', task.repositoryUrl], options);
  await fetchCommit(dir, task.commitSha, task.branch, options);
  await git(dir, ['checkout', '--quiet', '--detach', task.commitSha, '--'], options);
}

/** The unified diff base..head (fetching base if needed), bounded by maxOutputBytes. */
export async function diffAgainstBase(
  dir: string,
  task: { branch: string; commitSha: string; baseSha: string },
  options: GitOptions,
): Promise<string> {
  await fetchCommit(dir, task.baseSha, task.branch, options);
  return git(
    dir,
    [
      'diff',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '--unified=3',
      '--find-renames',
      task.baseSha,
      task.commitSha,
      '--',
    ],
    options,
    options.maxOutputBytes,
  );
}
