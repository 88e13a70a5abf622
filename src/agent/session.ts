// Runs one governed session: its program (through the executor) gets the session input as JSON on stdin; stdout
// and stderr lines become log events; lines of the form `::runplane::{json}` are structured messages:
//   {"event": {"type", "level"?, "message"?, "data"?}}   an event in the session's log
//   {"checkpoint": <json>, "pause"?: true}                 a checkpoint (pause also stops the program)
//   {"artifact": {"path", "name"?, "content_type"?}}       a regular file in the work dir, uploaded as an artifact
//   {"progress": 0.5}                                      progress between 0 and 1
//   {"result": <json>}                                     the session's result
//   {"request_permission": {"scope", "resource", "reason", "ttl_seconds"?, "key"?}}
//                                                          asks for a permission; the decision is written to
//                                                          $RUNPLANE_PERMISSIONS_DIR/<key>.json (key: the given one,
//                                                          else 1, 2, … in asking order) once known
// The exit code decides succeeded (0) or failed; a cancel ends the process group and reports the session. Every
// session the agent starts ends reported (succeeded, failed with a reason) unless the server took it back or the
// agent stops (then the server requeues it): any error — the program's, a refused write — is reported as failed.
import fs from 'node:fs';
import path from 'node:path';
import type { operations } from '../client/index.ts';
import { CONTAINER_ANSWERS_DIR, cleanEnv, type RunAs, runProgram } from './executor.ts';
import { fitLine, LogShipper } from './log-shipper.ts';
import { FatalServerError, ServerAnswer, type ServerApi, StaleAttempt } from './server-api.ts';

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
  /** The program's working directory: the only place artifacts are read from. */
  workDir: string;
  /** The program's private HOME and TMPDIR. */
  home: string;
  signal: AbortSignal;
  cancelled: () => boolean;
  /** The server asked to pause the session (a budget was reached). */
  pauseRequested?: () => boolean;
  /** Aborts once the server took the session back; from then on nothing more is written for it. */
  released: AbortSignal;
  timeoutMs: number;
  graceMs: number;
  maxOutputBytes: number;
  runAs: RunAs | null;
  /**
   * Where permission decisions are written for the program: a directory the agent owns outside the work dir, so a
   * program run as another user can read its answers but not swap the directory for a link.
   */
  answersDir: string;
}

interface LogEvent {
  type: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  data?: unknown;
}

const PREFIX = '::runplane::';
/** How long one artifact upload may take before it counts as hung. */
const ARTIFACT_UPLOAD_MS = 10 * 60 * 1000;
const MAX_ERROR_CHARS = 4000;

/** The server no longer takes writes for the session (taken back, moved on, or the runner must stop). */
const isGone = (error: unknown, released: AbortSignal) =>
  error instanceof StaleAttempt ||
  error instanceof FatalServerError ||
  (error instanceof ServerAnswer && error.conflict) ||
  released.aborted;

type SessionUpdate = operations['updateSession']['requestBody']['content']['application/json'];
type NewEvents = operations['appendSessionEvents']['requestBody']['content']['application/json'];
type CheckpointBody = operations['checkpointSession']['requestBody']['content']['application/json'];

/** What a runner writes for one session's attempt. */
interface SessionWrites {
  update(body: SessionUpdate): Promise<unknown>;
  events(batch: NewEvents): Promise<unknown>;
  checkpoint(body: CheckpointBody): Promise<unknown>;
}

/** The writes of one session's attempt, fenced by it and dropped when the session is released. */
function sessionWrites(task: SessionTask, context: SessionContext): SessionWrites {
  const options = { taskId: task.id, signal: context.released };
  const params = {
    path: { id: task.id },
    header: { 'x-runplane-attempt': task.attempt, 'x-runner-id': context.runnerId },
  };
  return {
    update: (body) =>
      context.api.call((client, init) => client.PATCH('/v1/runners/sessions/{id}', { ...init, params, body }), options),
    events: (body) =>
      context.api.call(
        (client, init) => client.POST('/v1/runners/sessions/{id}/events', { ...init, params, body }),
        options,
      ),
    checkpoint: (body) =>
      context.api.call(
        (client, init) => client.POST('/v1/runners/sessions/{id}/checkpoint', { ...init, params, body }),
        options,
      ),
  };
}

export async function runSession(task: SessionTask, context: SessionContext): Promise<string> {
  const writes = sessionWrites(task, context);
  try {
    return await execute(task, context, writes);
  } catch (error) {
    if (isGone(error, context.released)) throw error;
    // Whatever went wrong is the session's outcome. Reported once: if even that is refused, the runner forgets the
    // session and its next heartbeat no longer lists it, so the server releases it.
    const reason = fitError(reasonOf(error));
    await writes.update({ state: 'failed', error: reason });
    return `failed: ${reason}`;
  }
}

