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
  /** HubSpot refused our token or its scopes (401/403), or the start-up calls failed (`setup`): ours to fix, not the contacts'. */
  | { kind: 'access'; status: number; message: string; setup?: boolean }
  | { kind: 'rejected'; status: number; message: string };

/** What an SDK error means for the sync: wait for the window, pause for the day, retry later, or a refusal. */
export function classify(err: unknown): Failure {
  const e = err as { code?: unknown; body?: unknown; headers?: Record<string, string>; message?: string };
  const status = typeof e.code === 'number' ? e.code : undefined;
  const body = (typeof e.body === 'string' ? safeJson(e.body) : e.body) as { message?: string; policyName?: string } | undefined;
  const message = (body?.message ?? e.message ?? 'unknown error').slice(0, 500);
  if (status === 429) {
    if (body?.policyName === 'DAILY') return { kind: 'daily', message };
    const interval = Number(e.headers?.['x-hubspot-ratelimit-interval-milliseconds']);
    return { kind: 'window', waitMs: Number.isFinite(interval) && interval > 0 ? interval : 10_000, message };
  }
  if (status === 401 || status === 403) return { kind: 'access', status, message };
  if (status === undefined || status >= 500) return { kind: 'transient', status, message: status ? `HTTP ${status}: ${message}` : message };
  return { kind: 'rejected', status, message };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
