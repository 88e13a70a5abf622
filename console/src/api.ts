// The console talks only to its backend-for-frontend (/console/api): the session cookie travels by itself, and
// every change carries the CSRF token the login answered.
export interface Me {
  email: string;
  role: 'viewer' | 'approver' | 'operator' | 'admin';
  org: string;
}

let csrfToken = '';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Aborted when the person logs out: a page's polls in flight or due before the browser leaves would otherwise reach
 * the server after the session ended and be answered 401.
 */
const signedIn = new AbortController();

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/console/api${path}`, {
    method,
    signal: signedIn.signal,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401) {
    location.assign(`/console/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!response.ok) throw new ApiError(response.status, data?.error?.message ?? `request failed (${response.status})`);
  return data as T;
}

export async function loadMe(): Promise<Me | null> {
  const answer = await fetch('/console/api/me', { credentials: 'same-origin' });
  if (!answer.ok) return null;
  const data = (await answer.json()) as { user: Me | null; csrf_token?: string };
  csrfToken = data.csrf_token ?? '';
  return data.user;
}

export async function logIn(email: string, password: string, org?: string): Promise<void> {
  const response = await fetch('/console/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, ...(org ? { org } : {}) }),
    credentials: 'same-origin',
  });
  const data = await response.json();
  if (!response.ok) throw new ApiError(response.status, data?.error?.message ?? 'login failed');
  csrfToken = data.csrf_token;
}

export const canOperate = (me: Me | null) => me?.role === 'operator' || me?.role === 'admin';
export const isAdmin = (me: Me | null) => me?.role === 'admin';
/** Decides permission requests and raises budgets (runners:approve). */
export const canApprove = (me: Me | null) => me?.role === 'approver' || me?.role === 'admin';

export async function logOut(): Promise<void> {
  signedIn.abort();
  await fetch('/console/api/logout', {
    method: 'POST',
    headers: { 'x-csrf-token': csrfToken },
    credentials: 'same-origin',
  });
  csrfToken = '';
}

/** The first run's form: creates the first org and admin with the link's token and opens a session. */
export async function setUp(fields: { token: string; org: string; email: string; password: string }): Promise<void> {
  const response = await fetch('/console/api/setup', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fields),
    credentials: 'same-origin',
  });
  const data = await response.json();
  if (!response.ok) throw new ApiError(response.status, data?.error?.message ?? 'setup failed');
  csrfToken = data.csrf_token;
}

export function age(iso: string | null | undefined): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export function duration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from) return '—';
  const seconds = Math.round(((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000);
  return seconds < 120 ? `${seconds}s` : `${Math.round(seconds / 60)}m`;
}
