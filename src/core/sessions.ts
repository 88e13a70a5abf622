// Governed sessions: the /v1 view of work items. Every function here composes the engine in items.ts (one claim
// path, one fence, one event log) with what sessions add: profiles, harness pinning, idempotent dispatch,
// checkpoints with pause/resume, progress and metadata.
import { isUniqueViolation, type Queryable } from '../store/db.ts';
import { listItemAttempts } from '../store/sql/attempts.ts';
import { clearPause } from '../store/sql/budgets.ts';
import { insertCheckpoint, latestCheckpoints } from '../store/sql/checkpoints.ts';
import { listEvents } from '../store/sql/events.ts';
import {
  appendReplay,
  dispatchRefusal,
  findItemByIdempotencyKey,
  getItem,
  type ItemFilter,
  insertProfiledItem,
  listItems,
  lockItem,
  updateItem,
  usageOf,
  writeItemRow,
} from '../store/sql/items.ts';
import { latestPolicyVersion } from '../store/sql/policies.ts';
import { getHarnesses } from '../store/sql/profiles.ts';
import { auditRowFor, recordAudit } from './audit.ts';
import { checkUsageEvents, enforceBudgets, notePauseCarriedOut } from './budgets.ts';
import { fingerprint } from './canonical-json.ts';
import type { Core } from './context.ts';
import { conflict, invalid, notFound } from './errors.ts';
import {
  appendItemEvents,
  claimForRunner,
  claimItemsOrNotFound,
  type DispatchSpec,
  dispatchRefused,
  extendLeaseFenced,
  fencedRunnerWrite,
  finishItem,
  getItemOrThrow,
  insertPendingItem,
  newItem,
  requestCancel,
  writeItem,
} from './items.ts';
import { latestHarness } from './profiles.ts';
import { isLeased } from './states.ts';
import { leasedTransit, transition } from './transitions.ts';
import type { Checkpoint, HarnessRevision, Item, ItemEvent, NewEvent, WriterIdentity } from './types.ts';
import { announceWork } from './work-announce.ts';

export interface SessionSpec {
  profileId: string;
  taskId: string;
  input: unknown;
  requiredTags?: string[];
  maxAttempts?: number;
  leaseTtlSeconds?: number;
  metadata?: Record<string, unknown>;
}

/** Same key and same body → the same session; same key, other body → 409. */
function replayOrConflict(existing: Item, hash: string): { item: Item; replayed: true } {
  if (existing.idempotencyHash !== hash) {
    throw conflict(
      'idempotency_key_reused',
      'this Idempotency-Key was already used with a different body; use a new key for a new session',
      { session_id: existing.id },
    );
  }
  return { item: existing, replayed: true };
}

/** The item a session spec asks for (the profile's harness revision is pinned where it is inserted). */
const sessionItemSpec = (orgId: string, spec: SessionSpec): DispatchSpec => ({
  orgId,
  profileId: spec.profileId,
  taskId: spec.taskId,
  requiredTags: spec.requiredTags,
  input: spec.input,
  maxAttempts: spec.maxAttempts,
  leaseTtlMs: spec.leaseTtlSeconds === undefined ? undefined : Math.round(spec.leaseTtlSeconds * 1000),
  metadata: spec.metadata ?? {},
});

/**
 * Runs a keyed insert (`attempt`, one transaction) and announces the new item. Two requests with one new
 * Idempotency-Key race to insert; the loser's unique violation runs it again, and it answers like a repeat.
 */
async function insertKeyed(
  core: Core,
  attempt: () => Promise<{ item: Item; replayed: boolean }>,
): Promise<{ item: Item; replayed: boolean }> {
  let outcome: { item: Item; replayed: boolean };
  try {
    outcome = await attempt();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    outcome = await attempt();
  }
  if (!outcome.replayed) announceWork(core, [outcome.item]);
  return outcome;
}

