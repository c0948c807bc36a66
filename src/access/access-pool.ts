import type { Pool, PoolClient } from 'pg';
import { currentIdentity, type AccessIdentity } from './access-context';

const APPLIED = Symbol('crm.access.applied');
const GUARDED = Symbol('crm.access.guarded');
const STALE = Symbol('crm.access.stale');
type TaggedClient = PoolClient & { [APPLIED]?: string; [GUARDED]?: boolean; [STALE]?: boolean };

function settingsFor(identity: AccessIdentity | null): [kind: string, userId: string, roles: string] {
  if (!identity) return ['', '', ''];
  if (identity.kind === 'system') return ['system', '', ''];
  return ['staff', identity.userId, [...identity.roles].sort().join(',')];
}

/**
 * The one enforcement point on the application side: every connection leaves the pool set to
 * the identity of the code that asked for it (or to no one), before any statement of that code
 * runs. The settings are session-wide, because TypeORM also sends statements outside
 * transactions; they are rewritten on every checkout whose identity differs from the last one,
 * so nothing carries over from one caller to the next. The rules themselves live in PostgreSQL
 * (migrations/…-CustomerAccess.ts).
 */
export function enforceIdentityOnCheckout(pool: Pool): void {
  const checkout = pool.connect.bind(pool) as () => Promise<PoolClient>;
  const connect = (callback?: (err: Error | undefined, client?: PoolClient, release?: (err?: Error | boolean) => void) => void) => {
    const settings = settingsFor(currentIdentity());
    const ready = checkout().then(async (client: TaggedClient) => {
      // pg-pool listens for a connection's errors only while it is idle: one that dies while
      // checked out between statements (the database killed or restarted) would emit an
      // unhandled 'error' and end the process. Its next statement fails instead, and the
      // release with that error discards it.
      if (!client[GUARDED]) {
        client.on('error', () => undefined);
        // A statement the client gave up on (query_timeout) may still be running on the server:
        // the connection is not handed out again, but closed when released.
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: typeof query }).query = (...args: unknown[]) => {
          const result = query(...args);
          if (result instanceof Promise) result.catch((err: Error) => void (err?.message === 'Query read timeout' && (client[STALE] = true)));
          return result;
        };
        client[GUARDED] = true;
      }
      const key = settings.join('|');
      if (client[APPLIED] !== key) {
        try {
          await client.query(`SELECT set_config('crm.identity', $1, false), set_config('crm.user_id', $2, false), set_config('crm.roles', $3, false)`, settings);
        } catch (err) {
          client.release(err as Error);
          throw err;
        }
        client[APPLIED] = key;
      }
      return client;
    });
    if (!callback) return ready;
    ready.then(
      (client: TaggedClient) => callback(undefined, client, (err) => client.release(err ?? (client[STALE] ? true : undefined))),
      (err: Error) => callback(err),
    );
    return undefined;
  };
  (pool as unknown as { connect: typeof connect }).connect = connect;
}
