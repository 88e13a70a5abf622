// GitHub webhook intake: a signed `pull_request` event (opened, synchronize, reopened) becomes a review of the pull
// request's head commit, with its changed files read from GitHub's files API (paginated). Idempotent on the
// delivery id: the delivery is recorded in the same transaction as the review it created.
import { createHmac } from 'node:crypto';
import { sameSecret } from '../core/auth.ts';
import type { Core } from '../core/context.ts';
import { invalid, unauthenticated } from '../core/errors.ts';
import { isBranchName, isRepositoryUrl, isSha } from '../core/git-refs.ts';
import { newId } from '../core/ids.ts';
import { type ChangedFile, insertReviewWithin } from '../core/reviews.ts';
import type { ReviewRecord } from '../core/types.ts';
import { announceWork } from '../core/work-announce.ts';
import { githubRepoPath } from '../delivery/destinations.ts';
import { ensureOrg } from '../store/sql/keys.ts';
import { getReview } from '../store/sql/reviews.ts';
import { linkWebhookDelivery, recordWebhookDelivery, reviewOfWebhookDelivery } from '../store/sql/webhooks.ts';

const REVIEWED_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

export type IntakeOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'created'; review: ReviewRecord }
  | { kind: 'duplicate'; review: ReviewRecord | null };

/** Constant-time check of `X-Hub-Signature-256: sha256=<hex hmac of the raw body>`. */
export function verifyGitHubSignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  return sameSecret(header.slice('sha256='.length), createHmac('sha256', secret).update(body).digest('hex'));
}

interface PullRequestEvent {
  action?: string;
  number?: number;
  pull_request?: {
    number: number;
    head: { sha: string; ref: string; repo?: { clone_url?: string } | null };
    base: { sha: string; ref: string };
  };
  repository?: { full_name: string; clone_url: string };
}

const FULL_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * A signed payload is still input: every value used later (in a URL, a git argument, a stored review) is checked
 * here, and a bad one answers 400 naming it — never a review that fails later or a request to another API path.
 */
function checkPullRequestEvent(payload: PullRequestEvent): void {
  const pr = payload.pull_request;
  const repository = payload.repository;
  if (!pr || typeof pr !== 'object') throw invalid('pull_request', 'pull_request is required');
  if (!repository || typeof repository !== 'object') throw invalid('repository', 'repository is required');
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  if (!Number.isSafeInteger(pr.number) || pr.number < 1) {
    throw invalid('pull_request.number', 'pull_request.number must be a positive integer');
  }
  if (!isSha(pr.head?.sha)) throw invalid('pull_request.head.sha', 'pull_request.head.sha is not a commit id');
  if (!isSha(pr.base?.sha)) throw invalid('pull_request.base.sha', 'pull_request.base.sha is not a commit id');
  if (!isBranchName(pr.head?.ref)) throw invalid('pull_request.head.ref', 'pull_request.head.ref is not a branch');
  const fullName = text(repository.full_name);
  if (!FULL_NAME.test(fullName) || fullName.split('/').some((part) => part === '.' || part === '..')) {
    throw invalid('repository.full_name', 'repository.full_name is not owner/name');
  }
  for (const [field, url] of [
    ['repository.clone_url', repository.clone_url],
    ['pull_request.head.repo.clone_url', pr.head?.repo?.clone_url ?? repository.clone_url],
  ] as const) {
    if (!isRepositoryUrl(url)) throw invalid(field, `${field} is not a repository URL git may fetch`);
  }
}

async function listPullRequestFiles(core: Core, repository: string, number: number): Promise<ChangedFile[]> {
  const { githubApiUrl, githubToken } = core.config.delivery;
  const files: ChangedFile[] = [];
  let url: string | null =
    `${githubApiUrl.replace(/\/$/, '')}/repos/${githubRepoPath(repository)}/pulls/${number}/files?per_page=100`;
  while (url) {
    const response: Response = await fetch(url, {
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'runplane',
        ...(githubToken ? { authorization: `Bearer ${githubToken}` } : {}),
      },
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`GitHub files API answered ${response.status} for ${repository}#${number}`);
    const page = (await response.json()) as { filename: string; status: string; patch?: string }[];
    for (const file of page) {
      files.push({ path: file.filename, status: file.status, ...(file.patch ? { patch: file.patch } : {}) });
    }
    url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
  }
  return files;
}

export async function receiveGitHubWebhook(
  core: Core,
  request: { body: Buffer; signature: string | undefined; event: string | undefined; deliveryId: string | undefined },
): Promise<IntakeOutcome> {
  const { secret, org, aiProvider, aiModel } = core.config.githubWebhook;
  if (!secret || !org) {
    throw unauthenticated(
      'GitHub webhooks are not enabled; set RUNPLANE_GITHUB_WEBHOOK_SECRET and RUNPLANE_GITHUB_WEBHOOK_ORG',
    );
  }
  if (!verifyGitHubSignature(secret, request.body, request.signature)) {
    throw unauthenticated('X-Hub-Signature-256 does not match the body; check the webhook secret');
  }
  if (request.event !== 'pull_request') return { kind: 'ignored', reason: `event ${request.event ?? '(none)'}` };
  let payload: PullRequestEvent;
  try {
    payload = JSON.parse(request.body.toString('utf8')) as PullRequestEvent;
  } catch {
    throw invalid('body', 'the webhook body is not JSON');
  }
  if (!payload.action || !REVIEWED_ACTIONS.has(payload.action)) {
    return { kind: 'ignored', reason: `pull_request action ${payload.action ?? '(none)'}` };
  }
  checkPullRequestEvent(payload);
  const pr = payload.pull_request!;
  const repository = payload.repository!;
  if (!request.deliveryId) throw invalid('x-github-delivery', 'the X-GitHub-Delivery header is required');
  const deliveryId = request.deliveryId;

  const orgRecord = await ensureOrg(core.db, org, newId('org'));
  const seen = await reviewOfWebhookDelivery(core.db, deliveryId);
  if (seen) return { kind: 'duplicate', review: await getReview(core.db, orgRecord.id, seen) };
  const files = await listPullRequestFiles(core, repository.full_name, pr.number);
  const outcome = await core.db.tx(async (tx): Promise<IntakeOutcome> => {
    if (!(await recordWebhookDelivery(tx, deliveryId, orgRecord.id))) {
      const existing = await reviewOfWebhookDelivery(tx, deliveryId);
      return { kind: 'duplicate', review: existing ? await getReview(tx, orgRecord.id, existing) : null };
    }
    const review = await insertReviewWithin(core, tx, {
      orgId: orgRecord.id,
      repositoryUrl: pr.head.repo?.clone_url ?? repository.clone_url,
      branch: pr.head.ref,
      commitSha: pr.head.sha,
      baseSha: pr.base.sha,
      files,
      aiConfig: { provider: aiProvider, model: aiModel },
      pullRequest: { provider: 'github', repository: repository.full_name, number: pr.number },
    });
    await linkWebhookDelivery(tx, deliveryId, review.id);
    return { kind: 'created', review };
  });
  if (outcome.kind === 'created') announceWork(core, [outcome.review.item]);
  return outcome;
}
