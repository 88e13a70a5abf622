// Waiting on outcomes in end-to-end tests: poll until a condition holds (the deadline bounds a hang; the test then
// asserts on the outcome itself), and read whether a process still runs.
import fs from 'node:fs';

export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined as T);
    if ((value !== undefined && done(value)) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A process's state letter from /proc (S sleeping, Z zombie, …) or 'gone'. */
export const processState = (pid: number): string =>
  fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]! : 'gone';

/** Ended: gone, or a zombie waiting for this machine's init to reap it. */
export const ENDED_STATES = ['gone', 'Z', 'X'];
