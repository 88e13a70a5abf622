// Shapes of the /api/runners and /api/reviews facade (camelCase, `{data}` envelope), with the presenters that turn
// core records into them. One schema validates, serialises and documents each shape.
import { Type } from 'typebox';
import { BRANCH_PATTERN, REPOSITORY_PATH_PATTERN, REPOSITORY_URL_PATTERN, SHA_PATTERN } from '../../core/git-refs.ts';
import type { ReviewInput, ReviewResult } from '../../core/reviews.ts';
import { ITEM_STATES } from '../../core/states.ts';
import type { Item, ReviewRecord, Runner } from '../../core/types.ts';
import { RunnerId } from '../writer.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
/**
 * A nullable string or integer as `type: [t, "null"]` rather than anyOf: the serializer writes it directly instead
 * of validating each branch (measurable on the claim path), and the document says the same thing.
 */
const NullableText = (options: { description?: string; format?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
const NullableInteger = () => Type.Unsafe<number | null>({ type: ['integer', 'null'] });
const DateTime = Type.String({ format: 'date-time' });
const iso = (date: Date | null) => (date ? date.toISOString() : null);
export const AnyObject = Type.Object({}, { additionalProperties: true });

export { RunnerId } from '../writer.ts';
export const Sha = Type.String({ pattern: SHA_PATTERN, description: 'A full commit id (40 or 64 hex)' });
export const ItemStateSchema = Type.Enum([...ITEM_STATES]);

export const RunnerSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    version: Type.String(),
    maxConcurrency: Type.Integer(),
    tags: Type.Array(Type.String()),
    status: Type.Enum(['online', 'busy', 'offline']),
    currentJobs: Type.Integer(),
    activeTasks: Type.Integer({ description: 'Tasks the server sees leased to this runner (extension)' }),
    registeredAt: DateTime,
    lastHeartbeatAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'Runner' },
);

export const presentRunner = (runner: Runner) => ({
  id: runner.id,
  name: runner.name,
  version: runner.version,
  maxConcurrency: runner.maxConcurrency,
  tags: runner.tags,
  status: runner.status,
  currentJobs: runner.currentJobs,
  activeTasks: runner.activeItems,
  registeredAt: runner.registeredAt.toISOString(),
  lastHeartbeatAt: runner.lastHeartbeatAt.toISOString(),
  updatedAt: runner.updatedAt.toISOString(),
});

export const ChangedFileSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    status: Type.String({ minLength: 1, maxLength: 32 }),
    patch: Type.Optional(Type.String()),
  },
  { title: 'ChangedFile' },
);

export const CommentSchema = Type.Object(
  {
    line: Type.Integer({ minimum: 1 }),
    endLine: Type.Optional(Type.Integer({ minimum: 1 })),
    severity: Type.Enum(['info', 'minor', 'major', 'critical']),
    body: Type.String({ minLength: 1, maxLength: 65536 }),
    suggestion: Type.Optional(Type.String({ maxLength: 65536 })),
  },
  { title: 'ReviewComment' },
);

export const FileResultSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    comments: Type.Array(CommentSchema, { maxItems: 1000 }),
  },
  { title: 'FileResult' },
);

export const LogLines = Type.Array(Type.String({ maxLength: 16384 }), { minItems: 1, maxItems: 200 });

export const ResultBody = Type.Object({
  runnerId: RunnerId,
  attempt: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Extension: the attempt; fences the result' }),
  ),
  status: Type.Enum(['success', 'failed']),
  files: Type.Array(FileResultSchema, { maxItems: 3000 }),
  totalComments: Type.Integer({ minimum: 0 }),
  rating: Type.Optional(Type.Enum(['A', 'B', 'C', 'D', 'F'])),
  metrics: Type.Object({ durationMs: Type.Number({ minimum: 0 }) }, { additionalProperties: true }),
  error: Type.Optional(Type.String({ maxLength: 65536 })),
  logs: Type.Optional(Type.Array(Type.String({ maxLength: 16384 }), { maxItems: 200 })),
});

export const TaskSchema = Type.Object(
  {
    id: Type.String(),
    reviewId: NullableText(),
    repositoryUrl: NullableText(),
    branch: NullableText(),
    commitSha: NullableText(),
    baseSha: NullableText(),
    files: Type.Array(ChangedFileSchema),
    aiConfig: AnyObject,
    attempt: Type.Integer(),
    leaseExpiresAt: NullableText({ format: 'date-time' }),
    createdAt: DateTime,
    status: ItemStateSchema,
    phase: NullableText(),
    runnerId: NullableText(),
    cancelRequested: Type.Boolean({ description: 'The task was cancelled; stop and report (extension)' }),
    error: NullableText(),
    result: Type.Optional(Type.Unknown()),
  },
  { title: 'Task' },
);

