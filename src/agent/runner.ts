// The runner agent: registers, heartbeats on its own timer, long-polls for review tasks (and sessions of the
// profiles it serves) up to its free slots, runs each in a fresh work dir, streams logs, reports phases and results.
// Leases belong to this process (the instance the register answer names, sent on every call), not to the runner id:
// a restart requeues a dead process's tasks at once, and a second process with the same id replaces this one, which
// then stops without reporting or deregistering (either would touch the new process's work). The heartbeat lists
// every task held, so the server can name those it took back; they are dropped unreported. Every write carries its
// attempt, so a runner whose lease moved on hears 409 stale_attempt and drops the task. SIGTERM/SIGINT drain, release,
// leave.
import fs from 'node:fs';
import path from 'node:path';
import { fitLine, LogShipper } from './log-shipper.ts';
import { type ReviewTask, runReview } from './review/run-review.ts';
import { FatalServerError, RunnerReplaced, ServerApi, StaleAttempt } from './server-api.ts';
import { runSession, type SessionTask } from './session.ts';

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
  reviewerCommand: string | null;
  llmBaseUrl: string;
  llmModel: string;
  llmApiKey: string | null;
  /** Governed-session profiles this runner executes (with `sessionCommand`); empty for reviews only. */
  profiles: string[];
  sessionCommand: string | null;
  heartbeatMs: number;
  timeoutMs: number;
  graceMs: number;
  drainMs: number;
}

interface ActiveTask {
  /** Stops the task's program (cancel, release, drain timeout). */
  abort: AbortController;
  cancelled: boolean;
  /** Aborted, with a StaleAttempt saying why, once the server took the task back: no write for it is sent after. */
  release: AbortController;
  done: Promise<void>;
}

const short = (id: string) => id.slice(0, 8);

export class Runner {
  private readonly api: ServerApi;
  private readonly active = new Map<string, ActiveTask>();
  /** Claim requests sent and not yet answered (their start times). */
  private readonly claimsInFlight = new Set<{ at: number }>();
  private readonly stopping = new AbortController();
  private slotFreed: () => void = () => {};
  private fatal: FatalServerError | null = null;

  constructor(
    private readonly options: RunnerOptions,
    private readonly say: (line: string) => void,
  ) {
    this.api = new ServerApi(options.server.replace(/\/$/, ''), options.apiKey, say);
  }

  private get runnerPath() {
    return `/api/runners/${encodeURIComponent(this.options.id)}`;
  }

  async run(): Promise<void> {
    fs.mkdirSync(path.join(this.options.workDir, 'spool'), { recursive: true });
    const registered = await this.api.call<{ data: { instanceId?: string; releasedTaskIds?: string[] } }>(
      'POST',
      '/api/runners/register',
      {
        signal: this.stopping.signal,
        headers: {
          'x-runner-id': this.options.id,
          'x-runner-name': this.options.name,
          'x-runner-version': this.options.version,
          'x-runner-max-concurrency': String(this.options.maxConcurrency),
          'x-runner-tags': this.options.tags.join(','),
        },
      },
    );
    if (registered.data.instanceId) this.api.setInstance(this.options.id, registered.data.instanceId);
    this.say(
      `runner ${this.options.id} registered with ${this.options.server} (max ${this.options.maxConcurrency} at once` +
        `${this.options.tags.length ? `, tags ${this.options.tags.join(',')}` : ''}); waiting for work`,
    );
    const requeued = registered.data.releasedTaskIds?.length ?? 0;
    if (requeued > 0) this.say(`the server requeued ${requeued} task(s) an earlier process of this runner id held`);
    // Heartbeats run on their own timer until the runner stops and its last task is done.
    this.scheduleHeartbeat();
    await Promise.all([
      this.claimLoop('reviews'),
      ...(this.options.profiles.length > 0 && this.options.sessionCommand ? [this.claimLoop('sessions')] : []),
    ]);
    if (this.fatal) {
      // Released tasks end within the kill grace; wait, so no program outlives the agent.
      await this.tasksDone();
      throw this.fatal;
    }
  }

  private tasksDone(): Promise<unknown> {
    return Promise.all([...this.active.values()].map((task) => task.done));
  }

