// One review task from claim to result: preparing → cloning (checkout at commitSha, the diff against baseSha when
// the task brings no files) → reviewing (built-in model reviewer or an external command) → submitting.
import type { ReviewComment, ReviewResult } from '../../core/reviews.ts';
import { cleanEnv, runProgram } from '../executor.ts';
import { type DiffFile, parseGitDiff } from './diff.ts';
import { checkout, diffAgainstBase } from './git.ts';
import { type LlmSettings, reviewWithLlm } from './llm-reviewer.ts';

export interface ReviewTask {
  id: string;
  reviewId: string | null;
  repositoryUrl: string;
  branch: string;
  commitSha: string;
  baseSha: string | null;
  files: { path: string; status: string; patch?: string }[];
  aiConfig: Record<string, unknown>;
  attempt: number;
}

export interface ReviewContext {
  workDir: string;
  signal: AbortSignal;
  phase: (phase: 'preparing' | 'cloning' | 'reviewing' | 'submitting') => Promise<void>;
  log: (line: string) => void;
  llm: LlmSettings;
  reviewerCommand: string | null;
  executor: 'process' | 'container';
  timeoutMs: number;
  graceMs: number;
}

export type ReviewSubmission = Omit<ReviewResult, 'status' | 'error'> & {
  status: 'success' | 'failed';
  error?: string;
};

function countComments(files: { comments: ReviewComment[] }[]) {
  return files.reduce((sum, file) => sum + file.comments.length, 0);
}

async function externalReview(task: ReviewTask, files: DiffFile[], context: ReviewContext) {
  const outcome = await runProgram(context.executor, {
    command: context.reviewerCommand!,
    cwd: context.workDir,
    stdin: JSON.stringify({ ...task, files }),
    env: cleanEnv({ RUNPLANE_TASK_ID: task.id }),
    timeoutMs: context.timeoutMs,
    graceMs: context.graceMs,
    signal: context.signal,
    onLine: (line, stream) => {
      if (stream === 'stderr') context.log(line);
    },
  });
  if (outcome.reason !== 'exited') throw new Error(`the reviewer command was stopped (${outcome.reason})`);
  if (outcome.exitCode !== 0) throw new Error(`the reviewer command exited with ${outcome.exitCode}`);
  const parsed = JSON.parse(outcome.stdout) as {
    files?: { path: string; comments: ReviewComment[] }[];
    rating?: string;
  };
  return { files: parsed.files ?? [], rating: parsed.rating as ReviewResult['rating'] };
}

export async function runReview(task: ReviewTask, context: ReviewContext): Promise<ReviewSubmission> {
  const started = Date.now();
  await context.phase('preparing');
  context.log(`reviewing ${task.repositoryUrl} ${task.branch} at ${task.commitSha}`);
  await context.phase('cloning');
  const cloneStarted = Date.now();
  await checkout(context.workDir, task, context.signal);
  let files: DiffFile[] = task.files.map((file) => ({ path: file.path, status: file.status, patch: file.patch ?? '' }));
  if (files.length === 0 && task.baseSha) {
    files = parseGitDiff(await diffAgainstBase(context.workDir, { ...task, baseSha: task.baseSha }, context.signal));
  }
  const cloneMs = Date.now() - cloneStarted;
  context.log(`checked out in ${cloneMs} ms; ${files.length} changed file(s)`);

  await context.phase('reviewing');
  const reviewStarted = Date.now();
  let reviewed: { files: { path: string; comments: ReviewComment[] }[]; rating?: ReviewResult['rating'] };
  const metrics: Record<string, number> = {};
  if (context.reviewerCommand) {
    reviewed = await externalReview(task, files, context);
  } else {
    const model = typeof task.aiConfig['model'] === 'string' ? task.aiConfig['model'] : context.llm.model;
    const baseUrl = typeof task.aiConfig['baseUrl'] === 'string' ? task.aiConfig['baseUrl'] : context.llm.baseUrl;
    const output = await reviewWithLlm({ ...context.llm, model, baseUrl }, files, context.signal);
    if (output.dropped > 0)
      context.log(`dropped ${output.dropped} comment(s) that did not point at a line of the diff`);
    reviewed = output;
    metrics['promptTokens'] = output.usage.promptTokens;
    metrics['completionTokens'] = output.usage.completionTokens;
    metrics['modelRequests'] = output.usage.requests;
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