export function presentTask(item: Item, options: { withResult?: boolean } = {}) {
  const input = (item.input ?? {}) as Partial<ReviewInput>;
  return {
    id: item.id,
    reviewId: input.reviewId ?? null,
    repositoryUrl: input.repositoryUrl ?? null,
    branch: input.branch ?? null,
    commitSha: input.commitSha ?? null,
    baseSha: input.baseSha ?? null,
    files: input.files ?? [],
    aiConfig: input.aiConfig ?? {},
    attempt: item.attempt,
    leaseExpiresAt: iso(item.leaseExpiresAt),
    createdAt: item.createdAt.toISOString(),
    status: item.state,
    phase: item.phase,
    runnerId: item.runnerId,
    cancelRequested: item.state === 'cancel_requested' || item.state === 'cancelled',
    error: item.error,
    ...(options.withResult ? { result: item.result ?? null } : {}),
  };
}

export const PullRequestSchema = Type.Object(
  {
    provider: Type.Enum(['github', 'gitlab']),
    repository: Type.String({
      minLength: 3,
      maxLength: 512,
      pattern: REPOSITORY_PATH_PATTERN,
      description: 'owner/name (GitLab: group/sub/project); must be bound to the org (PUT /v1/integrations/{provider})',
    }),
    number: Type.Integer({ minimum: 1 }),
  },
  { title: 'PullRequest' },
);

// What a runner will hand to git (see core/git-refs.ts); the agent checks again before git sees it.
export const RepositoryUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  pattern: REPOSITORY_URL_PATTERN,
  description:
    'https, ssh, git or file URL, or scp-like user@host:path (file only for runners started with --allow-file-repos)',
});
export const BranchName = Type.String({
  minLength: 1,
  maxLength: 512,
  pattern: BRANCH_PATTERN,
  description: 'A branch name by git check-ref-format rules',
});

/** The review fields a runner works from; also what a /v1 session of the ai-review profile must carry as input. */
export const ReviewInputFields = {
  repositoryUrl: RepositoryUrl,
  branch: BranchName,
  commitSha: Sha,
  baseSha: Type.Optional(Nullable(Sha)),
  files: Type.Array(ChangedFileSchema, { maxItems: 3000 }),
  aiConfig: Type.Object(
    { provider: Type.String({ minLength: 1 }), model: Type.String({ minLength: 1 }) },
    { additionalProperties: true },
  ),
};
export const ReviewInputBody = Type.Object(ReviewInputFields);

export const NewReviewBody = Type.Object({
  ...ReviewInputFields,
  requiredTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 32 })),
  pullRequest: Type.Optional(Nullable(PullRequestSchema)),
});

export const ReviewSchema = Type.Object(
  {
    id: Type.String(),
    taskId: Type.String(),
    status: ItemStateSchema,
    phase: NullableText(),
    repositoryUrl: Type.String(),
    branch: Type.String(),
    commitSha: Type.String(),
    baseSha: NullableText(),
    changedFiles: Type.Integer(),
    aiConfig: AnyObject,
    requiredTags: Type.Array(Type.String()),
    pullRequest: Nullable(PullRequestSchema),
    rating: NullableText(),
    totalComments: NullableInteger(),
    files: Type.Array(FileResultSchema),
    metrics: Nullable(AnyObject),
    error: NullableText(),
    failureReason: NullableText(),
    attempt: Type.Integer(),
    runnerId: NullableText(),
    delivery: NullableText({ description: 'Comment posting: pending | delivered | failed; null when nothing to post' }),
    deliveryError: NullableText({ description: 'Last delivery error, if any' }),
    createdAt: DateTime,
    updatedAt: DateTime,
    finishedAt: NullableText({ format: 'date-time' }),
  },
  { title: 'Review' },
);

/** A stored result in the review shape, or null (a /v1 PATCH may have finished the item with anything). */
function reviewResultOf(value: unknown): ReviewResult | null {
  const result = value as Partial<ReviewResult> | null;
  return result && Array.isArray(result.files) && Number.isInteger(result.totalComments)
    ? (result as ReviewResult)
    : null;
}

export function presentReview(review: ReviewRecord) {
  const { item } = review;
  const input = item.input as ReviewInput;
  const result = reviewResultOf(item.result);
  return {
    id: review.id,
    taskId: item.id,
    status: item.state,
    phase: item.phase,
    repositoryUrl: input.repositoryUrl,
    branch: input.branch,
    commitSha: input.commitSha,
    baseSha: input.baseSha,
    changedFiles: Array.isArray(input.files) ? input.files.length : 0,
    aiConfig: input.aiConfig,
    requiredTags: item.requiredTags,
    pullRequest: review.pullRequest,
    rating: result?.rating ?? null,
    totalComments: result ? result.totalComments : null,
    files: result?.files ?? [],
    metrics: result?.metrics ?? null,
    error: item.error,
    failureReason: item.failureReason,
    attempt: item.attempt,
    runnerId: item.runnerId,
    delivery: review.delivery,
    deliveryError: review.deliveryError,
    createdAt: review.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
    finishedAt: iso(item.finishedAt),
  };
}

/** `{data: …}` envelope with the shared error responses, for route `response` schemas. */
export const data = <T extends Parameters<typeof Type.Object>[0][string]>(schema: T) => Type.Object({ data: schema });
export const errorResponses = {
  '4xx': Type.Ref('Error'),
};
