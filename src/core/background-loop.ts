// One shape for the server's background loops (lease reaper, delivery worker, maintenance): a pass runs, the next is
// scheduled after it ends (never two at once), and a failing pass backs off exponentially up to MAX_BACKOFF_MS
// instead of hammering a database that is down — logging the outage once and its end once. Only the instance that
// leads runs passes (one worker is enough; the others stand by and take over when it goes). Stopping waits for a
// running pass.

const MAX_BACKOFF_MS = 10_000;

export interface LoopLog {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface LoopOptions {
  name: string;
  intervalMs: number;
  /** One pass; its result `true` asks for the next pass at once (more work is waiting). */
  pass: () => Promise<boolean>;
  log: LoopLog;
  /** Whether this instance leads (runs passes) right now; without it, it always does. */
  leading?: () => boolean;
}

/** Starts the loop; the returned function stops it and resolves once a running pass has finished. */
export function startLoop(options: LoopOptions): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let failures = 0;
  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(tick, ms);
  };
  const tick = () => {
    if (options.leading && !options.leading()) return schedule(options.intervalMs);
    running = options
      .pass()
      .then((more) => {
        if (failures > 0) options.log.warn({ failures }, `${options.name} recovered`);
        failures = 0;
        schedule(more ? 0 : options.intervalMs);
      })
      .catch((error: unknown) => {
        failures += 1;
        if (failures === 1) options.log.error({ err: error }, `${options.name} pass failed; retrying with backoff`);
        schedule(Math.min(MAX_BACKOFF_MS, options.intervalMs * 2 ** failures));
      });
  };
  schedule(options.intervalMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
