// The embedded store's worker thread: PGlite and its session (pglite-session.ts) run here, so the database uses its
// own core and the HTTP thread only sends statements and receives rows (issue 13). The main thread (embedded.ts)
// queues calls, so this side handles one at a time, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PgliteSession } from './pglite-session.ts';

export interface WorkerOptions {
  /** The cluster directory (created beforehand); absent: in memory, from `snapshot` when given. */
  pgdata?: string;
  snapshot?: ArrayBuffer;
}

export type WorkerCall =
  | { id: number; op: 'run'; sql: string; params: readonly unknown[] }
  | { id: number; op: 'script'; sql: string }
  | { id: number; op: 'dump' }
  | { id: number; op: 'close' };

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'notification'; channel: string; payload: string };

/** An error crossing threads: structured clone keeps only `message`, so the SQLSTATE and details travel as fields. */
export interface SerializedError {
  message: string;
  fields: Record<string, unknown>;
}

// PostgreSQL's default 128 MB of shared buffers live in PGlite's WebAssembly memory, which never shrinks: a busy
// embedded store kept ~130 MB more resident than its data needs. The embedded store serves one process; 16 MB
// holds its hot rows (measured: idle RSS of a reopened store 324 → 211 MB).
const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

const serializeError = (error: unknown): SerializedError => {
  const { message, stack: _stack, ...fields } = { ...(error as Record<string, unknown>) };
  return { message: (error as Error)?.message ?? String(error), fields };
};

const port = parentPort!;
const options = workerData as WorkerOptions;
try {
  const pglite = new PGlite({
    startParams,
    ...(options.pgdata ? { dataDir: options.pgdata } : {}),
    ...(options.snapshot ? { loadDataDir: new Blob([options.snapshot]) } : {}),
  });
  await pglite.waitReady;
  const session = new PgliteSession(pglite);
  session.onNotification((channel, payload) => port.postMessage({ type: 'notification', channel, payload }));
  const handle = async (call: WorkerCall): Promise<unknown> => {
    switch (call.op) {
      case 'run':
        return session.run(call.sql, call.params);
      case 'script':
        return session.script(call.sql);
      case 'dump':
        return (await pglite.dumpDataDir('none')).arrayBuffer();
      case 'close':
        await pglite.close();
        return undefined;
    }
  };
  port.on('message', async (call: WorkerCall) => {
    try {
      const value = await handle(call);
      port.postMessage({ type: 'result', id: call.id, value } satisfies WorkerMessage);
      if (call.op === 'close') port.close();
    } catch (error) {
      port.postMessage({ type: 'error', id: call.id, error: serializeError(error) } satisfies WorkerMessage);
    }
  });
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
} catch (error) {
  port.postMessage({ type: 'failed', error: serializeError(error) } satisfies WorkerMessage);
}