export async function dispatchSession(
  core: Core,
  orgId: string,
  spec: SessionSpec,
  idempotencyKey: string | null,
): Promise<{ item: Item; replayed: boolean }> {
  if (!idempotencyKey) {
    // One statement: profile check, harness pin, item, first event and audit row.
    const inserted = await insertProfiledItem(core.db, newItem(core, sessionItemSpec(orgId, spec)), auditRowFor());
    if (typeof inserted === 'string') throw dispatchRefused(inserted, spec.profileId);
    announceWork(core, [inserted]);
    return { item: inserted, replayed: false };
  }
  const hash = fingerprint(spec);
  const attempt = () =>
    core.db.tx(async (tx) => {
      const existing = await findItemByIdempotencyKey(tx, orgId, idempotencyKey);
      if (existing) return replayOrConflict(existing, hash);
      // An unknown profile (or another org's) is a 404 like any other id the caller cannot see.
      const refusal = await dispatchRefusal(tx, orgId, spec.profileId);
      if (refusal) throw dispatchRefused(refusal, spec.profileId);
      const harness = await latestHarness(tx, orgId, spec.profileId);
      const item = await insertPendingItem(core, tx, {
        ...sessionItemSpec(orgId, spec),
        harnessRevisionId: harness?.id ?? null,
        policyVersion: await latestPolicyVersion(tx, orgId, spec.profileId),
        idempotencyKey,
        idempotencyHash: hash,
      });
      await recordAudit(tx, item.id);
      return { item, replayed: false };
    });
  return insertKeyed(core, attempt);
}

/**
 * A new pending session with the same input, profile, pinned harness revision and policy version as session `id`
 * (in any state), linked both ways (`replay_of` on the new one, `replays` on the source). With an Idempotency-Key
 * the same key answers the same replay (`replayed`), and a key used for something else answers 409.
 */
export async function replaySession(
  core: Core,
  orgId: string,
  id: string,
  idempotencyKey: string | null,
): Promise<{ item: Item; replayed: boolean }> {
  const hash = fingerprint({ replay_of: id });
  const attempt = () =>
    core.db.tx(async (tx) => {
      if (idempotencyKey) {
        const existing = await findItemByIdempotencyKey(tx, orgId, idempotencyKey);
        if (existing) return replayOrConflict(existing, hash);
      }
      // The source's row lock orders concurrent replays' appends to its `replays`.
      const source = await lockItem(tx, orgId, id);
      if (!source) throw notFound('session', id);
      const refusal = await dispatchRefusal(tx, orgId, source.profileId);
      if (refusal) throw dispatchRefused(refusal, source.profileId);
      const item = await insertPendingItem(core, tx, {
        orgId,
        profileId: source.profileId,
        taskId: source.taskId,
        requiredTags: source.requiredTags,
        input: source.input,
        maxAttempts: source.maxAttempts,
        leaseTtlMs: source.leaseTtlMs,
        harnessRevisionId: source.harnessRevisionId,
        policyVersion: source.policyVersion,
        replayOf: source.id,
        metadata: source.metadata,
        idempotencyKey,
        idempotencyHash: idempotencyKey ? hash : null,
      });
      await appendReplay(tx, source.id, item.id);
      await recordAudit(tx, item.id);
      return { item, replayed: false };
    });
  return insertKeyed(core, attempt);
}

export const getSession = (core: Core, orgId: string, id: string) => getItemOrThrow(core.db, orgId, id, 'session');

export const listSessions = (core: Core, orgId: string, filter: ItemFilter) => listItems(core.db, orgId, filter);

/** Atomic pending → dispatched of one session for a runner; a second claim gets 409 naming the state. */
export async function claimSession(
  core: Core,
  orgId: string,
  itemId: string,
  runnerId: string,
  instance: string | null,
): Promise<Item> {
  const [claimed] = await claimItemsOrNotFound(core, {
    orgId,
    runnerId,
    profileIds: null,
    limit: 1,
    itemId,
    tags: [],
    requireRegistered: false,
    instance,
  });
  if (claimed) return claimed;
  const item = await getItemOrThrow(core.db, orgId, itemId, 'session');
  if (item.state !== 'pending') {
    throw conflict('illegal_transition', `cannot claim: the session is ${item.state}, not pending`, {
      state: item.state,
    });
  }
  throw conflict('runner_at_capacity', `runner ${runnerId} already holds as many sessions as its max concurrency`);
}

