// The runner agent: registers, heartbeats on its own timer, long-polls for review tasks (and sessions of the
// profiles it serves) up to its free slots, runs each in a fresh work dir, streams logs, reports phases and results. Every write carries its attempt, so a
// runner whose lease moved on is told (409 stale_attempt) and drops the task. SIGTERM/SIGINT drain, release, leave.
import fs from 'node:fs';
import path from 'node:path';
import { fitLine, LogShipper } from './log-shipper.ts';
import { type ReviewTask, runReview } from './review/run-review.ts';
import { FatalServerError, ServerApi, StaleAttempt } from './server-api.ts';
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
  abort: AbortController;
  cancelled: boolean;
  done: Promise<void>;
}

const short = (id: string) => id.slice(0, 8);

export class Runner {
  private readonly api: ServerApi;
  private readonly active = new Map<string, ActiveTask>();
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
    await this.api.call('POST', '/api/runners/register', {
      signal: this.stopping.signal,
      headers: {
        'x-runner-id': this.options.id,
        'x-runner-name': this.options.name,
        'x-runner-version': this.options.version,
        'x-runner-max-concurrency': String(this.options.maxConcurrency),
        'x-runner-tags': this.options.tags.join(','),
      },
    });
    this.say(
      `runner ${this.options.id} registered with ${this.options.server} (max ${this.options.maxConcurrency} at once` +
        `${this.options.tags.length ? `, tags ${this.options.tags.join(',')}` : ''}); waiting for work`,
    );
    // Heartbeats run on their own timer until the runner stops and its last task is done.
    this.scheduleHeartbeat();
    await Promise.all([
      this.claimLoop('reviews'),
      ...(this.options.profiles.length > 0 && this.options.sessionCommand ? [this.claimLoop('sessions')] : []),
    ]);
    if (this.fatal) throw this.fatal;
  }

  /** Stop claiming, let running tasks finish within the drain timeout, release the rest, deregister. */
  async shutdown(signal: string): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.say(
      `${signal}: no new work; draining ${this.active.size} running task(s) for up to ${this.options.drainMs / 1000} s`,
    );
    this.stopping.abort();
    const drained = Promise.all([...this.active.values()].map((task) => task.done));
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), this.options.drainMs).unref()),
    ]);
    if (timedOut) {
      for (const task of this.active.values()) task.abort.abort();
      this.say(`drain timeout: released ${this.active.size} unfinished task(s) back to the queue`);
    }
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

  private async heartbeat() {
    try {
      const busy = this.active.size >= this.options.maxConcurrency;
      const reply = await this.api.call<{ data: { cancelTaskIds: string[] } }>('POST', `${this.runnerPath}/heartbeat`, {
        body: { status: busy ? 'busy' : 'online', currentJobs: this.active.size },
        retry: false,
      });
      for (const id of reply.data.cancelTaskIds) this.cancel(id);
    } catch (error) {
      if (error instanceof FatalServerError) return this.fail(error);
      // Unreachable: the next beat tries again; the claim loop reports the outage.
    }
    if (!this.stopping.signal.aborted || this.active.size > 0) this.scheduleHeartbeat();
  }

  private fail(error: FatalServerError) {
    this.fatal = error;
    this.stopping.abort();
  }

  private cancel(taskId: string) {
    const task = this.active.get(taskId);
    if (!task || task.cancelled) return;
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
      }
    }
  }

  private start(id: string, attempt: number, what: string, execute: (entry: ActiveTask) => Promise<void>) {
    const abort = new AbortController();
    const entry: ActiveTask = { abort, cancelled: false, done: Promise.resolve() };
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
    try {
      const outcome = await runSession(session, {
        api: this.api,
        runnerId: this.options.id,
        command: this.options.sessionCommand!,
        executor: this.options.executor,
        workDir,
        spool: path.join(this.options.workDir, 'spool', `${session.id}-${session.attempt}`),
        signal: entry.abort.signal,
        cancelled: () => entry.cancelled,
        timeoutMs: this.options.timeoutMs,
        graceMs: this.options.graceMs,
        say: this.say,
      });
      this.say(`task ${short(session.id)}: ${outcome}`);
    } catch (error) {
      if (error instanceof StaleAttempt) {
        entry.abort.abort();
        this.say(`task ${short(session.id)}: dropped, its lease moved on (${error.message})`);
        return;
      }
      if (error instanceof FatalServerError) return this.fail(error);
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
      this.api.call(method, `${taskPath}${suffix}`, { body, headers, taskId: task.id });
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
        if (error instanceof StaleAttempt) throw error;
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
      const body = { runnerId: this.options.id, ...result };
      fs.writeFileSync(`${spool}.result.json`, JSON.stringify(body));
      await write('POST', '/result', body);
      fs.rmSync(`${spool}.result.json`, { force: true });
      this.say(
        result['status'] === 'success'
          ? `task ${short(task.id)}: submitted ${result['totalComments']} comment(s)${result['rating'] ? `, rating ${result['rating']}` : ''}`
          : `task ${short(task.id)}: reported ${entry.cancelled ? 'cancelled' : 'failed'}: ${result['error']}`,
      );
    } catch (error) {
      if (error instanceof StaleAttempt) {
        entry.abort.abort();
        this.say(`task ${short(task.id)}: dropped, its lease moved on (${error.message})`);
        fs.rmSync(`${spool}.result.json`, { force: true });
        fs.rmSync(`${spool}.logs.jsonl`, { force: true });
        return;
      }
      if (error instanceof FatalServerError) return this.fail(error);
      throw error;
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
}
