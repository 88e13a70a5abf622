// Housekeeping that no request waits for: bytes staged by uploads that never committed (a crashed instance, a client
// that went away) are removed once they are old enough that no upload can still be writing them, and audit records
// past the retention are deleted in small batches.

import { deleteAuditRecordsOlderThan } from '../store/sql/audit.ts';
import { type LoopLog, startLoop } from './background-loop.ts';
import type { Core } from './context.ts';

const INTERVAL_MS = 60_000;
/** Older than any upload can take (the request timeout is 5 minutes). */
const STAGED_MAX_AGE_MS = 60 * 60_000;

const AUDIT_BATCH = 10_000;

export async function runMaintenance(core: Core, log: LoopLog): Promise<void> {
  const swept = await core.blobs.sweepStaged(STAGED_MAX_AGE_MS);
  if (swept > 0) log.warn({ swept }, 'removed artifact bytes of uploads that never committed');
  let expired = 0;
  for (let deleted = AUDIT_BATCH; deleted === AUDIT_BATCH; expired += deleted) {
    deleted = await deleteAuditRecordsOlderThan(core.db, core.config.auditRetentionDays, AUDIT_BATCH);
  }
  if (expired > 0) log.warn({ expired }, `deleted audit records older than ${core.config.auditRetentionDays} days`);
}

export function startMaintenance(core: Core, log: LoopLog): () => Promise<void> {
  return startLoop({
    name: 'maintenance',
    intervalMs: INTERVAL_MS,
    log,
    leading: () => core.leadership?.leading ?? true,
    pass: async () => {
      await runMaintenance(core, log);
      return false;
    },
  });
}