  /** Stop claiming, let running tasks finish within the drain timeout, release the rest, deregister. */
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
    const timedOut = await Promise.race([
      this.tasksDone().then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), this.options.drainMs).unref()),
    ]);
    if (timedOut) {
      for (const task of this.active.values()) task.abort.abort();
      this.say(`drain timeout: released ${this.active.size} unfinished task(s) back to the queue`);
    }
    // A replaced runner's id belongs to the new process now: deregistering would release that process's tasks.
    if (this.fatal) throw this.fatal;
    try {
      await this.api.call('DELETE', this.runnerPath, { retry: false });
      this.say(`runner ${this.options.id} deregistered`);
    } catch (error) {
      this.say(`could not deregister (${(error as Error).message}); its tasks return to the queue when leases expire`);
    }
  }

  private scheduleHeartbeat() {
    setTimeout(() => void this.heartbeat(), this.options.heartbeatMs);
  }

  /** Beats at a fixed rate: the next one is scheduled before this one is sent, and a request never outlasts it. */
  private async heartbeat() {
    if (this.fatal || (this.stopping.signal.aborted && this.active.size === 0)) return;
    this.scheduleHeartbeat();
    const taskIds = [...this.active.keys()];
    // A claim answered by the server but not yet read here holds tasks this list cannot name: say how long the
    // oldest claim has been out, so the server keeps leases that young.
    const oldestClaim = Math.min(...[...this.claimsInFlight].map((claim) => claim.at));
    try {
      const reply = await this.api.call<{ data: { cancelTaskIds: string[]; staleTaskIds?: string[] } }>(
        'POST',
        `${this.runnerPath}/heartbeat`,
        {
          body: {
            status: taskIds.length >= this.options.maxConcurrency ? 'busy' : 'online',
            currentJobs: taskIds.length,
            taskIds,
            ...(this.claimsInFlight.size > 0 ? { claimsPendingMs: Math.max(0, Date.now() - oldestClaim) } : {}),
          },
          retry: false,
          timeoutMs: Math.min(this.options.heartbeatMs, 10_000),
        },
      );
      for (const id of reply.data.cancelTaskIds) this.cancel(id);
      for (const id of reply.data.staleTaskIds ?? []) {
        this.release(id, 'the server released it (this runner instance no longer holds it)');
      }
    } catch (error) {
      if (error instanceof FatalServerError) this.fail(error);
      // Unreachable: the next beat tries again; the claim loop reports the outage.
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

  /** After a refused write or a release: stop the program, say why, forget what was spooled for the server. */
  private drop(taskId: string, entry: ActiveTask, error: unknown, spoolFiles: string[]) {
    entry.abort.abort();
    const why = entry.release.signal.aborted
      ? (entry.release.signal.reason as StaleAttempt).message
      : `its lease moved on (${(error as Error).message})`;
    this.say(`task ${short(taskId)}: dropped, ${why}`);
    for (const file of spoolFiles) fs.rmSync(file, { force: true });
  }

  private cancel(taskId: string) {
    const task = this.active.get(taskId);
    if (!task || task.cancelled || task.release.signal.aborted) return;
    task.cancelled = true;
    this.say(`task ${short(taskId)}: cancel requested; stopping it`);
    task.abort.abort();
  }

  /** Waits until a slot frees or the runner stops. */
  private slotOrStop(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.slotFreed;
      this.slotFreed = () => {
        previous();
        resolve();
      };
      this.stopping.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** Long-polls one queue for up to the free slots (the server caps the total across both queues). */
  private async claimLoop(queue: 'reviews' | 'sessions') {
    while (!this.stopping.signal.aborted) {
      const free = this.options.maxConcurrency - this.active.size;
      if (free <= 0) {
        await this.slotOrStop();
        continue;
      }
      const claimStarted = { at: Date.now() };
      this.claimsInFlight.add(claimStarted);
      try {
        if (queue === 'reviews') {
          const reply = await this.api.call<{ data: ReviewTask[] }>(
            'GET',
            `/api/runners/tasks/pending?runnerId=${encodeURIComponent(this.options.id)}&limit=${free}&wait=20`,
            { signal: this.stopping.signal },
          );
          for (const task of reply.data) {
            const what = `${task.repositoryUrl} @ ${task.commitSha.slice(0, 12)}`;
            this.start(task.id, task.attempt, what, (entry) => this.execute(task, entry));
          }
        } else {
          const reply = await this.api.call<{ items: (SessionTask & { profile_id: string })[] }>(
            'POST',
            '/v1/runners/sessions/claim',
            {
              signal: this.stopping.signal,
              body: {
                runner_id: this.options.id,
                profile_ids: this.options.profiles,
                ...(this.options.tags.length ? { tags: this.options.tags } : {}),
                limit: Math.min(free, 50),
                wait_seconds: 20,
              },
            },
          );
          for (const session of reply.items) {
            const what = `session of profile ${session.profile_id}`;
            this.start(session.id, session.attempt, what, (entry) => this.executeSession(session, entry));
          }
        }
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        if (error instanceof FatalServerError) return this.fail(error);
        this.say(`claim failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 2000));
      } finally {
        this.claimsInFlight.delete(claimStarted);
      }
    }
  }

  private start(id: string, attempt: number, what: string, execute: (entry: ActiveTask) => Promise<void>) {
    const abort = new AbortController();
    const entry: ActiveTask = { abort, cancelled: false, release: new AbortController(), done: Promise.resolve() };
    this.active.set(id, entry);
    this.say(`task ${short(id)}: claimed (attempt ${attempt}) ${what}`);
    entry.done = execute(entry)
      .catch((error: unknown) => this.say(`task ${short(id)}: ${(error as Error).message}`))
      .finally(() => {
        this.active.delete(id);
        const freed = this.slotFreed;
        this.slotFreed = () => {};
        freed();
      });
  }

  private async executeSession(session: SessionTask, entry: ActiveTask) {
    const workDir = fs.mkdtempSync(path.join(this.options.workDir, `session-${short(session.id)}-`));
    const spool = path.join(this.options.workDir, 'spool', `${session.id}-${session.attempt}`);
    try {
      const outcome = await runSession(session, {
        api: this.api,
        runnerId: this.options.id,
        command: this.options.sessionCommand!,
        executor: this.options.executor,
        workDir,
        spool,
        signal: entry.abort.signal,
        cancelled: () => entry.cancelled,
        released: entry.release.signal,
        timeoutMs: this.options.timeoutMs,
        graceMs: this.options.graceMs,
        say: this.say,
      });
      this.say(`task ${short(session.id)}: ${outcome}`);
    } catch (error) {
      if (error instanceof FatalServerError) this.fail(error);
      if (error instanceof StaleAttempt || entry.release.signal.aborted) {
        return this.drop(session.id, entry, error, [`${spool}.events.jsonl`]);
      }
      throw error;
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }

  private async execute(task: ReviewTask, entry: ActiveTask) {
    const taskPath = `/api/runners/tasks/${task.id}`;
    const headers = { 'x-runner-id': this.options.id, 'x-runplane-attempt': String(task.attempt) };
    const workDir = fs.mkdtempSync(path.join(this.options.workDir, `task-${short(task.id)}-`));
    const spool = path.join(this.options.workDir, 'spool', `${task.id}-${task.attempt}`);
    const write = (method: string, suffix: string, body: unknown) =>
      this.api.call(method, `${taskPath}${suffix}`, { body, headers, taskId: task.id, signal: entry.release.signal });
    const logs = new LogShipper(async (lines) => {
      await write('POST', '/logs', { logs: lines });
    }, `${spool}.logs.jsonl`);
    try {
      let result: Record<string, unknown>;
      try {
        result = await runReview(task, {
          workDir,
          signal: entry.abort.signal,
          phase: async (phase) => {
            this.say(`task ${short(task.id)}: ${phase}`);
            await write('POST', '/status', { status: phase });
          },
          log: (line) => logs.push(fitLine(line)),
          llm: {
            baseUrl: this.options.llmBaseUrl,
            model: this.options.llmModel,
            apiKey: this.options.llmApiKey,
            tokenBudget: 12_000,
          },
          reviewerCommand: this.options.reviewerCommand,
          executor: this.options.executor,
          timeoutMs: this.options.timeoutMs,
          graceMs: this.options.graceMs,
        });
      } catch (error) {
        if (error instanceof StaleAttempt || error instanceof FatalServerError || entry.release.signal.aborted) {
          throw error;
        }
        if (!entry.cancelled && this.stopping.signal.aborted && entry.abort.signal.aborted) {
          // Drain timeout: leave the task to the deregistration, which hands it to another runner.
          return;
        }
        const message = entry.cancelled ? 'cancelled on request' : (error as Error).message;
        logs.push(`review failed: ${message}`);
        result = { status: 'failed', files: [], totalComments: 0, metrics: { durationMs: 0 }, error: message };
      }
      await logs.flush();
      // The result is kept on disk until the server has it: an outage delays it, it does not lose it.
      const body = { runnerId: this.options.id, attempt: task.attempt, ...result };
      fs.writeFileSync(`${spool}.result.json`, JSON.stringify(body));
      await write('POST', '/result', body);
      fs.rmSync(`${spool}.result.json`, { force: true });
      this.say(
        result['status'] === 'success'
          ? `task ${short(task.id)}: submitted ${result['totalComments']} comment(s)${result['rating'] ? `, rating ${result['rating']}` : ''}`
          : `task ${short(task.id)}: reported ${entry.cancelled ? 'cancelled' : 'failed'}: ${result['error']}`,
      );
    } catch (error) {
      if (error instanceof FatalServerError) this.fail(error);
      if (error instanceof StaleAttempt || entry.release.signal.aborted) {
        return this.drop(task.id, entry, error, [`${spool}.result.json`, `${spool}.logs.jsonl`]);
      }
      throw error;
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
}
