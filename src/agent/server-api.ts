// The runner's side of the HTTP contracts, spoken through the typed client (src/client). Network failures and 5xx
// answers are retried with exponential backoff and jitter until they succeed or the caller gives up; 401/403 stop the runner with a message saying what to do;
// 409 stale_attempt tells the caller to drop the task; 409 runner_replaced (another process registered this runner
// id) stops the runner whichever call hears it. Once registered, every call names the instance, because the server
// hands leases to an instance, not to a runner id.
import { createRunplaneClient, type RunplaneClient } from '../client/index.ts';

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

  /** The server's own words: its error code and message. */
  get reason(): string {
    const code = this.body?.error?.code;
    const message = this.body?.error?.message ?? 'no details';
    return code ? `${code}: ${message}` : `${this.status}: ${message}`;
  }

  /** The server refused what was sent (4xx but 409): sending it again cannot help, sending something else may. */
  get refused(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 409;
  }

  /** 409: the task has moved on (finished, cancelled, another state); nothing more written for it can land. */
  get conflict(): boolean {
    return this.status === 409;
  }
}

export interface CallOptions {
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

/** What a typed call hands back (openapi-fetch's answer). */
type TypedAnswer<T> = { data?: T; error?: unknown; response: Response };

/** What a call's request builder gets: the transport and the headers every request of this runner carries. */
export interface RequestInit {
  fetch: (request: Request) => Promise<Response>;
  headers: Record<string, string>;
}

/** Waits `ms`, or less when `signal` aborts; the abort listener goes away with the timer (no leak per retry). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * An AbortSignal that fires after `timeoutMs` or when `outer` aborts, and a `release()` that removes the listener
 * from `outer` and clears the timer. A long-lived signal (the runner's stop, a task's release) sees one listener per
 * request in flight, never one per request ever made.
 */
export function requestSignal(timeoutMs: number, outer?: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer?.reason);
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  outer?.addEventListener('abort', onAbort, { once: true });
  if (outer?.aborted) onAbort();
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

export const backoff = (attempt: number) => Math.random() * Math.min(30_000, 500 * 2 ** attempt);

/** Statuses whose answers carry no body (a Response cannot be built with one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

export class ServerApi {
  private unreachableSince: number | null = null;
  private instance: { runnerId: string; instanceId: string } | null = null;
  /** The typed client every call goes through; requests are sent by `transport`, which retries. */
  readonly client: RunplaneClient;

  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly say: (line: string) => void,
  ) {
    this.client = createRunplaneClient({ baseUrl });
  }

  /** Called with the register answer: from then on every call names this instance. */
  setInstance(runnerId: string, instanceId: string): void {
    this.instance = { runnerId, instanceId };
  }

  /** The credential and instance headers every request carries. */
  identityHeaders(): Record<string, string> {
    return {
      authorization: `Bearer ${this.apiKey}`,
      ...(this.instance ? { 'x-runner-instance': this.instance.instanceId } : {}),
    };
  }

  /** The error a refused answer stands for; `body` is the parsed JSON error, or the text when it was not JSON. */
  refusal(status: number, body: unknown, taskId?: string): Error {
    const answer: AnswerBody =
      typeof body === 'object' && body !== null
        ? (body as AnswerBody)
        : { error: { message: String(body ?? '').slice(0, 200) } };
    const message = answer?.error?.message ?? '';
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
    if (status === 409 && answer?.error?.code === 'runner_replaced') {
      const id = this.instance?.runnerId ?? '?';
      return new RunnerReplaced(
        `runner ${id} was replaced: another process registered the same runner id (${message}). Stop the other process or give this one a different --id`,
      );
    }
    if (status === 409 && answer?.error?.code === 'stale_attempt') return new StaleAttempt(taskId ?? '?', message);
    return new ServerAnswer(status, answer);
  }

  /**
   * One typed request: `send` builds it with the client (path, parameters and body checked by the compiler) and
   * the given transport and headers; the answer's data comes back, or the refusal it stands for is thrown.
   */
  async call<T>(
    send: (client: RunplaneClient, init: RequestInit) => Promise<TypedAnswer<T>>,
    options: CallOptions = {},
  ): Promise<T> {
    options.signal?.throwIfAborted();
    const answer = await send(this.client, {
      fetch: (request) => this.transport(request, options),
      headers: { ...this.identityHeaders(), ...options.headers },
    });
    if (answer.response.ok) return answer.data as T;
    throw this.refusal(answer.response.status, answer.error, options.taskId);
  }

  /**
   * Sends `request`, again after network failures, 5xx and 429 with backoff unless `options.retry` is false. The
   * answer's body is read under the request's deadline: a server that sends headers and then stalls is a hung request.
   */
  private async transport(request: Request, options: CallOptions): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      // An aborted signal's reason is the caller's answer (e.g. the task was released): nothing is sent.
      options.signal?.throwIfAborted();
      const deadline = requestSignal(options.timeoutMs ?? 90_000, options.signal);
      let answer: Response;
      try {
        const sent = new Request(options.retry === false ? request : request.clone(), { signal: deadline.signal });
        const response = await fetch(sent);
        const body = await response.arrayBuffer();
        answer = new Response(NULL_BODY.has(response.status) ? null : body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      } catch (error) {
        options.signal?.throwIfAborted();
        if (options.retry === false) throw error;
        if (this.unreachableSince === null) {
          this.unreachableSince = Date.now();
          this.say(`server ${this.baseUrl} unreachable (${(error as Error).message}); retrying with backoff`);
        }
        await sleep(backoff(attempt), options.signal);
        options.signal?.throwIfAborted();
        continue;
      } finally {
        deadline.release();
      }
      if (this.unreachableSince !== null) {
        this.say(`server reachable again after ${Math.round((Date.now() - this.unreachableSince) / 1000)} s`);
        this.unreachableSince = null;
      }
      if ((answer.status >= 500 || answer.status === 429) && options.retry !== false) {
        await sleep(backoff(attempt), options.signal);
        options.signal?.throwIfAborted();
        continue;
      }
      return answer;
    }
  }
}