async function execute(task: SessionTask, context: SessionContext, writes: SessionWrites): Promise<string> {
  const events = new LogShipper<LogEvent>(
    async (batch) => {
      await writes.events(batch);
    },
    (count) => ({
      type: 'log',
      level: 'warn',
      message: `${count} line(s) dropped: the server did not take them in time`,
    }),
  );
  let result: unknown = null;
  let pausing = false;
  /** The first message the server refused: it stops the program and becomes the session's failure. */
  let refused: unknown = null;
  // Messages that call the server are handled in order, after the log lines before them.
  let messages: Promise<void> = Promise.resolve();
  /** Permission requests asked so far (the default answer file names), and the decisions still awaited. */
  let asked = 0;
  const decisions = new Set<Promise<void>>();
  // Waiting for a decision ends with the program, whatever ends it.
  const answersOpen = new AbortController();
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  context.signal.addEventListener('abort', onAbort, { once: true });

  const handle = async (message: Record<string, unknown>) => {
    if (message['event'] && typeof message['event'] === 'object') {
      const event = message['event'] as Partial<LogEvent>;
      events.push({
        type: fitType(event.type),
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
      await writes.checkpoint({ data: message['checkpoint'], ...(pause ? { pause: true } : {}) });
      if (pause) {
        pausing = true;
        stop.abort();
      }
    } else if (message['artifact'] && typeof message['artifact'] === 'object') {
      await uploadArtifact(task, context, message['artifact'] as ArtifactMessage, events);
    } else if (typeof message['progress'] === 'number') {
      await writes.update({ progress: Math.min(1, Math.max(0, message['progress'])) });
    } else if ('result' in message) {
      result = message['result'];
    } else if (message['request_permission'] && typeof message['request_permission'] === 'object') {
      const waiting = await askForPermission(
        task,
        context,
        message['request_permission'] as PermissionMessage,
        ++asked,
        answersOpen.signal,
      );
      if (waiting) decisions.add(waiting);
    }
  };

  try {
    try {
      await writes.update({ state: 'running' });
    } catch (error) {
      // A cancel that landed between the claim and the start: confirm it instead of starting the program.
      if (!cancelledBeforeStart(error)) throw error;
      await writes.update({ state: 'failed', error: 'cancelled before it started' });
      return 'cancelled before it started';
    }
    if (task.latest_checkpoint) {
      fs.writeFileSync(
        path.join(context.workDir, '.runplane-checkpoint.json'),
        JSON.stringify(task.latest_checkpoint.data ?? null),
      );
    }
    const outcome = await runProgram(context.executor, {
      command: context.command,
      cwd: context.workDir,
      stdin: JSON.stringify(task.input ?? null),
      env: cleanEnv(
        {
          RUNPLANE_SESSION_ID: task.id,
          RUNPLANE_ATTEMPT: String(task.attempt),
          RUNPLANE_PERMISSIONS_DIR: context.executor === 'container' ? CONTAINER_ANSWERS_DIR : context.answersDir,
          ...(task.latest_checkpoint ? { RUNPLANE_CHECKPOINT_FILE: '.runplane-checkpoint.json' } : {}),
        },
        context.home,
      ),
      image: typeof task.harness_revision?.image_ref === 'string' ? task.harness_revision.image_ref : undefined,
      timeoutMs: context.timeoutMs,
      graceMs: context.graceMs,
      maxOutputBytes: context.maxOutputBytes,
      runAs: context.runAs,
      answersDir: context.answersDir,
      signal: stop.signal,
      onLine: (line, stream) => {
        if (stream === 'stdout' && line.startsWith(PREFIX)) {
          let message: unknown;
          try {
            message = JSON.parse(line.slice(PREFIX.length));
          } catch {
            message = null;
          }
          if (!message || typeof message !== 'object' || Array.isArray(message)) {
            events.push({ type: 'log', level: 'warn', message: fitLine(`unreadable runplane message: ${line}`) });
            return;
          }
          messages = messages.then(async () => {
            if (refused) return;
            try {
              await handle(message as Record<string, unknown>);
            } catch (error) {
              refused = error;
              stop.abort();
            }
          });
          return;
        }
        events.push({ type: 'log', level: stream === 'stderr' ? 'warn' : 'info', message: fitLine(line) });
      },
    });
    await messages;
    answersOpen.abort();
    await Promise.all(decisions);
    if (refused) throw refused;
    await events.flush();
    context.released.throwIfAborted();
    if (pausing) return 'paused';
    if (context.pauseRequested?.() && !context.cancelled()) {
      // The program had its grace to write a checkpoint line (handled above); the pause keeps the latest one.
      await writes.checkpoint({ pause: true });
      return 'paused: a budget was reached';
    }
    if (context.cancelled()) {
      await writes.update({ state: 'failed', error: 'cancelled on request' });
      return 'cancelled';
    }
    // Stopped by the agent itself (drain timeout): the deregistration hands the session back to the queue.
    if (outcome.reason === 'cancelled') return 'stopped with the runner; the server requeues it';
    if (outcome.reason === 'exited' && outcome.exitCode === 0) {
      await writes.update({ state: 'succeeded', result });
      return 'succeeded';
    }
    const error =
      outcome.reason === 'timeout'
        ? `stopped after the ${context.timeoutMs / 1000} s time limit`
        : outcome.reason === 'output_limit'
          ? `stopped: its output passed the limit of ${context.maxOutputBytes} bytes (--max-output-bytes)`
          : `the program exited with ${outcome.exitCode ?? outcome.signal}`;
    await writes.update({ state: 'failed', error, ...(result !== null ? { result } : {}) });
    return `failed: ${error}`;
  } finally {
    answersOpen.abort();
    context.signal.removeEventListener('abort', onAbort);
  }
}

interface PermissionMessage {
  scope?: unknown;
  resource?: unknown;
  reason?: unknown;
  ttl_seconds?: unknown;
  key?: unknown;
}

/** What the program finds in its answer file. */
interface PermissionAnswer {
  id: string | null;
  state: 'approved' | 'denied' | 'expired' | 'pending' | 'refused' | 'error';
  scope: string;
  resource: string;
  token: string | null;
  expires_at: string | null;
  note: string | null;
  error?: string;
}

type RequestAnswer = operations['createSessionPermissionRequest']['responses']['201']['content']['application/json'];

/** The long poll of one wait for a decision, in seconds (the server allows up to 60). */
const DECISION_WAIT_SECONDS = 30;

/**
 * Asks the server (in message order) and, if the request waits for a person, returns the wait for its decision,
 * which runs beside the program and writes the answer file when the decision comes. A request the server refuses
 * as invalid is answered `refused` in the file; a session the server took back ends everything (thrown).
 */
async function askForPermission(
  task: SessionTask,
  context: SessionContext,
  message: PermissionMessage,
  order: number,
  open: AbortSignal,
): Promise<Promise<void> | null> {
  const key =
    typeof message.key === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(message.key) ? message.key : String(order);
  const scope = typeof message.scope === 'string' ? message.scope : '';
  const resource = typeof message.resource === 'string' ? message.resource : '';
  const write = (answer: Omit<PermissionAnswer, 'scope' | 'resource'>) =>
    writeAnswer(context, key, { ...answer, scope, resource });
  const headers = { 'x-runplane-attempt': task.attempt, 'x-runner-id': context.runnerId };
  let first: RequestAnswer;
  try {
    first = await context.api.call(
      (client, init) =>
        client.POST('/v1/runners/sessions/{id}/permission-requests', {
          ...init,
          params: { path: { id: task.id }, header: headers },
          body: {
            scope,
            resource,
            reason: typeof message.reason === 'string' ? message.reason : '',
            ...(typeof message.ttl_seconds === 'number' ? { ttl_seconds: message.ttl_seconds } : {}),
          } as never,
        }),
      { taskId: task.id, signal: context.released },
    );
  } catch (error) {
    if (!(error instanceof ServerAnswer) || !error.refused) throw error;
    write({ id: null, state: 'refused', token: null, expires_at: null, note: null, error: error.reason });
    return null;
  }
  const settle = (answer: RequestAnswer) =>
    write({
      id: answer.id,
      state: answer.state,
      token: answer.token,
      expires_at: answer.token ? answer.grant_expires_at : null,
      note: answer.note,
    });
  if (first.state !== 'pending') {
    settle(first);
    return null;
  }
  const id = first.id;
  const signal = AbortSignal.any([open, context.released]);
  return (async () => {
    try {
      for (;;) {
        const answer = await context.api.call(
          (client, init) =>
            client.GET('/v1/runners/sessions/{id}/permission-requests/{request_id}', {
              ...init,
              params: {
                path: { id: task.id, request_id: id },
                query: { wait: DECISION_WAIT_SECONDS },
                header: headers,
              },
            }),
          { taskId: task.id, signal, timeoutMs: (DECISION_WAIT_SECONDS + 15) * 1000 },
        );
        if (answer.state !== 'pending') return settle(answer);
      }
    } catch (error) {
      // The program ended or the session was taken back: nobody is left to read an answer.
      if (signal.aborted || isGone(error, context.released)) return;
      write({ id, state: 'error', token: null, expires_at: null, note: null, error: fitError(reasonOf(error)) });
    }
  })();
}

/**
 * Writes `<key>.json` whole: a temporary file renamed into place, so a program that sees the name reads the whole
 * answer. Readable by the program's user only (it holds a token).
 */
function writeAnswer(context: SessionContext, key: string, answer: PermissionAnswer): void {
  const target = path.join(context.answersDir, `${key}.json`);
  const temporary = path.join(context.answersDir, `.${key}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, `${JSON.stringify(answer)}\n`, { mode: 0o600, flag: 'wx' });
  if (context.runAs) fs.chownSync(temporary, context.runAs.uid, context.runAs.gid);
  fs.renameSync(temporary, target);
}

interface ArtifactMessage {
  path?: unknown;
  name?: unknown;
  content_type?: unknown;
}

/**
 * Uploads a regular file that really lies in the work dir: its resolved path must be inside, it is opened without
 * following a link, it must be a regular file with no other name (a hard link could name a file outside), and the
 * file actually opened must still be inside (the program may swap a directory for a link in between). Anything
 * else is skipped with a warning event, never read.
 */
async function uploadArtifact(
  task: SessionTask,
  context: SessionContext,
  artifact: ArtifactMessage,
  events: LogShipper<LogEvent>,
): Promise<void> {
  const asked = typeof artifact.path === 'string' ? artifact.path : '';
  const opened = openInside(context.workDir, asked);
  if (typeof opened === 'string') {
    events.push({
      type: 'log',
      level: 'warn',
      message: fitLine(`artifact ${JSON.stringify(asked)} ${opened}; not uploaded`),
    });
    return;
  }
  const name = typeof artifact.name === 'string' && artifact.name ? artifact.name : path.basename(opened.path);
  const contentType =
    typeof artifact.content_type === 'string' && /^[\w.+-]+\/[\w.+-]+(;[ \w=.+-]*)?$/.test(artifact.content_type)
      ? artifact.content_type
      : 'application/octet-stream';
  // Exactly the bytes fstat saw: a file the program is still writing cannot outgrow its content-length.
  const body =
    opened.size > 0 ? fs.createReadStream(opened.path, { fd: opened.fd, start: 0, end: opened.size - 1 }) : '';
  try {
    // Streamed as it is read, not retried (a stream is sent once): a failed upload is the session's failure.
    await context.api.call(
      (client, init) =>
        client.POST('/v1/runners/sessions/{id}/artifacts', {
          ...init,
          params: {
            path: { id: task.id },
            query: { name: name.slice(0, 512) },
            header: { 'x-runplane-attempt': task.attempt, 'x-runner-id': context.runnerId },
          },
          headers: { ...init.headers, 'content-type': contentType, 'content-length': String(opened.size) },
          body: body as unknown as string,
          bodySerializer: (stream: unknown) => stream as BodyInit,
          duplex: 'half',
        }),
      { taskId: task.id, signal: context.released, retry: false, timeoutMs: ARTIFACT_UPLOAD_MS },
    );
  } catch (error) {
    context.released.throwIfAborted();
    throw error;
  } finally {
    if (typeof body === 'string') fs.closeSync(opened.fd);
    else body.destroy();
  }
}

/** Opens `relative` under `workDir` for reading if it is a regular file really inside; else says why not. */
export function openInside(workDir: string, relative: string): { fd: number; size: number; path: string } | string {
  if (!relative || relative.includes('\0')) return 'has no usable path';
  const root = fs.realpathSync(workDir);
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(root, relative));
  } catch {
    return 'does not exist';
  }
  if (!real.startsWith(root + path.sep)) return 'resolves to a file outside the work dir';
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO must not block the agent waiting for a writer.
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    return `cannot be opened without following a link (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const refuse = (why: string) => {
    fs.closeSync(fd);
    return why;
  };
  const stat = fs.fstatSync(fd);
  if (!stat.isFile()) return refuse('is not a regular file');
  if (stat.nlink > 1) return refuse('has other names (a hard link may name a file outside the work dir)');
  let actual: string | null = null;
  try {
    actual = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    // No /proc here: the resolved-path check above stands.
  }
  if (actual !== null && !actual.startsWith(root + path.sep)) return refuse('moved outside the work dir');
  return { fd, size: stat.size, path: real };
}

/** The server refused the start because the session is being cancelled (409 with its state). */
function cancelledBeforeStart(error: unknown): boolean {
  if (!(error instanceof ServerAnswer) || !error.conflict) return false;
  const details = (error.body?.error as { details?: { state?: unknown } } | undefined)?.details;
  return details?.state === 'cancel_requested';
}

function reasonOf(error: unknown): string {
  if (error instanceof ServerAnswer) return `the server refused a write for it: ${error.reason}`;
  return (error as Error)?.message || String(error);
}

const fitError = (text: string) => (text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text);

/** Event types are short names (the server takes up to 64 characters). */
const fitType = (type: unknown) => {
  const text = typeof type === 'string' && type ? type : 'event';
  return text.slice(0, 64);
};
