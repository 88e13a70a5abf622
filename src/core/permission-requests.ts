// Permission requests (issue 16): a running session asks for a grant; the policy it pinned at dispatch decides at
// once (allow: a grant is minted; deny) or the request waits for a person with `runners:approve`. The grant's token
// is handed once, to the attempt that asked — when it asks (allow) or when it collects the decision — and exists
// nowhere else: the request row keeps only the decision and, once handed out, the grant's id.
//
// Lock order, as everywhere: the session's item row first, then the request row.
import { randomBytes } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { insertGrant } from '../store/sql/grants.ts';
import { getItemHead, lockItem, updateItem } from '../store/sql/items.ts';
import {
  decidePermissionRequest,
  expireRequest,
  getPermissionRequest,
  insertPermissionRequest,
  listPermissionRequests,
  markTokenDelivered,
  overdueRequests,
  type RequestFilter,
} from '../store/sql/permission-requests.ts';
import { recordAudit } from './audit.ts';
import { GRANT_PREFIX, hashApiKey } from './auth.ts';
import type { Core } from './context.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { checkRunnerWriter, writerKind } from './fencing.ts';
import { newId } from './ids.ts';
import { rulesOf } from './policies.ts';
import type { Grant, Item, NewEvent, PermissionRequest, PermissionRule, WriterIdentity } from './types.ts';
import { announceItemNews } from './work-announce.ts';

/** The longest grant any rule or person may give. */
export const MAX_GRANT_TTL_SECONDS = 86_400;

export interface RuleMatch {
  action: PermissionRule['action'];
  /** The index of the matching rule; null when none matched and the default `ask` applies. */
  index: number | null;
  maxTtlSeconds: number;
}

/**
 * Whether `text` matches the glob `pattern`: `**` matches any run of characters, `*` any run without `separator`,
 * everything else itself.
 */
export function globMatches(pattern: string, text: string, separator: string): boolean {
  const sep = separator.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  const source = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'))
        .join(`[^${sep}]*`),
    )
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(text);
}

/** The first rule whose scope (`*` within a `:` segment) and resource (`*` within a `/` segment) match decides. */
export function matchRule(rules: readonly PermissionRule[], scope: string, resource: string): RuleMatch {
  const index = rules.findIndex(
    (rule) => globMatches(rule.scope, scope, ':') && globMatches(rule.resource, resource, '/'),
  );
  const rule = index >= 0 ? rules[index] : undefined;
  return {
    action: rule?.action ?? 'ask',
    index: rule ? index : null,
    maxTtlSeconds: Math.min(rule?.maxTtlSeconds ?? MAX_GRANT_TTL_SECONDS, MAX_GRANT_TTL_SECONDS),
  };
}

export interface PermissionAsk {
  scope: string;
  resource: string;
  reason: string;
  ttlSeconds: number;
}

/** A request and, when this answer hands it out, its grant and the grant's token (shown this once). */
export interface RequestAnswer {
  request: PermissionRequest;
  grant: Grant | null;
  token: string | null;
}

const requestEvent = (
  type: string,
  request: PermissionRequest,
  message: string,
  data: Record<string, unknown> = {},
): NewEvent => ({
  type,
  level: request.state === 'denied' || request.state === 'expired' ? 'warn' : 'info',
  message,
  data: {
    request_id: request.id,
    scope: request.scope,
    resource: request.resource,
    attempt: request.attempt,
    state: request.state,
    ...data,
  },
});

/**
 * Mints the grant of an approved request for its asking attempt and marks it handed out. The caller holds the
 * request's lock and saw it not handed out; should that not hold, the transaction fails whole (no stray grant).
 */
async function handOut(tx: Queryable, request: PermissionRequest): Promise<{ grant: Grant; token: string }> {
  const token = GRANT_PREFIX + randomBytes(32).toString('base64url');
  const grant = await insertGrant(tx, {
    id: newId('grant'),
    orgId: request.orgId,
    itemId: request.sessionId,
    scope: request.scope,
    reason: request.reason,
    resource: request.resource,
    tokenHash: hashApiKey(token),
    createdBy: request.decidedBy ?? 'policy',
    ttlSeconds: request.ttlSeconds,
    expiresAt: request.grantExpiresAt,
  });
  if (!(await markTokenDelivered(tx, request.id, grant.id))) {
    throw new Error(`permission request ${request.id} was handed out twice under its lock`);
  }
  return { grant, token };
}

/**
 * The running attempt asks for a permission (fenced: only the attempt that holds the session may ask; the ask
 * extends its lease). Its pinned policy decides now or leaves it pending for a person.
 */
