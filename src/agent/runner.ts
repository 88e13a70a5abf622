// The runner agent: registers, heartbeats on its own timer, long-polls the queues it serves (reviews, sessions of its
// profiles) up to its free slots, runs each task in a fresh work dir, streams logs, reports phases and results.
// Leases belong to this process (the instance the register answer names, sent on every call), not to the runner id:
// a restart requeues a dead process's tasks at once, and a second process with the same id replaces this one, which
// then stops without reporting or deregistering (either would touch the new process's work). The heartbeat lists
// every task held, so the server can name those it took back; they are dropped unreported. Every write carries its
// attempt, so a runner whose lease moved on hears 409 stale_attempt and drops the task.
// Invariant: every claimed task ends in an outcome — succeeded, failed with a reason (bad input, a failing program, a
// result the server refused), or released (its lease taken back, or the agent forgets it and the next heartbeat no
// longer lists it, so the server requeues it). SIGTERM/SIGINT drain, kill what is left, release, leave.
import fs from 'node:fs';
import path from 'node:path';
import type { operations } from '../client/index.ts';
import { killAllRuns, type RunAs } from './executor.ts';
import { fitLine, LogShipper } from './log-shipper.ts';
import { ReviewerOutputError, runReview } from './review/run-review.ts';
import type { Say } from './say.ts';
import { FatalServerError, RunnerReplaced, ServerAnswer, ServerApi, StaleAttempt } from './server-api.ts';
import { runSession, type SessionTask } from './session.ts';
import { InvalidTaskInput } from './task-input.ts';

export type Queue = 'reviews' | 'sessions';

export interface RunnerOptions {
  server: string;
  apiKey: string;
  id: string;
  name: string;
  version: string;
  tags: string[];
  maxConcurrency: number;
  workDir: string;
  executor: 'process' | 'container';
  /** The queues this runner claims from (the CLI checks each has what it needs). */
  queues: Queue[];
  reviewerCommand: string | null;
  llmBaseUrl: string;
  /** Models the built-in reviewer may use; a task may pick one of them, the first is the default. */
  llmModels: string[];
  llmApiKey: string | null;
  /** file:// repository URLs are fetched only with this (tests, local mirrors). */
  allowFileRepos: boolean;
  /** Output of a task's program past which it is stopped and the task fails. */
  maxOutputBytes: number;
  /** Programs and git run as this user (the agent runs as root). */
  runAs: RunAs | null;
  /** Governed-session profiles this runner executes (with `sessionCommand`). */
  profiles: string[];
  sessionCommand: string | null;
  heartbeatMs: number;
  timeoutMs: number;
  graceMs: number;
  drainMs: number;
}

type ReviewPhase = operations['reportTaskStatus']['requestBody']['content']['application/json']['status'];
type ResultBody = operations['submitTaskResult']['requestBody']['content']['application/json'];

/** What a runner writes for one review task's attempt. */
interface TaskWrites {
  logs(lines: string[]): Promise<unknown>;
  status(phase: string): Promise<unknown>;
  result(result: Record<string, unknown>): Promise<unknown>;
  /** A `usage` event in the task's log (a review task is a session of the built-in profile). */
  usage(tokens: number): Promise<unknown>;
}

interface ActiveTask {
  /** Stops the task's program (cancel, release, drain timeout). */
  abort: AbortController;
  cancelled: boolean;
  /** The server asked to pause the session (a budget was reached): stop the program, then pause it. */
  pauseRequested: boolean;
  /** A session can be paused; a review task cannot (the review contract has no paused state). */
  pausable: boolean;
  /** Aborted, with a StaleAttempt saying why, once the server took the task back: no write for it is sent after. */
  release: AbortController;
  /** When the claim answer arrived: its lease runs from then until a heartbeat extends it. */
  claimedAt: number;
  done: Promise<void>;
}

