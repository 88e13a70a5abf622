// Shapes of the /v1/runners facade: snake_case, lists as {items, next_cursor}, single objects bare. One schema
// validates, serialises and documents each shape; presenters map core records into them.
import { Type } from 'typebox';
import { presentBudget } from '../../core/budgets.ts';
import { invalid } from '../../core/errors.ts';
import type { SessionContext } from '../../core/sessions.ts';
import { ITEM_STATES } from '../../core/states.ts';
import type { Artifact, Checkpoint, Grant, HarnessRevision, Item, ItemEvent, Profile } from '../../core/types.ts';
import { SCOPES } from '../../core/types.ts';
import type { AttemptRecord } from '../../store/sql/attempts.ts';
import type { AuditRecord } from '../../store/sql/audit.ts';

const DateTime = Type.String({ format: 'date-time' });
const NullableText = (options: { format?: string; description?: string } = {}) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
const iso = (date: Date | null) => (date ? date.toISOString() : null);
export const AnyJson = Type.Unknown();
export const JsonObject = Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

export const Id = Type.String({ minLength: 1, maxLength: 128 });
export const IdParams = Type.Object({ id: Id });
export { RunnerId as RunnerIdSchema } from '../writer.ts';
export const Tag = Type.String({ minLength: 1, maxLength: 64 });

export const Page = {
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'Opaque; from next_cursor' })),
};

/** `{items, next_cursor}` around an item schema. */
export const ListOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), next_cursor: NullableText() });

/**
 * Cursors are opaque to clients: the last row's id. The store resumes after that row's exact (created_at, id);
 * a timestamp in the cursor would lose the database's microseconds.
 */
export const encodeCursor = (id: string) => Buffer.from(`c:${id}`).toString('base64url');

export function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const decoded = Buffer.from(cursor, 'base64url').toString();
  if (!decoded.startsWith('c:') || decoded.length < 3) {
    throw invalid('cursor', 'cursor is not one this server issued; drop it to start from the first page');
  }
  return decoded.slice(2);
}

export function page<T extends { id: string }, U>(rows: T[], limit: number, present: (row: T) => U) {
  const last = rows.at(-1);
  return { items: rows.map(present), next_cursor: rows.length === limit && last ? encodeCursor(last.id) : null };
}

export const ProfileBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 128 }),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  execution_target: Type.Optional(Type.Enum(['runner'])),
});

export const NewProfileBody = Type.Object({
  ...ProfileBody.properties,
  id: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
      description:
        'Extension: a readable id (1-63 lowercase letters, digits, dashes) instead of a generated one; 409 id_taken',
    }),
  ),
});

export const ProfileSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    execution_target: Type.String(),
    status: Type.Enum(['active', 'archived']),
    builtin: Type.Boolean({ description: 'The built-in ai-review profile of review tasks (extension)' }),
    suspended_at: NullableText({
      format: 'date-time',
      description: 'Extension: set while the kill switch is on (no dispatch; its sessions were cancelled)',
    }),
    suspended_reason: NullableText({ description: 'Extension: why it was suspended' }),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { title: 'Profile' },
);

export const presentProfile = (profile: Profile) => ({
  id: profile.id,
  name: profile.name,
  description: profile.description,
  execution_target: profile.executionTarget,
  status: profile.status,
  builtin: profile.builtin,
  suspended_at: iso(profile.suspendedAt),
  suspended_reason: profile.suspendedReason,
  created_at: profile.createdAt.toISOString(),
  updated_at: profile.updatedAt.toISOString(),
});

export const HarnessBody = Type.Object({
  version: Type.String({ minLength: 1, maxLength: 128 }),
  image_ref: Type.String({ minLength: 1, maxLength: 1024 }),
});

export const HarnessSchema = Type.Object(
  {
    id: Type.String(),
    profile_id: Type.String(),
    version: Type.String(),
    image_ref: Type.String(),
    created_at: DateTime,
  },
  { title: 'HarnessRevision' },
);

export const presentHarness = (harness: HarnessRevision) => ({
  id: harness.id,
  profile_id: harness.profileId,
  version: harness.version,
  image_ref: harness.imageRef,
  created_at: harness.createdAt.toISOString(),
});

const CheckpointSchema = Type.Object(
  { seq: Type.Integer(), data: AnyJson, created_at: DateTime },
  { title: 'Checkpoint' },
);
const presentCheckpoint = (checkpoint: Checkpoint) => ({
  seq: checkpoint.seq,
  data: checkpoint.data,
  created_at: checkpoint.createdAt.toISOString(),
});

