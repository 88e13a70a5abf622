// The destinations a finished review is posted to, each speaking its service's real wire format over HTTP.
// Every post is idempotent on the review id (a marker the destination can be asked about, or an id header), so a
// retry after a lost answer does not post twice.
import { createHmac } from 'node:crypto';
import type { Config } from '../config.ts';
import type { ReviewComment, ReviewInput, ReviewResult } from '../core/reviews.ts';
import type { ReviewRecord } from '../core/types.ts';

export class DeliveryError extends Error {
  constructor(
    message: string,
    /** False when retrying cannot help (bad credentials, unknown repository). */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const marker = (reviewId: string) => `<!-- runplane-review:${reviewId} -->`;
/** One per posted comment (GitLab posts each as its own discussion). */
const commentMarker = (reviewId: string, index: number) => `<!-- runplane-review:${reviewId}:c${index} -->`;

const SEVERITY_LABEL: Record<ReviewComment['severity'], string> = {
  info: 'ℹ️ info',
  minor: '🟡 minor',
  major: '🟠 major',
  critical: '🔴 critical',
};

function commentBody(comment: ReviewComment): string {
  const suggestion = comment.suggestion ? `\n\n\`\`\`suggestion\n${comment.suggestion}\n\`\`\`` : '';
  return `**${SEVERITY_LABEL[comment.severity]}** ${comment.body}${suggestion}`;
}

function summary(review: ReviewRecord): string {
  const result = review.item.result as ReviewResult | null;
  if (review.item.state !== 'succeeded' || !result) {
    return `Runplane review ${review.item.state}: ${review.item.error ?? 'no result'}\n\n${marker(review.id)}`;
  }
  const rating = result.rating ? `Rating: **${result.rating}**. ` : '';
  return `## Runplane AI review\n\n${rating}${result.totalComments} comment(s).\n\n${marker(review.id)}`;
}

async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new DeliveryError(`${init.method ?? 'GET'} ${url}: ${(error as Error).message}`, true);
  }
  if (!response.ok) {
    const text = (await response.text()).slice(0, 500);
    const retryable = response.status === 429 || response.status >= 500;
    throw new DeliveryError(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`, retryable);
  }
  return response;
}

export async function postToGitHub(config: Config, review: ReviewRecord): Promise<void> {
  const pr = review.pullRequest!;
  const input = review.item.input as ReviewInput;
  const result = review.item.result as ReviewResult | null;
  const base = `${config.delivery.githubApiUrl.replace(/\/$/, '')}/repos/${githubRepoPath(pr.repository)}/pulls/${encodeURIComponent(String(pr.number))}`;
  const headers = {
    authorization: `Bearer ${config.delivery.githubToken}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'content-type': 'application/json',
    'user-agent': 'runplane',
  };
  // Posted already (a previous attempt whose answer was lost)? The summary carries the review's marker.
  for (let page = 1; ; page++) {
    const existing = (await (await send(`${base}/reviews?per_page=100&page=${page}`, { headers })).json()) as {
      body?: string;
    }[];
    if (existing.some((posted) => posted.body?.includes(marker(review.id)))) return;
    if (existing.length < 100) break;
  }
  const comments = (result?.files ?? []).flatMap((file) =>
    file.comments.map((comment) => ({
      path: file.path,
      body: commentBody(comment),
      side: 'RIGHT',
      ...(comment.endLine && comment.endLine > comment.line
        ? { start_line: comment.line, start_side: 'RIGHT', line: comment.endLine }
        : { line: comment.line }),
    })),
  );
  await send(`${base}/reviews`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ commit_id: input.commitSha, body: summary(review), event: 'COMMENT', comments }),
  });
}

export async function postToGitLab(config: Config, review: ReviewRecord): Promise<void> {
  const pr = review.pullRequest!;
  const input = review.item.input as ReviewInput;
  const result = review.item.result as ReviewResult | null;
  const base = `${config.delivery.gitlabApiUrl.replace(/\/$/, '')}/projects/${encodeURIComponent(pr.repository)}/merge_requests/${encodeURIComponent(String(pr.number))}`;
  const headers = { 'private-token': config.delivery.gitlabToken!, 'content-type': 'application/json' };
  // What earlier attempts posted, over every page: each discussion carries its own marker, so a retry after a
  // partial failure posts exactly the missing ones.
  const posted = new Set<string>();
  for (let page = 1; ; page++) {
    const discussions = (await (await send(`${base}/discussions?per_page=100&page=${page}`, { headers })).json()) as {
      notes?: { body?: string }[];
    }[];
    for (const discussion of discussions) {
      for (const note of discussion.notes ?? []) posted.add(note.body ?? '');
    }
    if (discussions.length < 100) break;
  }
  const alreadyPosted = (mark: string) => [...posted].some((body) => body.includes(mark));
  if (alreadyPosted(marker(review.id))) return;
  let index = 0;
  for (const file of result?.files ?? []) {
    for (const comment of file.comments) {
      const mark = commentMarker(review.id, index++);
      if (alreadyPosted(mark)) continue;
      await send(`${base}/discussions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          body: `${commentBody(comment)}\n\n${mark}`,
          position: {
            position_type: 'text',
            base_sha: input.baseSha ?? input.commitSha,
            start_sha: input.baseSha ?? input.commitSha,
            head_sha: input.commitSha,
            new_path: file.path,
            new_line: comment.endLine ?? comment.line,
          },
        }),
      });
    }
  }
  // The summary goes last and carries the review's marker: once it is there, the review is complete.
  await send(`${base}/discussions`, { method: 'POST', headers, body: JSON.stringify({ body: summary(review) }) });
}

/** The generic webhook: the review as JSON, signed with HMAC-SHA256 of the exact body. */
export async function postToWebhook(config: Config, review: ReviewRecord): Promise<void> {
  const input = review.item.input as ReviewInput;
  const result = review.item.result as ReviewResult | null;
  const body = JSON.stringify({
    event: 'review.completed',
    review: {
      id: review.id,
      status: review.item.state,
      repositoryUrl: input.repositoryUrl,
      commitSha: input.commitSha,
      pullRequest: review.pullRequest,
      rating: result?.rating ?? null,
      totalComments: result?.totalComments ?? 0,
      files: result?.files ?? [],
      error: review.item.error,
    },
  });
  const signature = createHmac('sha256', config.delivery.webhookSecret!).update(body).digest('hex');
  await send(config.delivery.webhookUrl!, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-runplane-signature-256': `sha256=${signature}`,
      'x-runplane-delivery': review.id,
    },
    body,
  });
}

/** `owner/name` as two encoded path segments; anything else is refused (it would address another API path). */
export function githubRepoPath(repository: string): string {
  const parts = repository.split('/');
  if (parts.length !== 2 || parts.some((part) => !/^[A-Za-z0-9_.-]+$/.test(part) || part === '.' || part === '..')) {
    throw new DeliveryError(`"${repository}" is not a GitHub owner/name`, false);
  }
  return parts.map(encodeURIComponent).join('/');
}
