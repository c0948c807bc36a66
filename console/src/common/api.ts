import { HttpError } from 'react-admin';

/**
 * The console's one way to the API. The access token lives in memory only (never in storage a
 * script could read later); the session cookie (HttpOnly, path /api/auth/session) renews it, so a
 * reload or an expired token costs one refresh, not a sign-in.
 */
let access: { token: string; expiresAt: number } | null = null;
let refreshing: Promise<boolean> | null = null;

export function setAccess(view: { accessToken: string; expiresIn: number }): void {
  // Renewed a little before it ends (a tenth of its life, at most 30 s), so a request rarely races the expiry.
  access = { token: view.accessToken, expiresAt: Date.now() + (view.expiresIn - Math.min(30, view.expiresIn / 10)) * 1000 };
}

export function clearAccess(): void {
  access = null;
}

/** A fresh access token from the session cookie; false when there is no session (signed out, ended). */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/api/auth/session/refresh', { method: 'POST', credentials: 'same-origin' })
    .then(async (res) => {
      if (!res.ok) return (clearAccess(), false);
      setAccess(await res.json());
      return true;
    })
    .catch(() => false)
    .finally(() => (refreshing = null));
  return refreshing;
}

export async function hasSession(): Promise<boolean> {
  return (access !== null && access.expiresAt > Date.now()) || refreshSession();
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

/** An RFC 9457 problem as react-admin shows it: the message, and each invalid field beside its input. */
function toHttpError(status: number, problem: Problem | null): HttpError {
  const message = problem?.detail ?? problem?.title ?? `The service answered ${status}.`;
  const errors: Record<string, string> = {};
  for (const e of problem?.errors ?? []) errors[e.field] = e.message;
  return new HttpError(message, status, { errors: { ...errors, root: { serverError: message } } });
}

/** A request with the access token; a 401 renews the session once and tries again. */
async function authorised(path: string, init: { method?: string; body?: BodyInit; type?: string; accept?: string }, retried = false): Promise<Response> {
  if (!access || access.expiresAt <= Date.now()) await refreshSession();
  const headers: Record<string, string> = { Accept: init.accept ?? 'application/json' };
  if (access) headers.Authorization = `Bearer ${access.token}`;
  if (init.type) headers['Content-Type'] = init.type;
  const res = await fetch(path, { method: init.method ?? 'GET', headers, credentials: 'same-origin', body: init.body });
  if (res.status === 401 && !retried && (await refreshSession())) return authorised(path, init, true);
  return res;
}

async function answer<T>(res: Response): Promise<T> {
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw toHttpError(res.status, body);
  return body as T;
}

/** JSON in, JSON out. */
export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const json = init.body === undefined ? {} : { body: JSON.stringify(init.body), type: 'application/json' };
  return answer<T>(await authorised(path, { method: init.method, ...json }));
}

/** A multipart upload (the browser sets its boundary); JSON back. */
export async function upload<T = unknown>(path: string, form: FormData): Promise<T> {
  return answer<T>(await authorised(path, { method: 'POST', body: form }));
}

/** A file the API sends (CSV, JSON, PDF): saved by the browser under the name the service gives it; its headers returned. */
export async function download(path: string, fallbackName: string, accept = 'text/csv'): Promise<Headers> {
  const res = await authorised(path, { accept });
  if (!res.ok) await answer(res);
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return res.headers;
}