/** How long a heartbeat request may take at most, whatever the interval and lease. */
const MAX_HEARTBEAT_WAIT_MS = 10_000;
/** What the heartbeat timeout is never cut below (a skewed clock must not make every beat time out). */
const MIN_HEARTBEAT_WAIT_MS = 200;
const MAX_ERROR_CHARS = 4000;
/** What a task id must look like before it goes into a URL path or a directory name. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A short id for log lines, whatever the server sent. */
const short = (id: unknown) => (typeof id === 'string' ? id.slice(0, 8) : '?');

/** A task field fit for a log line: a string, control characters removed, cut short; anything else named by type. */
const shown = (value: unknown, max = 80) => {
  if (typeof value !== 'string') return value === null || value === undefined ? '(none)' : `(${typeof value})`;
  const clean = value.replace(/[\p{Cc}]/gu, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
};

const fitError = (text: string) => (text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text);

/** The task is no longer this runner's to write: its attempt is stale, or it finished or changed state meanwhile. */
const movedOn = (error: unknown) => error instanceof StaleAttempt || (error instanceof ServerAnswer && error.conflict);

/** Why a review failed, in words its author can act on. */
function failureOf(error: unknown): string {
  if (error instanceof InvalidTaskInput) return `invalid_task_input: ${error.message}`;
  if (error instanceof ReviewerOutputError) return error.message;
  if (error instanceof ServerAnswer) return `the server refused a write for it (${error.reason})`;
  return (error as Error)?.message || String(error);
}

/** The review result that reports a failure (the server's ResultBody: no files, no comments, a reason). */
const failedResult = (error: string, started: number) => ({
  status: 'failed',
  files: [],
  totalComments: 0,
  metrics: { durationMs: Date.now() - started },
  error: fitError(error),
});

export class Runner {
  private readonly api: ServerApi;
  private readonly active = new Map<string, ActiveTask>();
  /** Claim requests sent and not yet answered (their start times). */
  private readonly claimsInFlight = new Set<{ at: number }>();
  private readonly stopping = new AbortController();
  private slotFreed: () => void = () => {};
  private fatal: FatalServerError | null = null;
  /** The shortest lease TTL seen in claim answers (leaseExpiresAt − now); null until a claim says. */
  private leaseTtlMs: number | null = null;
  /** When the last heartbeat the server answered was sent: every listed lease runs at least a TTL from then. */
  private lastBeatAt = Date.now();

  constructor(
    private readonly options: RunnerOptions,
    private readonly say: Say,
  ) {
    this.api = new ServerApi(options.server.replace(/\/$/, ''), options.apiKey, say);
  }

  async run(): Promise<void> {
    fs.mkdirSync(this.options.workDir, { recursive: true });
    // Programs run as --run-as reach their task dirs (theirs) by absolute paths (HOME, TMPDIR) through this one:
    // others may pass through it, not list it.
    if (this.options.runAs) fs.chmodSync(this.options.workDir, 0o711);
    const registered = await this.api.call(
      (client, init) =>
        client.POST('/api/runners/register', {
          ...init,
          params: {
            header: {
              'x-runner-id': this.options.id,
              'x-runner-name': this.options.name,
              'x-runner-version': this.options.version,
              'x-runner-max-concurrency': this.options.maxConcurrency,
              'x-runner-tags': this.options.tags.join(','),
            },
          },
        }),
      { signal: this.stopping.signal },
    );
    if (registered.data.instanceId) this.api.setInstance(this.options.id, registered.data.instanceId);
    this.say(
      `runner ${this.options.id} registered with ${this.options.server} (max ${this.options.maxConcurrency} at once` +
        `${this.options.tags.length ? `, tags ${this.options.tags.join(',')}` : ''}); waiting for ` +
        `${this.options.queues.join(' and ')}`,
    );
    const requeued = registered.data.releasedTaskIds?.length ?? 0;
    if (requeued > 0) this.say(`the server requeued ${requeued} task(s) an earlier process of this runner id held`);
    // Heartbeats run on their own timer until the runner stops and its last task is done.
    this.lastBeatAt = Date.now();
    this.scheduleHeartbeat();
    await Promise.all(this.options.queues.map((queue) => this.claimLoop(queue)));
    if (this.fatal) {
      // Released tasks end within the kill grace; wait, so no program outlives the agent.
      await this.tasksDone();
      throw this.fatal;
    }
  }

  private tasksDone(): Promise<unknown> {
    return Promise.all([...this.active.values()].map((task) => task.done));
  }

  /**
   * Stop claiming, let running tasks finish within the drain timeout; then kill every program still running and
   * wait for its task to end (so none outlives the agent), deregister (which requeues them).
   */
  async shutdown(signal: string): Promise<void> {
    if (this.fatal) {
      await this.tasksDone();
      throw this.fatal;
    }
    if (this.stopping.signal.aborted) return;
    this.say(
      `${signal}: no new work; draining ${this.active.size} running task(s) for up to ${this.options.drainMs / 1000} s`,
    );
    this.stopping.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.tasksDone().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.options.drainMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      const unfinished = this.active.size;
      // Released: nothing more is written for them (the deregistration requeues them), and no write can hold the
      // exit up while the server is away.
      for (const id of this.active.keys()) this.release(id, 'the runner stopped before it finished (drain timeout)');
      const killed = killAllRuns();
      // Killed groups end at once; the executor stops waiting for their pipes within a second after.
      await this.tasksDone();
      this.say(`drain timeout: killed ${killed} program(s); ${unfinished} unfinished task(s) go back to the queue`);
    }
    // A replaced runner's id belongs to the new process now: deregistering would release that process's tasks.
    if (this.fatal) throw this.fatal;
    // A beat sent before the stop but answered after the deregistration would mark the runner online again.
    await this.beating.catch(() => {});
    try {
      await this.api.call(
        (client, init) => client.DELETE('/api/runners/{id}', { ...init, params: { path: { id: this.options.id } } }),
        { retry: false, timeoutMs: 10_000 },
      );
      this.say(`runner ${this.options.id} deregistered`);
    } catch (error) {
      this.say(`could not deregister (${(error as Error).message}); its tasks return to the queue when leases expire`);
    }
  }

  /** The heartbeat in flight, if any: a deregistration waits for it, so no beat lands after it. */
  private beating: Promise<void> = Promise.resolve();

  private scheduleHeartbeat() {
    setTimeout(() => {
      this.beating = this.heartbeat();
    }, this.options.heartbeatMs);
  }

  /** A beat never waits longer than the interval, a third of the lease, or 10 s, whichever is shortest. */
  heartbeatTimeoutMs(): number {
    const third = this.leaseTtlMs === null ? Number.POSITIVE_INFINITY : this.leaseTtlMs / 3;
    return Math.max(
      MIN_HEARTBEAT_WAIT_MS,
      Math.floor(Math.min(this.options.heartbeatMs, third, MAX_HEARTBEAT_WAIT_MS)),
    );
  }

  /** Learns the lease TTL from a claim answer's expiry; the shortest seen wins. */
  private noteLease(expiresAt: unknown, claimedAt: number) {
    if (typeof expiresAt !== 'string') return;
    const ttl = Date.parse(expiresAt) - claimedAt;
    if (!Number.isFinite(ttl) || ttl <= 0) return;
    this.leaseTtlMs = this.leaseTtlMs === null ? ttl : Math.min(this.leaseTtlMs, ttl);
  }

  /** Beats at a fixed rate: the next one is scheduled before this one is sent, and a request never outlasts it. */
  private async heartbeat() {
    if (this.fatal || (this.stopping.signal.aborted && this.active.size === 0)) return;
    this.scheduleHeartbeat();
    this.releaseExpired();
    const taskIds = [...this.active.keys()];
    // A claim answered by the server but not yet read here holds tasks this list cannot name: say how long the
    // oldest claim has been out, so the server keeps leases that young.
    const oldestClaim = Math.min(...[...this.claimsInFlight].map((claim) => claim.at));
    const sentAt = Date.now();
    try {
      const reply = await this.api.call(
        (client, init) =>
          client.POST('/api/runners/{id}/heartbeat', {
            ...init,
            params: { path: { id: this.options.id } },
            body: {
              status: taskIds.length >= this.options.maxConcurrency ? 'busy' : 'online',
              currentJobs: taskIds.length,
              taskIds,
              ...(this.claimsInFlight.size > 0 ? { claimsPendingMs: Math.max(0, Date.now() - oldestClaim) } : {}),
            },
          }),
        { retry: false, timeoutMs: this.heartbeatTimeoutMs() },
      );
      this.lastBeatAt = Math.max(this.lastBeatAt, sentAt);
      for (const id of reply.data.cancelTaskIds) this.cancel(id);
      for (const id of reply.data.pauseTaskIds ?? []) this.pause(id);
      for (const id of reply.data.staleTaskIds ?? []) {
        this.release(id, 'the server released it (this runner instance no longer holds it)');
      }
    } catch (error) {
      if (error instanceof FatalServerError) this.fail(error);
      // Unreachable: the next beat tries again; the claim loop reports the outage.
    }
  }

  /**
   * While the server does not answer, a task's writes are retried only as long as its lease can still be current:
   * a TTL after its claim or the last answered heartbeat. Past that the server has requeued it (or will), so the
   * program is stopped and the task dropped.
   */
  private releaseExpired() {
    if (this.leaseTtlMs === null) return;
    const now = Date.now();
    for (const [id, task] of this.active) {
      if (now > Math.max(task.claimedAt, this.lastBeatAt) + this.leaseTtlMs) {
        this.release(id, `its lease expired while the server did not answer (lease ${this.leaseTtlMs / 1000} s)`);
      }
    }
  }

  /** The server takes nothing more from this process: stop claiming and drop every task without reporting it. */
  private fail(error: FatalServerError) {
    if (this.fatal) return;
    this.fatal = error;
    this.stopping.abort();
    const why =
      error instanceof RunnerReplaced
        ? 'the server released it (another process registered this runner id)'
        : 'the runner is stopping on a fatal server answer';
    for (const id of this.active.keys()) this.release(id, why);
  }

  /** Stops a task the server no longer gives this process; nothing more is written for it. */
  private release(taskId: string, why: string) {
    const task = this.active.get(taskId);
    if (!task || task.release.signal.aborted) return;
    task.release.abort(new StaleAttempt(taskId, why));
    task.abort.abort();
  }

  /** After a refused write or a release: stop the program and say why. */
  private drop(taskId: string, entry: ActiveTask, error: unknown) {
    entry.abort.abort();
    const why = entry.release.signal.aborted
      ? (entry.release.signal.reason as StaleAttempt).message
      : `its lease moved on (${(error as Error).message})`;
    this.say(`task ${short(taskId)}: dropped, ${why}`, { taskId });
  }

  /** A budget was reached: the program is stopped (SIGTERM, so it may checkpoint first) and the session paused. */
  private pause(taskId: string) {
    const task = this.active.get(taskId);
    if (!task?.pausable || task.pauseRequested || task.cancelled || task.release.signal.aborted) return;
    task.pauseRequested = true;
    this.say(`task ${short(taskId)}: the server asks to pause it (a budget was reached); stopping it`, { taskId });
    task.abort.abort();
  }

  private cancel(taskId: string) {
    const task = this.active.get(taskId);
    if (!task || task.cancelled || task.release.signal.aborted) return;
    task.cancelled = true;
    this.say(`task ${short(taskId)}: cancel requested; stopping it`, { taskId });
    task.abort.abort();
  }

  /** Waits until a slot frees or the runner stops (the stop listener goes away with the wait). */
  private slotOrStop(): Promise<void> {
    return new Promise<void>((resolve) => {
      const signal = this.stopping.signal;
      if (signal.aborted) return resolve();
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      const previous = this.slotFreed;
      this.slotFreed = () => {
        previous();
        done();
      };
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Long-polls one queue for up to the free slots (the server caps the total across both queues). */
  private async claimLoop(queue: Queue) {
    while (!this.stopping.signal.aborted) {
      const free = this.options.maxConcurrency - this.active.size;
      if (free <= 0) {
        await this.slotOrStop();
        continue;
      }
      const claimStarted = { at: Date.now() };
      this.claimsInFlight.add(claimStarted);
      let tasks: (Record<string, unknown> | null)[];
      try {
        tasks = queue === 'reviews' ? await this.claimReviews(free) : await this.claimSessions(free);
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        if (error instanceof FatalServerError) return this.fail(error);
        this.say(`claim failed: ${(error as Error).message}`);
        await sleepUnlessStopped(2000, this.stopping.signal);
        continue;
      } finally {
        this.claimsInFlight.delete(claimStarted);
      }
      // One task of the batch the agent cannot even start must not cost the others theirs.
      const claimedAt = Date.now();
      for (const task of tasks) {
        try {
          this.accept(queue, task, claimedAt);
        } catch (error) {
          this.say(`task ${short(task?.['id'])}: not started: ${(error as Error).message}`);
        }
      }
    }
  }

  private async claimReviews(free: number): Promise<(Record<string, unknown> | null)[]> {
    const reply: { data?: unknown } | undefined = await this.api.call(
      (client, init) =>
        client.GET('/api/runners/tasks/pending', {
          ...init,
          params: { query: { runnerId: this.options.id, limit: free, wait: 20 } },
        }),
      { signal: this.stopping.signal },
    );
    // Read as unknown: each task is checked when it is accepted, whatever the answer's declared shape.
    return Array.isArray(reply?.data) ? reply.data : [];
  }

  private async claimSessions(free: number): Promise<(Record<string, unknown> | null)[]> {
    const reply: { items?: unknown } | undefined = await this.api.call(
      (client, init) =>
        client.POST('/v1/runners/sessions/claim', {
          ...init,
          body: {
            runner_id: this.options.id,
            profile_ids: this.options.profiles,
            ...(this.options.tags.length ? { tags: this.options.tags } : {}),
            limit: Math.min(free, 50),
            wait_seconds: 20,
          },
        }),
      { signal: this.stopping.signal },
    );
    return Array.isArray(reply?.items) ? reply.items : [];
  }

  /** Starts one claimed task. Only its id and attempt are needed to report on it; everything else is checked later. */
  private accept(queue: Queue, task: Record<string, unknown> | null, claimedAt: number) {
    if (typeof task !== 'object' || task === null || Array.isArray(task)) {
      throw new Error(`the claim answer carried ${shown(JSON.stringify(task))} where a task belongs`);
    }
    const { id, attempt } = task;
    if (typeof id !== 'string' || !TASK_ID.test(id) || typeof attempt !== 'number' || !Number.isInteger(attempt)) {
      // Nothing can be reported without them (an id also becomes a URL path); unlisted in the next heartbeat, the
      // task goes back to the queue.
      throw new Error(
        `the claim answer carried a task without a usable id and attempt (${shown(id)}, ${shown(String(attempt))})`,
      );
    }
    if (this.active.has(id)) throw new Error('the claim answer carried a task this runner already works on');
    if (queue === 'reviews') {
      this.noteLease(task['leaseExpiresAt'], claimedAt);
      const what = `${shown(task['repositoryUrl'])} @ ${shown(task['commitSha'], 12)}`;
      this.start(id, attempt, claimedAt, what, (entry) => this.execute(task, id, attempt, entry));
    } else {
      this.noteLease(task['lease_expires_at'], claimedAt);
      const what = `session of profile ${shown(task['profile_id'])}`;
      const session = task as unknown as SessionTask;
      this.start(id, attempt, claimedAt, what, (entry) => this.executeSession(session, entry));
    }
  }

  private start(
    id: string,
    attempt: number,
    claimedAt: number,
    what: string,
    execute: (entry: ActiveTask) => Promise<void>,
  ) {
    const entry: ActiveTask = {
      abort: new AbortController(),
      cancelled: false,
      pauseRequested: false,
      pausable: false,
      release: new AbortController(),
      claimedAt,
      done: Promise.resolve(),
    };
    this.active.set(id, entry);
    this.say(`task ${short(id)}: claimed (attempt ${attempt}) ${what}`, { taskId: id, attempt });
    // A task whose outcome could not be reported is forgotten here: the next heartbeat no longer lists it, so the
    // server releases it.
    entry.done = Promise.resolve()
      .then(() => execute(entry))
      .catch((error: unknown) => {
        entry.abort.abort();
        this.say(`task ${short(id)}: ${(error as Error)?.message ?? error}; released to the server`, {
          taskId: id,
          attempt,
        });
      })
      .finally(() => {
        this.active.delete(id);
        const freed = this.slotFreed;
        this.slotFreed = () => {};
        freed();
      });
  }

  /** A fresh task directory under the work dir (a session's has the program's cwd and HOME apart). */
  private taskDir(prefix: string, id: string) {
    return fs.mkdtempSync(path.join(this.options.workDir, `${prefix}-${short(id).replace(/\./g, '_')}-`));
  }

  private async executeSession(session: SessionTask, entry: ActiveTask) {
    entry.pausable = true;
    const base = this.taskDir('session', session.id);
    // Permission answers live beside the task dir, in a directory the agent keeps: a program run as another user
    // reads them (group) but cannot rename or replace them (it owns nothing on the way).
    const answersDir = this.taskDir('answers', session.id);
    try {
      const workDir = path.join(base, 'work');
      const home = path.join(base, 'home');
      fs.mkdirSync(workDir, { mode: 0o700 });
      fs.mkdirSync(home, { mode: 0o700 });
      if (this.options.runAs) {
        for (const dir of [base, workDir, home]) fs.lchownSync(dir, this.options.runAs.uid, this.options.runAs.gid);
        fs.chownSync(answersDir, process.getuid?.() ?? 0, this.options.runAs.gid);
        fs.chmodSync(answersDir, 0o750);
      }
      const outcome = await runSession(session, {
        api: this.api,
        runnerId: this.options.id,
        command: this.options.sessionCommand!,
        executor: this.options.executor,
        workDir,
        home,
        signal: entry.abort.signal,
        cancelled: () => entry.cancelled,
        pauseRequested: () => entry.pauseRequested,
        released: entry.release.signal,
        timeoutMs: this.options.timeoutMs,
        graceMs: this.options.graceMs,
        maxOutputBytes: this.options.maxOutputBytes,
        runAs: this.options.runAs,
        answersDir,
      });
      this.say(`task ${short(session.id)}: ${outcome}`, { taskId: session.id, attempt: session.attempt });
    } catch (error) {
      if (error instanceof FatalServerError) this.fail(error);
      if (movedOn(error) || entry.release.signal.aborted) return this.drop(session.id, entry, error);
      throw error;
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
      fs.rmSync(answersDir, { recursive: true, force: true });
    }
  }

  /** The writes of one review task's attempt, fenced by it and dropped when the task is released. */
  private taskWrites(id: string, attempt: number, released: AbortSignal): TaskWrites {
    const options = { taskId: id, signal: released };
    const params = {
      path: { id },
      header: { 'x-runner-id': this.options.id, 'x-runplane-attempt': attempt },
    };
    return {
      logs: (logs) =>
        this.api.call(
          (client, init) => client.POST('/api/runners/tasks/{id}/logs', { ...init, params, body: { logs } }),
          options,
        ),
      status: (status) =>
        this.api.call(
          (client, init) =>
            client.POST('/api/runners/tasks/{id}/status', { ...init, params, body: { status: status as ReviewPhase } }),
          options,
        ),
      usage: (tokens) =>
        this.api.call(
          (client, init) =>
            client.POST('/v1/runners/sessions/{id}/events', {
              ...init,
              params,
              body: [{ type: 'usage', level: 'info', message: `${tokens} model tokens`, data: { tokens } }],
            }),
          options,
        ),
      result: (result) =>
        this.api.call(
          (client, init) =>
            client.POST('/api/runners/tasks/{id}/result', {
              ...init,
              params,
              // The review's own record, checked by the server against the result schema (a 400 is reported).
              body: { runnerId: this.options.id, attempt, ...result } as ResultBody,
            }),
          options,
        ),
    };
  }

  private async execute(task: Record<string, unknown>, id: string, attempt: number, entry: ActiveTask) {
    const started = Date.now();
    const workDir = this.taskDir('task', id);
    const writes = this.taskWrites(id, attempt, entry.release.signal);
    const logs = new LogShipper<string>(
      async (lines) => {
        await writes.logs(lines);
      },
      (count) => `… ${count} line(s) dropped: the server did not take them in time`,
    );
    try {
      let result: Record<string, unknown>;
      try {
        result = await runReview(task, {
          workDir,
          signal: entry.abort.signal,
          phase: async (phase) => {
            this.say(`task ${short(id)}: ${phase}`, { taskId: id, attempt });
            await writes.status(phase);
          },
          log: (line) => logs.push(fitLine(line)),
          llm: {
            baseUrl: this.options.llmBaseUrl,
            models: this.options.llmModels,
            apiKey: this.options.llmApiKey,
            tokenBudget: 12_000,
          },
          reviewerCommand: this.options.reviewerCommand,
          executor: this.options.executor,
          timeoutMs: this.options.timeoutMs,
          graceMs: this.options.graceMs,
          allowFileRepos: this.options.allowFileRepos,
          maxOutputBytes: this.options.maxOutputBytes,
          runAs: this.options.runAs,
          usage: async (spent) => {
            await writes.usage(spent.tokens);
          },
        });
      } catch (error) {
        if (movedOn(error) || error instanceof FatalServerError || entry.release.signal.aborted) throw error;
        const message = entry.cancelled ? 'cancelled on request' : failureOf(error);
        logs.push(fitLine(`review failed: ${message}`));
        result = failedResult(message, started);
      }
      await this.flushLogs(id, logs);
      result = await this.submit(id, attempt, writes, result, started);
      this.say(
        result['status'] === 'success'
          ? `task ${short(id)}: submitted ${result['totalComments']} comment(s)${result['rating'] ? `, rating ${result['rating']}` : ''}`
          : `task ${short(id)}: reported ${entry.cancelled ? 'cancelled' : 'failed'}: ${shown(result['error'], 300)}`,
        { taskId: id, attempt },
      );
    } catch (error) {
      if (error instanceof FatalServerError) this.fail(error);
      if (movedOn(error) || entry.release.signal.aborted) return this.drop(id, entry, error);
      throw error;
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }

  /** Sends the last log lines; lines the server refuses (4xx) are given up, so the result still goes out. */
  private async flushLogs(id: string, logs: LogShipper<string>) {
    try {
      await logs.flush();
    } catch (error) {
      if (!(error instanceof ServerAnswer && error.refused)) throw error;
      this.say(`task ${short(id)}: the server refused log lines (${error.reason}); sending the result without them`, {
        taskId: id,
      });
      logs.discardFailed();
    }
  }

  /**
   * Sends the result (retried through outages while the task holds its lease). A result the server refuses (4xx)
   * is replaced, once, by a failed result quoting the server; if that is refused too, the error reaches start(),
   * which forgets the task so the server releases it.
   */
  private async submit(
    id: string,
    attempt: number,
    writes: TaskWrites,
    result: Record<string, unknown>,
    started: number,
  ): Promise<Record<string, unknown>> {
    try {
      await writes.result(result);
      return result;
    } catch (error) {
      if (!(error instanceof ServerAnswer && error.refused)) throw error;
      const failed = failedResult(`the server refused the result (${error.reason})`, started);
      this.say(`task ${short(id)}: ${shown(failed.error, 300)}; reporting it failed instead`, { taskId: id, attempt });
      await writes.result(failed);
      return failed;
    }
  }
}

/** Waits `ms` or until the runner stops, without leaving a listener behind. */
function sleepUnlessStopped(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
