// The runner's side of the HTTP contracts. Network failures and 5xx answers are retried with exponential backoff
// and jitter until they succeed or the caller gives up; 401/403 stop the runner with a message saying what to do;
// 409 stale_attempt tells the caller to drop the task; 409 runner_replaced (another process registered this runner
// id) stops the runner whichever call hears it. Once registered, every call names the instance, because the server
// hands leases to an instance, not to a runner id.
export class FatalServerError extends Error {}

/** Another process registered the same runner id: this one's leases are gone and it must stop without a word. */
export class RunnerReplaced extends FatalServerError {}

export class StaleAttempt extends Error {
  constructor(
    readonly taskId: string,
    message: string,
  ) {
    super(message);
  }
}

type AnswerBody = { error?: { code?: string; message?: string } } | null;

export class ServerAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: AnswerBody,
  ) {
    super(`server answered ${status}: ${body?.error?.message ?? 'no details'}`);
  }
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Stop retrying when this aborts (shutdown, task released); its reason is what the call then throws. */
  signal?: AbortSignal;
  /** Retry transient failures (default); false fails at once. */
  retry?: boolean;
  /** Which task a 409 stale_attempt concerns. */
  taskId?: string;
  /** Gives up on one request after this long (default 90 s, above the longest long-poll). */
  timeoutMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export const backoff = (attempt: number) => Math.random() * Math.min(30_000, 500 * 2 ** attempt);

export class ServerApi {
  private unreachableSince: number | null = null;
  private instance: { runnerId: string; instanceId: string } | null = null;

  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly say: (line: string) => void,
  ) {}

  /** Called with the register answer: from then on every call names this instance. */
  setInstance(runnerId: string, instanceId: string): void {
    this.instance = { runnerId, instanceId };
  }

  /** The credential and instance headers, for requests the caller makes itself (streamed uploads). */
  identityHeaders(): Record<string, string> {
    return {
      authorization: `Bearer ${this.apiKey}`,
      ...(this.instance ? { 'x-runner-instance': this.instance.instanceId } : {}),
    };
  }

  /** The error a refused answer stands for (for calls made here and for the caller's own requests). */
  refusal(status: number, text: string, taskId?: string): Error {
    let body: AnswerBody;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { error: { message: text.slice(0, 200) } };
    }
    const message = body?.error?.message ?? '';
    if (status === 401) {
      return new FatalServerError(
        `the server refused the API key (401): ${message}. Create a runner key with \`runplane keys create --runner --org ORG\` and pass it as --api-key or RUNPLANE_API_KEY`,
      );
    }
    if (status === 403) {
      return new FatalServerError(
        `the API key may not do this (403): ${message}. A runner needs a runner key: \`runplane keys create --runner --org ORG\``,
      );
    }
    if (status === 409 && body?.error?.code === 'runner_replaced') {
      const id = this.instance?.runnerId ?? '?';
      return new RunnerReplaced(
        `runner ${id} was replaced: another process registered the same runner id (${message}). Stop the other process or give this one a different --id`,
      );
    }
    if (status === 409 && body?.error?.code === 'stale_attempt') return new StaleAttempt(taskId ?? '?', message);
    return new ServerAnswer(status, body);
  }

  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const timeout = () => AbortSignal.timeout(options.timeoutMs ?? 90_000);
    for (let attempt = 0; ; attempt++) {
      // An aborted signal's reason is the caller's answer (e.g. the task was released): nothing is sent.
      options.signal?.throwIfAborted();
      let response: Response;
      try {
        response = await fetch(this.baseUrl + path, {
          method,
          headers: {
            ...this.identityHeaders(),
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...options.headers,
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: options.signal ? AbortSignal.any([timeout(), options.signal]) : timeout(),
        });
      } catch (error) {
        if (options.retry === false || options.signal?.aborted) throw error;
        if (this.unreachableSince === null) {
          this.unreachableSince = Date.now();
          this.say(`server ${this.baseUrl} unreachable (${(error as Error).message}); retrying with backoff`);
        }
        await sleep(backoff(attempt), options.signal);
        if (options.signal?.aborted) throw error;
        continue;
      }
      if (this.unreachableSince !== null) {
        this.say(`server reachable again after ${Math.round((Date.now() - this.unreachableSince) / 1000)} s`);
        this.unreachableSince = null;
      }
      const text = await response.text();
      if (response.ok) return (text ? JSON.parse(text) : null) as T;
      if ((response.status >= 500 || response.status === 429) && options.retry !== false && !options.signal?.aborted) {
        await sleep(backoff(attempt), options.signal);
        continue;
      }
      throw this.refusal(response.status, text, options.taskId);
    }
  }
}