export async function askPermission(
  core: Core,
  orgId: string,
  sessionId: string,
  writer: WriterIdentity,
  ask: PermissionAsk,
): Promise<RequestAnswer> {
  const answer = await core.db.tx(async (tx) => {
    const item = await lockItem(tx, orgId, sessionId);
    if (!item) throw notFound('session', sessionId);
    if (writerKind(writer) !== 'runner') {
      throw invalid(
        'x-runplane-attempt',
        'a permission request is asked by the attempt running the session: send x-runplane-attempt and x-runner-id',
      );
    }
    checkRunnerWriter(item, writer, 'ask for a permission');
    if (item.state === 'cancel_requested') {
      throw conflict('illegal_transition', 'cannot ask for a permission: the session is being cancelled', {
        state: item.state,
      });
    }
    const match = matchRule((await rulesOf(tx, item)).permissions, ask.scope, ask.resource);
    const ttlSeconds = Math.min(ask.ttlSeconds, match.maxTtlSeconds);
    const state = match.action === 'allow' ? 'approved' : match.action === 'deny' ? 'denied' : 'pending';
    const request = await insertPermissionRequest(tx, {
      id: newId('preq'),
      orgId,
      sessionId,
      attempt: item.attempt,
      runnerId: item.runnerId,
      scope: ask.scope,
      resource: ask.resource,
      reason: ask.reason,
      ttlSeconds,
      state,
      decidedBy: state === 'pending' ? null : 'policy',
      ruleIndex: match.index,
      grantTtlSeconds: state === 'approved' ? ttlSeconds : null,
      timeoutSeconds: core.config.approvalTimeoutMs / 1000,
    });
    const handed = state === 'approved' ? await handOut(tx, request) : null;
    const rule = match.index === null ? 'the default (ask)' : `rule ${match.index + 1} (${match.action})`;
    const events = [
      requestEvent(
        'permission_requested',
        { ...request, state: 'pending' },
        `asked for ${request.scope} on ${request.resource}: ${rule}`,
        { reason: request.reason, ttl_seconds: request.ttlSeconds, rule: match.index },
      ),
    ];
    if (state !== 'pending') {
      events.push(
        requestEvent(`permission_${state}`, request, `${request.scope} on ${request.resource} ${state} by the policy`, {
          by: 'policy',
          ...(handed ? { grant_id: handed.grant.id } : {}),
        }),
      );
    }
    await updateItem(tx, sessionId, { lease: 'extend' }, { events });
    await recordAudit(tx, `${sessionId}/${request.id}`);
    return {
      request: handed ? { ...request, grantId: handed.grant.id, tokenDelivered: true } : request,
      grant: handed?.grant ?? null,
      token: handed?.token ?? null,
    };
  });
  announceItemNews(core, orgId, [sessionId]);
  if (answer.request.state === 'pending') core.metrics.permissionRequests.inc({ decision: 'pending' });
  else core.metrics.permissionRequests.inc({ decision: answer.request.state });
  return answer;
}

/** True when `writer` is the runner attempt that asked `request` (the one the token belongs to). */
const isAsker = (request: PermissionRequest, writer: WriterIdentity) =>
  writer.attempt != null &&
  writer.attempt === request.attempt &&
  (writer.runnerId == null || writer.runnerId === request.runnerId);

/**
 * A request of a session, waiting up to `waitMs` while it is pending (a long poll: any instance answers, woken by
 * the decision's event). The asking attempt collects the token of an approved request in this answer, once; a
 * later answer, or one to anyone else, carries none.
 */
export async function readPermissionRequest(
  core: Core,
  orgId: string,
  sessionId: string,
  requestId: string,
  writer: WriterIdentity,
  waitMs: number,
  signal?: AbortSignal,
): Promise<RequestAnswer> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    // The head first: a decision after this read writes an event after its sequence, which ends the wait below.
    const head = await getItemHead(core.db, orgId, sessionId);
    if (!head) throw notFound('session', sessionId);
    const request = await getPermissionRequest(core.db, orgId, sessionId, requestId);
    if (!request) throw notFound('permission request', requestId);
    const left = deadline - Date.now();
    if (request.state !== 'pending' || left <= 0 || signal?.aborted) {
      if (request.state === 'approved' && !request.tokenDelivered && isAsker(request, writer)) {
        return collect(core, orgId, request, writer);
      }
      return { request, grant: null, token: null };
    }
    // Re-read at the request's own deadline at the latest: its expiry writes no event until the sweep.
    const until = Math.min(left, Math.max(0, request.expiresAt.getTime() - Date.now()) + 50);
    await core.itemWatch.wait(orgId, sessionId, head.lastEventSeq, until, signal);
  }
}

