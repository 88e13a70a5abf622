// Housekeeping that no request waits for: bytes staged by uploads that never committed (a crashed instance, a client
// that went away) are removed once they are old enough that no upload can still be writing them.
import { type LoopLog, startLoop } from './background-loop.ts';
import type { Core } from './context.ts';

const INTERVAL_MS = 60_000;
/** Older than any upload can take (the request timeout is 5 minutes). */
const STAGED_MAX_AGE_MS = 60 * 60_000;

export async function runMaintenance(core: Core, log: LoopLog): Promise<void> {
  const swept = await core.blobs.sweepStaged(STAGED_MAX_AGE_MS);
  if (swept > 0) log.warn({ swept }, 'removed artifact bytes of uploads that never committed');
}

export function startMaintenance(core: Core, log: LoopLog): () => Promise<void> {
  return startLoop({
    name: 'maintenance',
    intervalMs: INTERVAL_MS,
    log,
    pass: async () => {
      await runMaintenance(core, log);
      return false;
    },
  });
}
