// The runner's side of the HTTP contracts. Network failures and 5xx answers are retried with exponential backoff
// and jitter until they succeed or the caller gives up; 401/403 stop the runner with a message saying what to do;
// 409 stale_attempt tells the caller to drop the task.
export class FatalServerError extends Error {}

export class StaleAttempt extends Error {
  constructor(
    readonly taskId: string,
    message: string,
  ) {
    super(message);
  }
}

export class ServerAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: { code?: string; message?: string } } | null,
  ) {
    super(`server answered ${status}: ${body?.error?.message ?? 'no details'}`);
  }
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Stop retrying when this aborts (shutdown, task cancelled). */
  signal?: AbortSignal;
  /** Retry transient failures (default); false fails at once. */
  retry?: boolean;
  /** Which task a 409 stale_attempt concerns. */
  taskId?: string;
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

  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly say: (line: string) => void,
  ) {}

  /** The credential header, for requests the caller makes itself (streamed uploads). */
  authorization(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }

  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(this.baseUrl + path, {
          method,
          headers: {
            authorization: `Bearer ${this.apiKey}`,
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...options.headers,
          },
          body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: options.signal
            ? AbortSignal.any([AbortSignal.timeout(90_000), options.signal])
            : AbortSignal.timeout(90_000),
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
      const body = text ? JSON.parse(text) : null;
      if (response.ok) return body as T;
      if (response.status === 401) {
        throw new FatalServerError(
          `the server refused the API key (401): ${body?.error?.message ?? ''}. Create one with \`runplane keys create --org ORG --scopes runners:read,runners:write\` and pass it as --api-key or RUNPLANE_API_KEY`,
        );
      }
      if (response.status === 403) {
        throw new FatalServerError(
          `the API key lacks a scope (403): ${body?.error?.message ?? ''}. A runner needs runners:read and runners:write`,
        );
      }
      if (response.status === 409 && body?.error?.code === 'stale_attempt') {
        throw new StaleAttempt(options.taskId ?? '?', body.error.message);
      }
      if ((response.status >= 500 || response.status === 429) && options.retry !== false && !options.signal?.aborted) {
        await sleep(backoff(attempt), options.signal);
        continue;
      }
      throw new ServerAnswer(response.status, body);
    }
  }
}
