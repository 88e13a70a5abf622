// One review task from claim to result: the task is checked first (nothing of it is used before) → preparing →
// cloning (checkout at commitSha, the diff against baseSha when the task brings no files) → reviewing (built-in
// model reviewer or an external command) → submitting. The work dir holds `checkout/` (the reviewer's cwd) and
// `home/` (the private HOME of git and the reviewer); with --run-as both belong to that user, and git runs as it too.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReviewComment, ReviewResult } from '../../core/reviews.ts';
import { cleanEnv, type RunAs, runProgram } from '../executor.ts';
import { checkReviewTask, displayUrl, type ReviewTask } from '../task-input.ts';
import { type DiffFile, parseGitDiff } from './diff.ts';
import { checkout, diffAgainstBase, type GitOptions } from './git.ts';
import { reviewWithLlm } from './llm-reviewer.ts';
import { parseReviewerOutput, ReviewerOutputError } from './reviewer-output.ts';

export type { ReviewTask } from '../task-input.ts';
export { ReviewerOutputError } from './reviewer-output.ts';

export interface ReviewContext {
  workDir: string;
  signal: AbortSignal;
  phase: (phase: 'preparing' | 'cloning' | 'reviewing' | 'submitting') => Promise<void>;
  log: (line: string) => void;
  /** The built-in reviewer's endpoint, models and key: from the runner's own flags only, never from a task. */
  llm: { baseUrl: string; models: string[]; apiKey: string | null; tokenBudget: number };
  reviewerCommand: string | null;
  executor: 'process' | 'container';
  timeoutMs: number;
  graceMs: number;
  /** --allow-file-repos: file:// repository URLs are fetched (tests, local mirrors). */
  allowFileRepos: boolean;
  /** --max-output-bytes: bound on the reviewer's output and on the diff. */
  maxOutputBytes: number;
  /** --run-as: git and the reviewer run as this user. */
  runAs: RunAs | null;
  /** Reports what the built-in reviewer spent (a `usage` event the server sums against the budgets). */
  usage?: (spent: { tokens: number }) => Promise<void>;
}

export type ReviewSubmission = Omit<ReviewResult, 'status' | 'error'> & {
  status: 'success' | 'failed';
  error?: string;
};

/** The server keeps at most this many files in a result. */
const MAX_FILES = 3000;

function countComments(files: { comments: ReviewComment[] }[]) {
  return files.reduce((sum, file) => sum + file.comments.length, 0);
}

/** The two directories of a review inside the work dir, owned by the --run-as user when there is one. */
async function prepareDirs(context: ReviewContext) {
  const checkoutDir = path.join(context.workDir, 'checkout');
  const home = path.join(context.workDir, 'home');
  await fs.mkdir(checkoutDir, { mode: 0o700 });
  await fs.mkdir(home, { mode: 0o700 });
  if (context.runAs) {
    for (const dir of [context.workDir, checkoutDir, home]) {
      await fs.lchown(dir, context.runAs.uid, context.runAs.gid);
    }
  }
  return { checkoutDir, home };
}

async function externalReview(
  task: ReviewTask,
  files: DiffFile[],
  dirs: { checkoutDir: string; home: string },
  context: ReviewContext,
) {
  let lastStderr = '';
  const outcome = await runProgram(context.executor, {
    command: context.reviewerCommand!,
    cwd: dirs.checkoutDir,
    stdin: JSON.stringify({ ...task, files }),
    // In a container the host's directories do not exist; its HOME is the container's private /tmp.
    env: cleanEnv({ RUNPLANE_TASK_ID: task.id }, context.executor === 'container' ? '/tmp' : dirs.home),
    timeoutMs: context.timeoutMs,
    graceMs: context.graceMs,
    signal: context.signal,
    maxOutputBytes: context.maxOutputBytes,
    runAs: context.runAs,
    onLine: (line, stream) => {
      if (stream !== 'stderr') return;
      context.log(line);
      if (line.trim()) lastStderr = line.trim();
    },
  });
  const said = lastStderr ? `; its last line on stderr: ${lastStderr.slice(0, 500)}` : '';
  switch (outcome.reason) {
    case 'output_limit':
      throw new ReviewerOutputError(`reviewer output exceeded --max-output-bytes (${context.maxOutputBytes} bytes)`);
    case 'timeout':
      throw new Error(`the reviewer command did not finish within ${context.timeoutMs} ms${said}`);
    case 'cancelled':
      throw new Error('the reviewer command was cancelled');
    case 'exited':
      break;
  }
  if (outcome.exitCode !== 0) {
    const how = outcome.exitCode === null ? `was killed by ${outcome.signal}` : `exited with ${outcome.exitCode}`;
    throw new Error(`the reviewer command ${how}${said}`);
  }
  return parseReviewerOutput(outcome.stdout);
}

