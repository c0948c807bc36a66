import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ActorType } from '../audit/entities/audit-entry.entity';
import type { Role } from '../auth/roles';

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

export type RequestWithActor = FastifyRequest & { actor?: Actor };

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, roles: [], requestId: null, ip: null };

export function anonymousActor(request: FastifyRequest): Actor {
  return { type: 'anonymous', id: null, roles: [], requestId: String(request.id), ip: request.ip ?? null };
}

/** The actor the global guard established for this request. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<RequestWithActor>();
  return request.actor ?? anonymousActor(request);
});