export const SessionStateSchema = Type.Enum([...ITEM_STATES]);

export const SessionSchema = Type.Object(
  {
    id: Type.String(),
    profile_id: Type.String(),
    task_id: NullableText(),
    state: SessionStateSchema,
    cancel_requested: Type.Boolean(),
    input: AnyJson,
    result: AnyJson,
    error: NullableText(),
    failure_reason: NullableText(),
    progress: Type.Unsafe<number | null>({ type: ['number', 'null'] }),
    metadata: JsonObject,
    phase: NullableText(),
    required_tags: Type.Array(Type.String()),
    runner_id: NullableText(),
    attempt: Type.Integer(),
    max_attempts: Type.Integer(),
    lease_ttl_seconds: Type.Number(),
    lease_expires_at: NullableText({ format: 'date-time' }),
    harness_revision: Type.Union([HarnessSchema, Type.Null()]),
    latest_checkpoint: Type.Union([CheckpointSchema, Type.Null()]),
    policy_version: Type.Unsafe<number | null>({
      type: ['integer', 'null'],
      description: 'Extension: the profile policy version pinned at dispatch; null when the profile had none',
    }),
    replay_of: NullableText({ description: 'Extension: the session this one replays' }),
    replays: Type.Array(Type.String(), { description: 'Extension: the sessions that replay this one, oldest first' }),
    pause_requested: Type.Boolean({
      description:
        'Extension: the server asks the runner to pause the session (checkpoint with pause) — a budget was reached',
    }),
    pause_reason: NullableText({
      description: 'Extension: why the server asked for the pause or paused the session (`budget_reached`)',
    }),
    budget: Type.Object(
      {
        max_wall_seconds: Type.Optional(Type.Number()),
        max_tokens: Type.Optional(Type.Integer()),
        max_cost_usd: Type.Optional(Type.Number()),
      },
      {
        description:
          "Extension: the session's own limits, over its pinned policy's budgets (PATCH with runners:approve)",
      },
    ),
    usage: Type.Object(
      { tokens: Type.Integer(), cost_usd: Type.Number() },
      { description: 'Extension: what the session spent, summed from its `usage` events' },
    ),
    created_at: DateTime,
    updated_at: DateTime,
    started_at: NullableText({ format: 'date-time' }),
    finished_at: NullableText({ format: 'date-time' }),
  },
  { title: 'Session' },
);

export function presentSession(item: Item, context: SessionContext) {
  const harness = item.harnessRevisionId ? context.harnesses.get(item.harnessRevisionId) : undefined;
  const checkpoint = context.checkpoints.get(item.id);
  return {
    id: item.id,
    profile_id: item.profileId,
    task_id: item.taskId,
    state: item.state,
    cancel_requested: item.state === 'cancel_requested',
    input: item.input,
    result: item.result ?? null,
    error: item.error,
    failure_reason: item.failureReason,
    progress: item.progress,
    metadata: item.metadata,
    phase: item.phase,
    required_tags: item.requiredTags,
    runner_id: item.runnerId,
    attempt: item.attempt,
    max_attempts: item.maxAttempts,
    lease_ttl_seconds: item.leaseTtlMs / 1000,
    lease_expires_at: iso(item.leaseExpiresAt),
    harness_revision: harness ? presentHarness(harness) : null,
    latest_checkpoint: checkpoint ? presentCheckpoint(checkpoint) : null,
    policy_version: item.policyVersion,
    replay_of: item.replayOf,
    replays: item.replays,
    pause_requested: item.pauseRequestedAt !== null && (item.state === 'dispatched' || item.state === 'running'),
    pause_reason: item.pauseRequestedAt !== null || item.state === 'paused' ? item.pauseReason : null,
    budget: presentBudget(item.budget ?? {}),
    usage: { tokens: item.usageTokens, cost_usd: item.usageCostUsd },
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
    started_at: iso(item.startedAt),
    finished_at: iso(item.finishedAt),
  };
}

export const MAX_INPUT_BYTES = 256 * 1024;

export const DispatchBody = Type.Object({
  profile_id: Id,
  task_id: Type.String({ minLength: 1, maxLength: 256 }),
  input: AnyJson,
  required_tags: Type.Optional(Type.Array(Tag, { maxItems: 32 })),
  max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  lease_ttl_seconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 86400 })),
  metadata: Type.Optional(JsonObject),
});