/** Hands the asking attempt the token of its approved request (fenced: the attempt must still hold the session). */
async function collect(
  core: Core,
  orgId: string,
  seen: PermissionRequest,
  writer: WriterIdentity,
): Promise<RequestAnswer> {
  return core.db.tx(async (tx) => {
    const item = await lockItem(tx, orgId, seen.sessionId);
    if (!item) throw notFound('session', seen.sessionId);
    checkRunnerWriter(item, writer, 'collect a permission');
    const request = await getPermissionRequest(tx, orgId, seen.sessionId, seen.id, true);
    if (!request) throw notFound('permission request', seen.id);
    const handed = request.state === 'approved' && !request.tokenDelivered ? await handOut(tx, request) : null;
    if (!handed) return { request, grant: null, token: null };
    return { request: { ...request, grantId: handed.grant.id, tokenDelivered: true }, ...handed };
  });
}

export async function listRequests(core: Core, orgId: string, filter: RequestFilter): Promise<PermissionRequest[]> {
  return listPermissionRequests(core.db, orgId, filter);
}

export interface Decision {
  approve: boolean;
  /** An approval's grant lifetime (capped by the matching rule's max_ttl_seconds); default: what was asked. */
  ttlSeconds?: number;
  note: string | null;
}

/** A person approves or denies a pending request; 409 once it is decided or expired, 404 in another org. */
export async function decidePermission(
  core: Core,
  orgId: string,
  requestId: string,
  actor: string,
  decision: Decision,
): Promise<PermissionRequest> {
  const seen = await getPermissionRequest(core.db, orgId, null, requestId);
  if (!seen) throw notFound('permission request', requestId);
  const sessionId = seen.sessionId;
  const decided = await core.db.tx(async (tx) => {
    const item = (await lockItem(tx, orgId, sessionId)) as Item;
    const request = await getPermissionRequest(tx, orgId, sessionId, requestId, true);
    if (!request) throw notFound('permission request', requestId);
    if (request.state !== 'pending') {
      throw conflict('request_not_pending', `the permission request is already ${request.state}`, {
        state: request.state,
      });
    }
    const match = matchRule((await rulesOf(tx, item)).permissions, request.scope, request.resource);
    const written = await decidePermissionRequest(tx, requestId, {
      state: decision.approve ? 'approved' : 'denied',
      decidedBy: actor,
      note: decision.note,
      grantTtlSeconds: decision.approve
        ? Math.min(decision.ttlSeconds ?? request.ttlSeconds, match.maxTtlSeconds)
        : null,
    });
    const verb = decision.approve ? 'approved' : 'denied';
    await updateItem(
      tx,
      sessionId,
      {},
      {
        events: [
          requestEvent(`permission_${verb}`, written, `${written.scope} on ${written.resource} ${verb} by ${actor}`, {
            by: actor,
            ...(decision.note ? { note: decision.note } : {}),
            ...(decision.approve ? { grant_expires_at: written.grantExpiresAt?.toISOString() } : {}),
          }),
        ],
      },
    );
    await recordAudit(tx, `${sessionId}/${requestId}`);
    return written;
  });
  announceItemNews(core, orgId, [sessionId]);
  core.metrics.permissionDecisions.observe(
    { decision: decided.state },
    (decided.decidedAt!.getTime() - decided.createdAt.getTime()) / 1000,
  );
  return decided;
}

/**
 * Writes down requests that are over as `expired`, each with its session's event (the reaper's pass; readers see
 * them expired already). Each in its own transaction, item row first like every other write. Returns how many.
 */
export async function expireOverdueRequests(core: Core, limit = 200): Promise<number> {
  let count = 0;
  for (const candidate of await overdueRequests(core.db, limit)) {
    const expired = await core.db.tx(async (tx) => {
      if (!(await lockItem(tx, candidate.orgId, candidate.sessionId))) return null;
      const request = await expireRequest(tx, candidate.id);
      if (!request) return null;
      await updateItem(
        tx,
        request.sessionId,
        {},
        { events: [requestEvent('permission_expired', request, `${request.scope} on ${request.resource} expired`)] },
      );
      return request;
    });
    if (!expired) continue;
    count++;
    announceItemNews(core, expired.orgId, [expired.sessionId]);
    core.metrics.permissionRequests.inc({ decision: 'expired' });
  }
  return count;
}