/**
 * Reviews one claimed task. Throws InvalidTaskInput (before any phase, file or process) when a field of the task is
 * unusable, ReviewerOutputError when the external reviewer breaks its output contract, and Error otherwise.
 */
export async function runReview(input: unknown, context: ReviewContext): Promise<ReviewSubmission> {
  const builtIn = !context.reviewerCommand;
  const task = checkReviewTask(input, {
    allowFileRepos: context.allowFileRepos,
    ...(builtIn ? { models: context.llm.models } : {}),
  });
  // A task may pick one of the runner's models (checked above); without a pick, the first is used.
  const model = builtIn ? (task.aiConfig.model ?? context.llm.models[0]) : null;
  if (builtIn && !model) throw new Error('the built-in reviewer has no model: start the runner with --llm-models');

  const started = Date.now();
  await context.phase('preparing');
  context.log(`reviewing ${displayUrl(task.repositoryUrl)} ${task.branch} at ${task.commitSha}`);
  const dirs = await prepareDirs(context);

  await context.phase('cloning');
  const cloneStarted = Date.now();
  const git: GitOptions = {
    signal: context.signal,
    allowFileRepos: context.allowFileRepos,
    home: dirs.home,
    runAs: context.runAs,
    maxOutputBytes: context.maxOutputBytes,
    timeoutMs: context.timeoutMs,
  };
  await checkout(dirs.checkoutDir, task, git);
  let files: DiffFile[] = task.files.map((file) => ({ path: file.path, status: file.status, patch: file.patch ?? '' }));
  if (files.length === 0 && task.baseSha) {
    files = parseGitDiff(await diffAgainstBase(dirs.checkoutDir, { ...task, baseSha: task.baseSha }, git));
    if (files.length > MAX_FILES) {
      context.log(`the diff changes ${files.length} files; reviewing the first ${MAX_FILES}`);
      files = files.slice(0, MAX_FILES);
    }
  }
  const cloneMs = Date.now() - cloneStarted;
  context.log(`checked out in ${cloneMs} ms; ${files.length} changed file(s)`);

  await context.phase('reviewing');
  const reviewStarted = Date.now();
  let reviewed: { files: { path: string; comments: ReviewComment[] }[]; rating?: ReviewResult['rating'] };
  const metrics: Record<string, number> = {};
  if (!builtIn) {
    reviewed = await externalReview(task, files, dirs, context);
  } else {
    const { baseUrl, apiKey, tokenBudget } = context.llm;
    const output = await reviewWithLlm({ baseUrl, apiKey, tokenBudget, model: model! }, files, context.signal);
    if (output.dropped > 0) {
      context.log(`dropped ${output.dropped} comment(s) that did not point at a line of the diff`);
    }
    reviewed = output;
    metrics['promptTokens'] = output.usage.promptTokens;
    metrics['completionTokens'] = output.usage.completionTokens;
    metrics['modelRequests'] = output.usage.requests;
    await context.usage?.({ tokens: output.usage.promptTokens + output.usage.completionTokens });
  }
  const reviewMs = Date.now() - reviewStarted;
  await context.phase('submitting');
  return {
    status: 'success',
    files: reviewed.files,
    totalComments: countComments(reviewed.files),
    ...(reviewed.rating ? { rating: reviewed.rating } : {}),
    metrics: { durationMs: Date.now() - started, cloneMs, reviewMs, ...metrics },
  };
}
