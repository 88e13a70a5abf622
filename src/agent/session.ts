// Runs one governed session: its program (through the executor) gets the session input as JSON on stdin; stdout
// and stderr lines become log events; lines of the form `::runplane::{json}` are structured messages:
//   {"event": {"type", "level"?, "message"?, "data"?}}   an event in the session's log
//   {"checkpoint": <json>, "pause"?: true}                 a checkpoint (pause also stops the program)
//   {"artifact": {"path", "name"?, "content_type"?}}       a file in the work dir, uploaded as an artifact
//   {"progress": 0.5}                                      progress between 0 and 1
//   {"result": <json>}                                     the session's result
// The exit code decides succeeded (0) or failed; a cancel ends the process group and reports the session.
import fs from 'node:fs';
import path from 'node:path';
import { cleanEnv, runProgram } from './executor.ts';
import { fitLine, LogShipper } from './log-shipper.ts';
import type { ServerApi } from './server-api.ts';

export interface SessionTask {
  id: string;
  attempt: number;
  input: unknown;
  harness_revision: { image_ref: string } | null;
  latest_checkpoint: { seq: number; data: unknown } | null;
}

export interface SessionContext {
  api: ServerApi;
  runnerId: string;
  command: string;
  executor: 'process' | 'container';
  workDir: string;
  spool: string;
  signal: AbortSignal;
  cancelled: () => boolean;
  /** Aborts once the server took the session back; from then on nothing more is written for it. */
  released: AbortSignal;
  timeoutMs: number;
  graceMs: number;
  say: (line: string) => void;
}

interface LogEvent {
  type: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  data?: unknown;
}

const PREFIX = '::runplane::';

export async function runSession(task: SessionTask, context: SessionContext): Promise<string> {
  const base = `/v1/runners/sessions/${task.id}`;
  const headers = { 'x-runplane-attempt': String(task.attempt), 'x-runner-id': context.runnerId };
  const call = (method: string, suffix: string, body?: unknown) =>
    context.api.call(method, `${base}${suffix}`, { body, headers, taskId: task.id, signal: context.released });
  const events = new LogShipper<LogEvent>(async (batch) => {
    await call('POST', '/events', batch);
  }, `${context.spool}.events.jsonl`);
  let result: unknown = null;
  let pausing = false;
  // Messages that call the server are handled in order, after the log lines before them.
  let messages: Promise<void> = Promise.resolve();
  const stop = new AbortController();
  context.signal.addEventListener('abort', () => stop.abort(), { once: true });

  const handle = async (message: Record<string, unknown>) => {
    if (message['event'] && typeof message['event'] === 'object') {
      const event = message['event'] as Partial<LogEvent>;
      events.push({
        type: String(event.type ?? 'event'),
        level: (['debug', 'info', 'warn', 'error'] as const).includes(event.level as never)
          ? (event.level as LogEvent['level'])
          : 'info',
        message: fitLine(String(event.message ?? '')),
        ...(event.data !== undefined ? { data: event.data } : {}),
      });
      return;
    }
    await events.flush();
    if ('checkpoint' in message) {
      const pause = message['pause'] === true;
      await call('POST', '/checkpoint', { data: message['checkpoint'], ...(pause ? { pause: true } : {}) });
      if (pause) {
        pausing = true;
        stop.abort();
      }
    } else if (message['artifact'] && typeof message['artifact'] === 'object') {
      const artifact = message['artifact'] as { path?: string; name?: string; content_type?: string };
      const file = path.resolve(context.workDir, String(artifact.path ?? ''));
      if (!file.startsWith(context.workDir + path.sep) || !fs.existsSync(file)) {
        events.push({
          type: 'log',
          level: 'warn',
          message: `artifact ${artifact.path} is not a file in the work dir; skipped`,
        });
        return;
      }
      const name = artifact.name ?? path.basename(file);
      const response = await fetch(`${context.api.baseUrl}${base}/artifacts?name=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: {
          ...context.api.identityHeaders(),
          ...headers,
          'content-type': artifact.content_type ?? 'application/octet-stream',
          'content-length': String(fs.statSync(file).size),
        },
        body: fs.createReadStream(file) as unknown as BodyInit,
        duplex: 'half',
        signal: context.released,
      } as RequestInit);
      if (!response.ok) throw context.api.refusal(response.status, await response.text(), task.id);
    } else if (typeof message['progress'] === 'number') {
      await call('PATCH', '', { progress: Math.min(1, Math.max(0, message['progress'])) });
    } else if ('result' in message) {
      result = message['result'];
    }
  };

  await call('PATCH', '', { state: 'running' });
  if (task.latest_checkpoint) {
    fs.writeFileSync(
      path.join(context.workDir, '.runplane-checkpoint.json'),
      JSON.stringify(task.latest_checkpoint.data),
    );
  }
  const outcome = await runProgram(context.executor, {
    command: context.command,
    cwd: context.workDir,
    stdin: JSON.stringify(task.input ?? null),
    env: cleanEnv({
      RUNPLANE_SESSION_ID: task.id,
      RUNPLANE_ATTEMPT: String(task.attempt),
      ...(task.latest_checkpoint ? { RUNPLANE_CHECKPOINT_FILE: '.runplane-checkpoint.json' } : {}),
    }),
    image: task.harness_revision?.image_ref,
    timeoutMs: context.timeoutMs,
    graceMs: context.graceMs,
    signal: stop.signal,
    onLine: (line, stream) => {
      if (stream === 'stdout' && line.startsWith(PREFIX)) {
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line.slice(PREFIX.length));
        } catch {
          events.push({ type: 'log', level: 'warn', message: fitLine(`unreadable runplane message: ${line}`) });
          return;
        }
        messages = messages.then(() => handle(message));
        // Awaited after the program ends; until then a failure must not count as unhandled.
        messages.catch(() => {});
        return;
      }
      events.push({ type: 'log', level: stream === 'stderr' ? 'warn' : 'info', message: fitLine(line) });
    },
  });
  await messages;
  await events.flush();
  context.released.throwIfAborted();
  if (pausing) return 'paused';
  if (context.cancelled()) {
    await call('PATCH', '', { state: 'failed', error: 'cancelled on request' });
    return 'cancelled';
  }
  if (outcome.reason === 'exited' && outcome.exitCode === 0) {
    await call('PATCH', '', { state: 'succeeded', result });
    return 'succeeded';
  }
  const error =
    outcome.reason === 'timeout'
      ? `stopped after the ${context.timeoutMs / 1000} s time limit`
      : `the program exited with ${outcome.exitCode ?? outcome.signal}`;
  await call('PATCH', '', { state: 'failed', error, ...(result !== null ? { result } : {}) });
  return `failed: ${error}`;
}
