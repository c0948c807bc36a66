import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../domain/actor';
import { plainIp } from '../domain/ip';

export type RequestWithActor = FastifyRequest & { actor?: Actor };

export function anonymousActor(request: FastifyRequest): Actor {
  return { type: 'anonymous', id: null, roles: [], requestId: String(request.id), ip: plainIp(request.ip) };
}

/** The actor the global guard established for this request. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<RequestWithActor>();
  return request.actor ?? anonymousActor(request);
});
