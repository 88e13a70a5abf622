// Fetches exactly the commits a review needs into a fresh work dir: shallow by SHA where the remote allows it,
// the branch otherwise.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function git(cwd: string, args: string[], signal: AbortSignal): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    signal,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout;
}

async function fetchCommit(dir: string, sha: string, branch: string, signal: AbortSignal): Promise<void> {
  try {
    await git(dir, ['fetch', '--quiet', '--depth=1', 'origin', sha], signal);
  } catch {
    // Remotes that refuse unadvertised SHAs: fetch the branch (and its history) instead.
    await git(dir, ['fetch', '--quiet', 'origin', branch], signal);
  }
}

export async function checkout(
  dir: string,
  task: { repositoryUrl: string; branch: string; commitSha: string; baseSha: string | null },
  signal: AbortSignal,
): Promise<void> {
  await git(dir, ['init', '--quiet'], signal);
  await git(dir, ['remote', 'add', 'origin', task.repositoryUrl], signal);
  await fetchCommit(dir, task.commitSha, task.branch, signal);
  await git(dir, ['checkout', '--quiet', '--detach', task.commitSha], signal);
}

/** The unified diff base..head (fetching base if needed). */
export async function diffAgainstBase(
  dir: string,
  task: { branch: string; commitSha: string; baseSha: string },
  signal: AbortSignal,
): Promise<string> {
  await fetchCommit(dir, task.baseSha, task.branch, signal);
  return git(
    dir,
    ['diff', '--no-color', '--no-ext-diff', '--unified=3', '--find-renames', task.baseSha, task.commitSha],
    signal,
  );
}
