// Budgets (issue 16). A session spends tokens and money (its `usage` events, summed on its row by the statement
// that stores them) and wall time (its attempts). Crossing a limit of its own budget or its pinned policy's asks
// the runner to pause it (`pause_requested`, told on its next heartbeat or write); a runner that has not paused it
// within the cancel grace is overruled: the server pauses it itself and fences the attempt. A person with
// `runners:approve` raises the budget; `resume` continues.
import type { Queryable } from '../store/db.ts';
import {
  clearPause,
  markPauseRequested,
  overduePauses,
  pauseCarriedOut,
  reachedBudgets,
  setBudget,
} from '../store/sql/budgets.ts';
import { lockItem, updateItem } from '../store/sql/items.ts';
import { recordAudit } from './audit.ts';
import type { Core } from './context.ts';
import { conflict, invalid, notFound } from './errors.ts';
import { isLeased, isTerminal } from './states.ts';
import { transition } from './transitions.ts';
import type { Budgets, Item, NewEvent } from './types.ts';
import { announceItemNews } from './work-announce.ts';

export const PAUSE_REASON = 'budget_reached';

/** `usage` events carry non-negative `tokens` (an integer) and `cost_usd`; anything else is refused, naming it. */
export function checkUsageEvents(events: readonly NewEvent[], field = 'body'): void {
  events.forEach((event, index) => {
    if (event.type !== 'usage') return;
    const data = event.data as { tokens?: unknown; cost_usd?: unknown } | null | undefined;
    const where = `${field === 'body' ? '' : field}[${index}].data`;
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw invalid(where, `${where} of a usage event must be an object {tokens?, cost_usd?}`);
    }
    if (data.tokens !== undefined && !(Number.isSafeInteger(data.tokens) && (data.tokens as number) >= 0)) {
      throw invalid(`${where}.tokens`, `${where}.tokens must be a non-negative integer`);
    }
    if (
      data.cost_usd !== undefined &&
      !(typeof data.cost_usd === 'number' && Number.isFinite(data.cost_usd) && data.cost_usd >= 0)
    ) {
      throw invalid(`${where}.cost_usd`, `${where}.cost_usd must be a non-negative number`);
    }
  });
}

/** Asks the runners of sessions that reached a budget (one session, or all) to pause them. Returns how many. */
export async function enforceBudgets(core: Core, sessionId: string | null = null, max = 200): Promise<number> {
  let count = 0;
  for (const reached of await reachedBudgets(core.db, sessionId, max)) {
    const asked = await core.db.tx(async (tx) => {
      const item = await lockItem(tx, reached.orgId, reached.id);
      if (!item || (item.state !== 'dispatched' && item.state !== 'running') || item.pauseRequestedAt) return false;
      await markPauseRequested(tx, item.id, PAUSE_REASON);
      await updateItem(
        tx,
        item.id,
        {},
        {
          events: [
            {
              type: 'budget_reached',
              level: 'warn',
              message: `${reached.budget} reached (${round(reached.used)} of ${reached.limit}): pause requested`,
              data: { budget: reached.budget, used: reached.used, limit: reached.limit },
            },
          ],
        },
      );
      return true;
    });
    if (!asked) continue;
    count++;
    core.metrics.budgetPauses.inc({ budget: reached.budget });
    announceItemNews(core, reached.orgId, [reached.id]);
  }
  return count;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Pauses, as the server, sessions whose runner did not carry out a pause request within the grace. */
export async function forceOverduePauses(core: Core, max = 200): Promise<number> {
  let count = 0;
  for (const overdue of await overduePauses(core.db, core.config.cancelGraceMs, max)) {
    const paused = await core.db.tx(async (tx) => {
      const item = await lockItem(tx, overdue.orgId, overdue.id);
      if (!item || (item.state !== 'dispatched' && item.state !== 'running') || !item.pauseRequestedAt) return false;
      await transition(tx, item, 'paused', {
        reason: PAUSE_REASON,
        operator: null,
        lease: 'clear',
        clearRunner: true,
        closeAttempt: true,
      });
      await pauseCarriedOut(tx, item.id);
      return true;
    });
    if (!paused) continue;
    count++;
    announceItemNews(core, overdue.orgId, [overdue.id]);
  }
  return count;
}

/** After a runner paused a session it was asked to: the request is done, its reason stays until resume. */
export async function notePauseCarriedOut(q: Queryable, item: Item): Promise<Item> {
  if (item.state !== 'paused' || !item.pauseRequestedAt) return item;
  await pauseCarriedOut(q, item.id);
  return { ...item, pauseRequestedAt: null };
}

/**
 * A person changes the session's own budget: `change` fields replace the current ones (null removes one). A pause
 * asked for but not carried out is withdrawn when the new limits are no longer reached.
 */
export async function changeSessionBudget(
  core: Core,
  orgId: string,
  sessionId: string,
  change: { [K in keyof Budgets]?: number | null },
  actor: string | null,
): Promise<Item> {
  const updated = await core.db.tx(async (tx) => {
    const item = await lockItem(tx, orgId, sessionId);
    if (!item) throw notFound('session', sessionId);
    if (isTerminal(item.state)) {
      throw conflict('task_finished', `cannot change the budget: the session is ${item.state}`, { state: item.state });
    }
    const budget: Budgets = { ...(item.budget ?? {}) };
    for (const [key, value] of Object.entries(change) as [keyof Budgets, number | null | undefined][]) {
      if (value === undefined) continue;
      if (value === null) delete budget[key];
      else budget[key] = value;
    }
    await setBudget(tx, sessionId, budget);
    // A pause asked for but not carried out yet is withdrawn when the new limits are no longer reached.
    const withdrawn =
      item.pauseRequestedAt !== null &&
      isLeased(item.state) &&
      (await reachedBudgets(tx, sessionId, 1, true)).length === 0;
    if (withdrawn) await clearPause(tx, sessionId);
    await updateItem(
      tx,
      sessionId,
      {},
      {
        events: [
          {
            type: 'budget_changed',
            level: 'info',
            message: `budget changed by ${actor ?? 'an operator'}`,
            data: { budget: presentBudget(budget), by: actor, pause_withdrawn: withdrawn },
          },
        ],
      },
    );
    await recordAudit(tx);
    return withdrawn ? { ...item, budget, pauseRequestedAt: null, pauseReason: null } : { ...item, budget };
  });
  announceItemNews(core, orgId, [sessionId]);
  return updated;
}

/** Budgets as the API writes them (snake_case): a policy's, a session's own, an event's. */
export function presentBudget(budget: Budgets) {
  return {
    ...(budget.maxWallSeconds !== undefined ? { max_wall_seconds: budget.maxWallSeconds } : {}),
    ...(budget.maxTokens !== undefined ? { max_tokens: budget.maxTokens } : {}),
    ...(budget.maxCostUsd !== undefined ? { max_cost_usd: budget.maxCostUsd } : {}),
  };
}

/** Budgets as the API reads them (snake_case; a PATCH may send null to remove a limit), the fields given only. */
export function budgetsFromBody<T>(body: { max_wall_seconds?: T; max_tokens?: T; max_cost_usd?: T } = {}) {
  return {
    ...(body.max_wall_seconds !== undefined ? { maxWallSeconds: body.max_wall_seconds } : {}),
    ...(body.max_tokens !== undefined ? { maxTokens: body.max_tokens } : {}),
    ...(body.max_cost_usd !== undefined ? { maxCostUsd: body.max_cost_usd } : {}),
  };
}
