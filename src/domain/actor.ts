import type { Role } from './roles';

/** What kind of actor: a staff user, a machine client's API key, the system itself, or an anonymous sender. */
export type ActorType = 'user' | 'api_key' | 'system' | 'anonymous';

/** Who is acting, as the audit log records it: a staff user, a machine client, or the system itself. */
export interface Actor {
  readonly type: ActorType;
  readonly id: string | null;
  readonly roles: readonly Role[];
  /** For an API key: the intake channel it is scoped to. */
  readonly channel?: string;
  readonly requestId: string | null;
  readonly ip: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, roles: [], requestId: null, ip: null };
