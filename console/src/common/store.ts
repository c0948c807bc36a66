import { localStorageStore, type Store } from 'react-admin';

/**
 * react-admin's store (list settings, saved queries) kept per user, so people who share a
 * browser never see each other's saved filters. react-admin resets its store on sign-out; here
 * that drops the user's passing state (list positions) but keeps their saved queries.
 */
const inner = localStorageStore(undefined, 'lead-intake-console');
let user = 'signed-out';

export function storeFor(userId: string | null): void {
  user = userId ?? 'signed-out';
}

const key = (k: string) => `${user}.${k}`;

export const userStore: Store = {
  setup: () => inner.setup(),
  teardown: () => inner.teardown(),
  getItem: (k, defaultValue) => inner.getItem(key(k), defaultValue),
  setItem: (k, value) => inner.setItem(key(k), value),
  removeItem: (k) => inner.removeItem(key(k)),
  removeItems: (prefix) => inner.removeItems(key(prefix)),
  reset: () => {
    for (const k of Object.keys(inner.listItems?.(key('')) ?? {})) if (!k.endsWith('.savedQueries')) inner.removeItem(k);
  },
  subscribe: (k, callback) => inner.subscribe(key(k), callback),
  listItems: (prefix) => Object.fromEntries(Object.entries(inner.listItems?.(key(prefix ?? '')) ?? {}).map(([k, v]) => [k.slice(user.length + 1), v])),
};