export const PatchBody = Type.Object(
  {
    state: Type.Optional(Type.Enum(['running', 'succeeded', 'failed'])),
    progress: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    metadata: Type.Optional(JsonObject),
    result: Type.Optional(AnyJson),
    error: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
    budget: Type.Optional(
      Type.Object(
        {
          max_wall_seconds: Type.Optional(
            Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 31_536_000 }), Type.Null()]),
          ),
          max_tokens: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
          max_cost_usd: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()])),
        },
        {
          additionalProperties: false,
          description:
            "Extension, scope runners:approve: change the session's own limits (null removes one; the pinned policy's apply)",
        },
      ),
    ),
  },
  { minProperties: 1 },
);

export const EventLevelSchema = Type.Enum(['debug', 'info', 'warn', 'error']);

export const NewEventSchema = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64 }),
    level: EventLevelSchema,
    message: Type.String({ maxLength: 16384 }),
    data: Type.Optional(AnyJson),
    ts: Type.Optional(DateTime),
  },
  { title: 'NewEvent' },
);

export const EventSchema = Type.Object(
  {
    seq: Type.Integer(),
    type: Type.String(),
    level: EventLevelSchema,
    message: Type.String(),
    data: AnyJson,
    ts: DateTime,
    received_at: DateTime,
  },
  { title: 'Event' },
);

export const presentEvent = (event: ItemEvent) => ({
  seq: event.seq,
  type: event.type,
  level: event.level,
  message: event.message,
  data: event.data ?? null,
  ts: event.ts.toISOString(),
  received_at: event.receivedAt.toISOString(),
});

export const ArtifactSchema = Type.Object(
  {
    id: Type.String(),
    session_id: Type.String(),
    name: Type.String(),
    content_type: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    created_at: DateTime,
  },
  { title: 'Artifact' },
);

export const presentArtifact = (artifact: Artifact) => ({
  id: artifact.id,
  session_id: artifact.itemId,
  name: artifact.name,
  content_type: artifact.contentType,
  size: artifact.size,
  sha256: artifact.sha256,
  created_at: artifact.createdAt.toISOString(),
});

export const GrantBody = Type.Object({
  scope: Type.Enum([...SCOPES]),
  reason: Type.String({ minLength: 1, maxLength: 1024 }),
  ttl_seconds: Type.Integer({ minimum: 1, maximum: 86400 }),
  resource: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
});

export const GrantSchema = Type.Object(
  {
    id: Type.String(),
    session_id: Type.String(),
    scope: Type.String(),
    reason: Type.String(),
    resource: NullableText(),
    status: Type.Enum(['active', 'expired', 'revoked']),
    created_by: Type.String(),
    created_at: DateTime,
    expires_at: DateTime,
    revoked_at: NullableText({ format: 'date-time' }),
  },
  { title: 'Grant' },
);

export const presentGrant = (grant: Grant) => ({
  id: grant.id,
  session_id: grant.itemId,
  scope: grant.scope,
  reason: grant.reason,
  resource: grant.resource,
  status: grant.status,
  created_by: grant.createdBy,
  created_at: grant.createdAt.toISOString(),
  expires_at: grant.expiresAt.toISOString(),
  revoked_at: iso(grant.revokedAt),
});

export const AuditSchema = Type.Object(
  {
    id: Type.String(),
    actor: Type.String(),
    action: Type.String(),
    target: NullableText(),
    request_id: NullableText(),
    at: DateTime,
  },
  { title: 'AuditRecord' },
);

export const presentAudit = (record: AuditRecord) => ({
  id: String(record.id),
  actor: record.actor,
  action: record.action,
  target: record.target,
  request_id: record.requestId,
  at: record.at.toISOString(),
});

export const errorResponses = { '4xx': Type.Ref('Error') };

export const AttemptSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    runner_id: Type.String(),
    claimed_at: DateTime,
    ended_at: NullableText({ format: 'date-time' }),
    outcome: NullableText({ description: 'The state the attempt ended in; null while it runs' }),
  },
  { title: 'Attempt', description: 'One claim of a session by a runner' },
);

export const presentAttempt = (attempt: AttemptRecord) => ({
  attempt: attempt.attempt,
  runner_id: attempt.runnerId,
  claimed_at: attempt.claimedAt.toISOString(),
  ended_at: iso(attempt.endedAt),
  outcome: attempt.outcome,
});
