import { AsyncLocalStorage } from 'node:async_hooks';
import type { Role } from '../domain/roles';

/**
 * Who the database is working for. Every connection the application takes from its pool is
 * handed over with this identity set in PostgreSQL (see `access-pool.ts`), and the row-level
 * security policies decide from it which rows exist. No identity: no personal data at all.
 */
export type AccessIdentity =
  | { kind: 'system'; reason: string }
  | { kind: 'staff'; userId: string; roles: readonly Role[] };

interface AccessStore {
  identity: AccessIdentity | null;
}

const storage = new AsyncLocalStorage<AccessStore>();

/** The identity of the code running now, or null. */
export function currentIdentity(): AccessIdentity | null {
  return storage.getStore()?.identity ?? null;
}

/**
 * Runs `work` as the system itself: intake that must match a person whoever they are, background
 * jobs, the DPO's recorded privacy-request actions. `reason` says why (it reaches the database
 * session as the application name of the transaction, never personal data).
 */
export function runAsSystem<T>(reason: string, work: () => Promise<T>): Promise<T> {
  return storage.run({ identity: { kind: 'system', reason } }, work);
}

/** Runs `work` for a staff user: the policies show them what their roles and accounts allow. */
export function runAsStaff<T>(userId: string, roles: readonly Role[], work: () => Promise<T>): Promise<T> {
  return storage.run({ identity: { kind: 'staff', userId, roles } }, work);
}

/** Runs `work` with no identity (what a request has until the guard knows who is asking). */
export function runWithoutIdentity<T>(work: () => T): T {
  return storage.run({ identity: null }, work);
}

/**
 * For the request pipeline: opens an empty scope the guard fills in once it knows the caller,
 * so everything after the guard (handlers, services, repositories) runs as that caller.
 */
export function openRequestScope(next: () => void): void {
  storage.run({ identity: null }, next);
}

export function identifyRequest(identity: AccessIdentity): void {
  const store = storage.getStore();
  if (!store) throw new Error('identifyRequest outside a request scope');
  store.identity = identity;
}