export function claimNextSessions(
  core: Core,
  request: {
    orgId: string;
    runnerId: string;
    profileIds: string[] | null;
    tags: string[] | null;
    limit: number;
    instance: string | null;
    waitMs: number;
    signal?: AbortSignal;
  },
): Promise<Item[]> {
  return claimForRunner(core, { ...request, requireRegistered: false });
}

export interface SessionPatch {
  state?: 'running' | 'succeeded' | 'failed';
  progress?: number;
  metadata?: Record<string, unknown>;
  result?: unknown;
  error?: string;
}

export async function patchSession(
  core: Core,
  orgId: string,
  id: string,
  patch: SessionPatch,
  writer: WriterIdentity,
): Promise<Item> {
  const also = { progress: patch.progress, metadata: patch.metadata };
  if (patch.state === 'succeeded' || patch.state === 'failed') {
    if (patch.state === 'failed' && !patch.error) throw invalid('error', 'error is required when state is failed');
    const { item } = await finishItem(core, orgId, id, {
      outcome: patch.state,
      result: patch.result ?? null,
      error: patch.error ?? null,
      writer,
      fingerprintOf: { state: patch.state, result: patch.result ?? null, error: patch.error ?? null },
      also,
    });
    return item;
  }
  return writeItem(
    core,
    orgId,
    id,
    writer,
    'update the session',
    async (tx, item, { lease, operator }) => {
      const change = {
        ...also,
        lease,
        ...(patch.result !== undefined ? { result: { value: patch.result, hash: fingerprint(patch.result) } } : {}),
      };
      if (patch.state === 'running' && item.state !== 'running') {
        return transition(tx, item, 'running', { ...change, reason: 'runner_started', operator, started: true });
      }
      return updateItem(tx, id, change);
    },
    { what: 'session' },
  );
}

/** Extends the session's lease (a runner's heartbeat); the answer tells the runner whether to stop. */
export async function heartbeatSession(core: Core, orgId: string, id: string, writer: WriterIdentity): Promise<Item> {
  core.metrics.heartbeats.inc();
  const fast = await extendLeaseFenced(core, orgId, id, writer);
  if (fast) return fast;
  return writeItem(core, orgId, id, writer, 'heartbeat', (tx, _item, { lease }) => updateItem(tx, id, { lease }), {
    what: 'session',
    operatorAllowed: (item) => isLeased(item.state),
  });
}

/**
 * Stores a checkpoint; with `pause`, also moves the session to paused and frees its runner slot (the attempt ends).
 */
export async function checkpointSession(
  core: Core,
  orgId: string,
  id: string,
  request: { data?: unknown; pause: boolean },
  writer: WriterIdentity,
): Promise<{ item: Item; checkpoint: Checkpoint | null }> {
  // The runner that holds the session stores it in one statement (checkpoint row, its event, the lease or the
  // pause); an operator's checkpoint and a refusal take the engine's path below, which explains a refusal.
  const checkpoint = request.data === undefined ? {} : { checkpoint: { data: request.data } };
  const fast = await fencedRunnerWrite(
    core,
    orgId,
    id,
    writer,
    request.pause
      ? {
          ...checkpoint,
          change: { lease: 'clear', clearRunner: true },
          transit: leasedTransit(() => 'paused', 'paused'),
          closeAttempt: true,
        }
      : { ...checkpoint, change: { lease: 'extend' } },
    writeItemRow,
  );
  const done = fast
    ? { item: fast.item, checkpoint: fast.checkpoint }
    : await checkpointSessionLocked(core, orgId, id, request, writer);
  return { ...done, item: await notePauseCarriedOut(core.db, done.item) };
}

