import { Client } from '@hubspot/api-client';
import type { AppConfig } from '../config/app-config';

export const HUBSPOT_CLIENT = Symbol('HUBSPOT_CLIENT');
export const HUBSPOT_SLEEP = Symbol('HUBSPOT_SLEEP');
export type Sleep = (ms: number) => Promise<void>;

/**
 * One client per process (the SDK's limiter and retry decorators are process-global), with
 * neither switched on: the shared limiter and the retry policy are ours. Null without a token.
 */
export function createHubspotClient(config: AppConfig): Client | null {
  if (!config.HUBSPOT_ACCESS_TOKEN) return null;
  return new Client({ accessToken: config.HUBSPOT_ACCESS_TOKEN, basePath: config.HUBSPOT_BASE_URL.replace(/\/$/, ''), numberOfApiCallRetries: 0 });
}

export class HubspotTimeoutError extends Error {
  constructor(ms: number) {
    super(`HubSpot did not answer within ${ms} ms`);
  }
}

/** The SDK has no request timeout: give up waiting (the request is idempotent, a retry is safe). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new HubspotTimeoutError(ms)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export type Failure =
  | { kind: 'window'; waitMs: number; message: string }
  | { kind: 'daily'; message: string }
  | { kind: 'transient'; status?: number; message: string }
  /** HubSpot refused our token or its scopes (401/403; `scope`: a scope this kind of call needs), or the start-up calls failed (`setup`): ours to fix, not the contacts'. */
  | { kind: 'access'; status: number; message: string; setup?: boolean; scope?: boolean }
  | { kind: 'rejected'; status: number; message: string; category?: string };

/** What an SDK error means for the sync: wait for the window, pause for the day, retry later, or a refusal. */
export function classify(err: unknown): Failure {
  const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string>; message?: string };
  const status = typeof e.code === 'number' ? e.code : undefined;
  const body = (typeof e.body === 'string' ? safeJson(e.body) : e.body) as { message?: string; policyName?: string; category?: unknown } | undefined;
  const category = typeof body?.category === 'string' ? body.category : undefined;
  const message = (body?.message ?? e.message ?? 'unknown error').slice(0, 500);
  if (status === 429) {
    if (body?.policyName === 'DAILY') return { kind: 'daily', message };
    const interval = Number(e.headers?.['x-hubspot-ratelimit-interval-milliseconds']);
    return { kind: 'window', waitMs: Number.isFinite(interval) && interval > 0 ? interval : 10_000, message };
  }
  // A token refused (401), or a scope this app lacks for one kind of call (403 MISSING_SCOPES): not the contacts'.
  if (status === 401 || status === 403) return { kind: 'access', status, message, ...(status === 403 && category === 'MISSING_SCOPES' ? { scope: true } : {}) };
  // No answer: a network error's message quotes the URL (an unsubscribe's names an address), so only its code is kept.
  if (status === undefined) return { kind: 'transient', message: err instanceof HubspotTimeoutError ? err.message : `no answer from HubSpot${typeof e.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(e.code) ? ` (${e.code})` : ''}` };
  if (status >= 500) return { kind: 'transient', status, message: `HTTP ${status}: ${message}` };
  return { kind: 'rejected', status, message, ...(category ? { category } : {}) };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
