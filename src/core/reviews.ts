// Reviews: an AI code review is a work item of the built-in `ai-review` profile. Creating one inserts the item and
// the review row together; a runner's result finishes the item and writes the outbox rows for posting in the same
// transaction, so a posted review never lacks its result and a stored result is never left unposted.

import type { Queryable } from '../store/db.ts';
import { getReview, insertReviewItem, listReviews } from '../store/sql/reviews.ts';
import { auditRowFor } from './audit.ts';
import type { Core } from './context.ts';
import { invalid, notFound } from './errors.ts';
import { newUuid } from './ids.ts';
import { checkRepositoryBound } from './integrations.ts';
import { dispatchRefused, finishItem, newItem, requestCancel } from './items.ts';
import type { ItemState } from './states.ts';
import type { Item, NewEvent, PullRequestRef, ReviewRecord, WriterIdentity } from './types.ts';
import { announceWork } from './work-announce.ts';

export const REVIEW_PROFILE = 'ai-review';
export const REVIEW_PHASES = ['preparing', 'cloning', 'reviewing', 'submitting'] as const;

export interface ChangedFile {
  path: string;
  status: string;
  patch?: string;
}

/** What a runner needs to do the review; stored as the item's input. */
export interface ReviewInput {
  reviewId: string;
  repositoryUrl: string;
  branch: string;
  commitSha: string;
  baseSha: string | null;
  files: ChangedFile[];
  aiConfig: Record<string, unknown>;
}

export interface NewReview extends Omit<ReviewInput, 'reviewId' | 'baseSha'> {
  orgId: string;
  baseSha?: string | null;
  requiredTags?: string[];
  pullRequest?: PullRequestRef | null;
}

export interface ReviewComment {
  line: number;
  endLine?: number;
  severity: 'info' | 'minor' | 'major' | 'critical';
  body: string;
  suggestion?: string;
}

export interface ReviewResult {
  status: 'success' | 'failed';
  files: { path: string; comments: ReviewComment[] }[];
  totalComments: number;
  rating?: 'A' | 'B' | 'C' | 'D' | 'F';
  metrics: { durationMs: number } & Record<string, unknown>;
  error?: string;
}

/**
 * Inserts the review and its pending task (one statement) through `q`, the caller's transaction or the pool; the
 * caller calls `announceWork` after commit.
 */
export async function insertReviewWithin(core: Core, q: Queryable, review: NewReview): Promise<ReviewRecord> {
  const reviewId = newUuid();
  const input: ReviewInput = {
    reviewId,
    repositoryUrl: review.repositoryUrl,
    branch: review.branch,
    commitSha: review.commitSha,
    baseSha: review.baseSha ?? null,
    files: review.files,
    aiConfig: review.aiConfig,
  };
  const item = newItem(core, {
    orgId: review.orgId,
    profileId: REVIEW_PROFILE,
    taskId: reviewId,
    requiredTags: review.requiredTags ?? [],
    input,
  });
  const record = await insertReviewItem(
    q,
    item,
    { id: reviewId, pullRequest: review.pullRequest ?? null },
    auditRowFor(reviewId),
  );
  // The built-in review profile exists in every org: a refusal is a kill switch (or an archived profile).
  if (typeof record === 'string') throw dispatchRefused(record, REVIEW_PROFILE);
  return record;
}

/**
 * Creates a review from the API. A pull request to post to must be one of the org's bound repositories (reviews
 * from the GitHub webhook are bound by its secret to RUNPLANE_GITHUB_WEBHOOK_ORG instead).
 */
export async function createReview(core: Core, review: NewReview): Promise<ReviewRecord> {
  if (review.pullRequest) await checkRepositoryBound(core.db, review.orgId, review.pullRequest);
  const record = await insertReviewWithin(core, core.db, review);
  announceWork(core, [record.item]);
  return record;
}

export async function findReview(core: Core, orgId: string, id: string): Promise<ReviewRecord> {
  const review = await getReview(core.db, orgId, id);
  if (!review) throw notFound('review', id);
  return review;
}

export function listOrgReviews(
  core: Core,
  orgId: string,
  options: { states: ItemState[] | null; limit: number; after: string | null },
): Promise<ReviewRecord[]> {
  return listReviews(core.db, orgId, options);
}

export async function cancelReview(core: Core, orgId: string, id: string, actor: string | null): Promise<ReviewRecord> {
  const review = await findReview(core, orgId, id);
  await requestCancel(core, orgId, review.item.id, 'review', actor);
  return findReview(core, orgId, id);
}

/** Checks what the schema cannot: the comment count adds up and a failure says why. */
function checkResult(result: ReviewResult): void {
  const counted = result.files.reduce((sum, file) => sum + file.comments.length, 0);
  if (counted !== result.totalComments) {
    throw invalid('totalComments', `totalComments is ${result.totalComments} but the files carry ${counted} comments`);
  }
  if (result.status === 'failed' && !result.error) {
    throw invalid('error', 'error is required when status is failed');
  }
}

/** Finishes a review task with the runner's result; returns the task and whether this was a repeat. */
export async function submitReviewResult(
  core: Core,
  orgId: string,
  itemId: string,
  submission: { result: ReviewResult; logs: NewEvent[]; writer: WriterIdentity },
): Promise<{ item: Item; replayed: boolean }> {
  checkResult(submission.result);
  return finishItem(core, orgId, itemId, {
    outcome: submission.result.status === 'success' ? 'succeeded' : 'failed',
    result: submission.result,
    error: submission.result.error ?? null,
    events: submission.logs,
    writer: submission.writer,
    fingerprintOf: { result: submission.result, logs: submission.logs.map((log) => log.message) },
  });
}

export const MAX_LOG_LINE_BYTES = 16 * 1024;

/** Turns runner log lines into `log` events; a line over 16 KiB is refused by its index. */
export function logEvents(lines: readonly string[], field = 'logs'): NewEvent[] {
  return lines.map((line, index) => {
    if (Buffer.byteLength(line) > MAX_LOG_LINE_BYTES) {
      throw invalid(`${field}[${index}]`, `${field}[${index}] is longer than ${MAX_LOG_LINE_BYTES} bytes; split it`);
    }
    return { type: 'log', level: 'info', message: line };
  });
}
