// Small HTTP servers on 127.0.0.1 speaking the wire formats of services this machine cannot reach: an
// OpenAI-compatible Chat Completions endpoint and the slice of GitHub's REST API Runplane uses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeServer {
  url: string;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<FakeServer & { server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const readBody = (request: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
  });

const sendJson = (
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

export interface FakeOpenAi extends FakeServer {
  requests: { model: string; authorization: string | undefined; prompt: string }[];
  /** Milliseconds to wait before answering requests whose prompt contains the key. */
  delays: Map<string, number>;
}

/**
 * Answers every chat completion with one comment per file in the prompt, on the first added (`+`) numbered line,
 * as the JSON object the reviewer asked for, with token usage.
 */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  const delays = new Map<string, number>();
  const fake = await listen(async (request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') return sendJson(response, 404, {});
    const body = JSON.parse(await readBody(request)) as {
      model: string;
      messages: { role: string; content: string }[];
    };
    const prompt = body.messages.find((m) => m.role === 'user')?.content ?? '';
    requests.push({ model: body.model, authorization: request.headers.authorization, prompt });
    for (const [key, ms] of delays) if (prompt.includes(key)) await new Promise((resolve) => setTimeout(resolve, ms));
    const comments: unknown[] = [];
    let path: string | null = null;
    let commented = false;
    for (const line of prompt.split('\n')) {
      const header = /^### (\S+)/.exec(line);
      if (header) {
        path = header[1]!;
        commented = false;
        continue;
      }
      const added = /^\s*(\d+) \+/.exec(line);
      if (path && added && !commented) {
        comments.push({
          path,
          line: Number(added[1]),
          severity: 'minor',
          body: `Consider documenting this in ${path}.`,
        });
        commented = true;
      }
    }
    // One comment the reviewer must drop: it points outside the diff.
    comments.push({ path: 'src/app.ts', line: 999, severity: 'major', body: 'not in the diff' });
    const content = JSON.stringify({ comments, rating: 'B', summary: 'Looks fine.' });
    sendJson(response, 200, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    });
  });
  return { ...fake, requests, delays };
}

export interface PostedReview {
  repository: string;
  number: number;
  body: { commit_id: string; body: string; event: string; comments: { path: string; line: number; body: string }[] };
}

export interface FakeGitHub extends FakeServer {
  /** Pull request files by "owner/repo#number". */
  files: Map<string, { filename: string; status: string; patch: string }[]>;
  reviews: PostedReview[];
  /** Every request's method and path, in order. */
  requests: string[];
}

export async function startFakeGitHub(token: string): Promise<FakeGitHub> {
  const files = new Map<string, { filename: string; status: string; patch: string }[]>();
  const reviews: PostedReview[] = [];
  const requests: string[] = [];
  const fake = await listen(async (request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (request.headers.authorization !== `Bearer ${token}`)
      return sendJson(response, 401, { message: 'Bad credentials' });
    const url = new URL(request.url ?? '/', 'http://x');
    const match = /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)\/(files|reviews)$/.exec(url.pathname);
    if (!match) return sendJson(response, 404, { message: 'Not Found' });
    const [, repository, number, what] = match as unknown as [string, string, string, string];
    const key = `${repository}#${number}`;
    if (what === 'files' && request.method === 'GET') {
      // Paginated like GitHub (page, Link rel="next"), one file per page so a two-file PR takes two pages.
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const fakePerPage = Math.min(perPage, 1);
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = files.get(key) ?? [];
      const slice = all.slice((page - 1) * fakePerPage, page * fakePerPage);
      const next = page * fakePerPage < all.length;
      const link: Record<string, string> = next
        ? { link: `<${fake.url}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"` }
        : {};
      return sendJson(response, 200, slice, link);
    }
    if (what === 'reviews' && request.method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? 1);
      const mine = reviews.filter((r) => `${r.repository}#${r.number}` === key).map((r) => ({ body: r.body.body }));
      return sendJson(response, 200, page === 1 ? mine : []);
    }
    if (what === 'reviews' && request.method === 'POST') {
      const body = JSON.parse(await readBody(request)) as PostedReview['body'];
      reviews.push({ repository, number: Number(number), body });
      return sendJson(response, 200, { id: reviews.length, body: body.body, state: 'COMMENTED' });
    }
    sendJson(response, 405, { message: 'Method Not Allowed' });
  });
  return { ...fake, files, reviews, requests };
}