/** The engine's checkpoint (lock, check, write, in one transaction); the statement above is tested against it. */
export async function checkpointSessionLocked(
  core: Core,
  orgId: string,
  id: string,
  request: { data?: unknown; pause: boolean },
  writer: WriterIdentity,
): Promise<{ item: Item; checkpoint: Checkpoint | null }> {
  return writeItem(
    core,
    orgId,
    id,
    writer,
    request.pause ? 'pause' : 'checkpoint',
    async (tx, item, { lease, operator }) => {
      const checkpoint = request.data === undefined ? null : await insertCheckpoint(tx, id, request.data);
      const events: NewEvent[] = checkpoint
        ? [
            {
              type: 'checkpoint',
              level: 'info',
              message: `checkpoint ${checkpoint.seq}`,
              data: { seq: checkpoint.seq },
            },
          ]
        : [];
      if (!request.pause) {
        return { item: await updateItem(tx, id, { lease }, { events }), checkpoint };
      }
      if (item.state !== 'dispatched' && item.state !== 'running') {
        throw conflict('illegal_transition', `cannot pause: the session is ${item.state}`, { state: item.state });
      }
      const paused = await transition(tx, item, 'paused', {
        reason: 'paused',
        operator,
        events,
        lease: 'clear',
        clearRunner: true,
        closeAttempt: true,
      });
      return { item: paused, checkpoint };
    },
    { what: 'session' },
  );
}

/** paused (or failed with a checkpoint) → pending: the next claimer receives the latest checkpoint. */
export async function resumeSession(core: Core, orgId: string, id: string, actor: string | null): Promise<Item> {
  const item = await writeItem(
    core,
    orgId,
    id,
    { actor },
    'resume',
    async (tx, current) => {
      // A budget pause is over once the session resumes.
      await clearPause(tx, id);
      return transition(tx, current, 'pending', {
        reason: 'resumed',
        operator: actor,
        lease: 'clear',
        clearRunner: true,
        error: null,
        failureReason: null,
        unfinished: true,
      });
    },
    {
      what: 'session',
      operatorAllowed: (current) =>
        current.state === 'paused' || (current.state === 'failed' && current.lastCheckpointSeq > 0),
    },
  );
  announceWork(core, [item]);
  return item;
}

export const cancelSession = (core: Core, orgId: string, id: string, actor: string | null) =>
  requestCancel(core, orgId, id, 'session', actor);

/**
 * Events from a runner are fenced and extend its lease; an operator's are accepted in any state. The answer says
 * whether cancellation was requested, so a runner learns it from every write.
 */
export async function appendSessionEvents(
  core: Core,
  orgId: string,
  id: string,
  events: NewEvent[],
  writer: WriterIdentity,
): Promise<{ events: ItemEvent[]; cancelRequested: boolean; pauseRequested: boolean }> {
  checkUsageEvents(events);
  const appended = await appendItemEvents(core, orgId, id, events, writer, {
    what: 'session',
    operatorAllowed: () => true,
  });
  const spent = usageOf(events);
  // Spending may cross a budget: the runner hears it in this answer (the reaper may have asked first).
  let reached = false;
  if (spent.tokens > 0 || spent.costUsd > 0) {
    reached = (await enforceBudgets(core, id)) > 0 || (await getItem(core.db, orgId, id))?.pauseRequestedAt != null;
  }
  return {
    events: appended.events,
    cancelRequested: appended.head.state === 'cancel_requested',
    pauseRequested: (appended.pauseRequested || reached) && appended.head.state !== 'cancel_requested',
  };
}
export async function readSessionEvents(
  q: Queryable,
  orgId: string,
  id: string,
  options: { after: number; limit: number; type?: string | null },
): Promise<ItemEvent[]> {
  if (!(await getItem(q, orgId, id))) throw notFound('session', id);
  return listEvents(q, id, options);
}

/** What a session answer carries besides the item: its pinned harness revision and its latest checkpoint. */
export interface SessionContext {
  harnesses: Map<string, HarnessRevision>;
  checkpoints: Map<string, Checkpoint>;
}

export async function sessionContext(q: Queryable, items: Item[]): Promise<SessionContext> {
  const harnessIds = [...new Set(items.map((item) => item.harnessRevisionId).filter((id): id is string => !!id))];
  const withCheckpoints = items.filter((item) => item.lastCheckpointSeq > 0).map((item) => item.id);
  const [harnesses, checkpoints] = await Promise.all([
    getHarnesses(q, harnessIds),
    latestCheckpoints(q, withCheckpoints),
  ]);
  return { harnesses, checkpoints };
}

/** Every attempt of a session, first to last: runner, claim, end and outcome. 404 for another org's session. */
export async function sessionAttempts(core: Core, orgId: string, id: string) {
  await getItemOrThrow(core.db, orgId, id, 'session');
  return listItemAttempts(core.db, id);
}
