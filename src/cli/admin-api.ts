// `runplane keys …` and `runplane users …` against a running server (`--server URL`): the /v1/admin API with the
// admin key from RUNPLANE_API_KEY, so nothing needs the server stopped. The key never comes from an argument,
// where `ps` and the shell's history would show it.

export interface AdminApi {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  server: string;
}

/** With --server the server acts in the admin key's org: naming another is refused rather than ignored. */
export function noOrgWithServer(options: { org?: string; server?: string }): void {
  if (options.server && options.org) {
    throw new Error('--org is not used with --server: the server acts in the org of RUNPLANE_API_KEY; drop --org');
  }
}

/** Every item of a paged /v1 list, page after page. */
export async function listAll<T>(api: AdminApi, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: T[]; next_cursor: string | null } = await api.call(
      'GET',
      `${path}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export function adminApi(server: string, env: NodeJS.ProcessEnv = process.env): AdminApi {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new Error(`--server ${server} is not a URL; give the server's address, e.g. http://127.0.0.1:8080`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`--server must be an http:// or https:// URL, got ${base.protocol}`);
  }
  const key = env['RUNPLANE_API_KEY']?.trim();
  if (!key) {
    throw new Error(
      'set RUNPLANE_API_KEY to an admin key of the org (create one in the console under Keys, or with ' +
        '`runplane keys create --org ORG --scopes admin` while the server is stopped)',
    );
  }
  const origin = base.toString().replace(/\/$/, '');
  return {
    server: origin,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(origin + path, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        throw new Error(
          `cannot reach ${origin} (${(error as Error).message}); is the server running, and is --server its address?`,
        );
      }
      const text = await response.text();
      let answer: { error?: { code?: string; message?: string } } | null = null;
      try {
        answer = text ? JSON.parse(text) : null;
      } catch {
        throw new Error(`${origin} answered ${response.status} with something that is not JSON; is it Runplane?`);
      }
      if (response.ok) return answer as T;
      const message = answer?.error?.message ?? `status ${response.status}`;
      if (response.status === 401) throw new Error(`the server refused RUNPLANE_API_KEY: ${message}`);
      if (response.status === 403) {
        throw new Error(`RUNPLANE_API_KEY is not an admin key (${message}); use a key with the admin scope`);
      }
      throw new Error(`${method} ${path}: ${message}`);
    },
  };
}
