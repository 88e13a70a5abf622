// The runner agent: registers, heartbeats on its own timer, long-polls for review tasks up to its free slots, runs
// each in a fresh work dir, streams logs, reports phases and the result. Every write carries its attempt, so a
// runner whose lease moved on is told (409 stale_attempt) and drops the task. SIGTERM/SIGINT drain, release, leave.
import fs from 'node:fs';
import path from 'node:path';
import { LogShipper } from './log-shipper.ts';
import { type ReviewTask, runReview } from './review/run-review.ts';
import { FatalServerError, ServerApi, StaleAttempt } from './server-api.ts';

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
    await this.claimLoop();
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

  private async claimLoop() {
    while (!this.stopping.signal.aborted) {
      const free = this.options.maxConcurrency - this.active.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
          this.stopping.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        continue;
      }
      let tasks: ReviewTask[];
      try {
        const reply = await this.api.call<{ data: ReviewTask[] }>(
          'GET',
          `/api/runners/tasks/pending?runnerId=${encodeURIComponent(this.options.id)}&limit=${free}&wait=20`,
          { signal: this.stopping.signal },
        );
        tasks = reply.data;
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        if (error instanceof FatalServerError) return this.fail(error);
        this.say(`claim failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        continue;
      }
      for (const task of tasks) this.start(task);
    }
  }

  private start(task: ReviewTask) {
    const abort = new AbortController();
    const entry: ActiveTask = { abort, cancelled: false, done: Promise.resolve() };
    this.active.set(task.id, entry);
    this.say(
      `task ${short(task.id)}: claimed (attempt ${task.attempt}) ${task.repositoryUrl} @ ${task.commitSha.slice(0, 12)}`,
    );
    entry.done = this.execute(task, entry)
      .catch((error: unknown) => this.say(`task ${short(task.id)}: ${(error as Error).message}`))
      .finally(() => {
        this.active.delete(task.id);
        this.slotFreed();
      });
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
          log: (line) => logs.push(line),
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
