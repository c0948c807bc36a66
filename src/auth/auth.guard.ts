import { identifyRequest } from '../access/access-context';
import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RequestWithActor } from '../common/actor';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import { API_KEY_ROUTE, PUBLIC_ROUTE, ROLES_ALLOWED, type RouteAccess } from '../access/decorators';
import type { ApiKeyChannel, Role } from '../domain/roles';
import { plainIp } from '../domain/ip';

const ADMISSION = Symbol('admission');
type Admitted = RequestWithActor & { [ADMISSION]?: Promise<true> };

/**
 * The one gate every route passes (registered as the global guard). A route is public,
 * for an API key of one channel, or for staff with one of the roles it names; a staff route
 * that names none is refused to everyone. The HTTP server calls `admit` before reading a body
 * (from the route's config); the guard then finds the request admitted and does not ask again.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const channels = this.reflector.getAllAndOverride<ApiKeyChannel[] | undefined>(API_KEY_ROUTE, targets);
    const access: RouteAccess = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)
      ? { kind: 'public' }
      : channels
        ? { kind: 'api_key', channels }
        : { kind: 'staff', roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_ALLOWED, targets) ?? [] };
    return this.admit(context.switchToHttp().getRequest<Admitted>(), access);
  }

  /** Identifies the caller and checks the route's access, once per request. */
  admit(request: Admitted, access: RouteAccess): Promise<true> {
    request[ADMISSION] ??= this.check(request, access);
    return request[ADMISSION];
  }

  private async check(request: RequestWithActor, access: RouteAccess): Promise<true> {
    if (access.kind === 'public') return true;
    // Behind a trusted proxy the address comes from X-Forwarded-For: only a plain one reaches the inet columns.
    const base = { requestId: String(request.id), ip: plainIp(request.ip) };

    if (access.kind === 'api_key') {
      const presented = request.headers['x-api-key'];
      const key = typeof presented === 'string' ? await this.apiKeys.authenticate(presented) : null;
      if (!key) throw new UnauthorizedException('Send a valid API key in the X-Api-Key header.');
      if (!access.channels.includes(key.channel)) throw new ForbiddenException(`This API key is for the ${key.channel} channel, not ${access.channels.join(' or ')}.`);
      request.actor = { type: 'api_key', id: key.id, roles: [], channel: key.channel, ...base };
      return true;
    }

    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const user = scheme?.toLowerCase() === 'bearer' && token ? await this.auth.userForToken(token) : null;
    if (!user) throw new UnauthorizedException('Sign in (POST /api/auth/login) and send the token as Authorization: Bearer <token>.');
    request.actor = { type: 'user', id: user.id, roles: user.roles, ...base };
    identifyRequest({ kind: 'staff', userId: user.id, roles: user.roles });
    if (!user.roles.some((role) => access.roles.includes(role))) throw new ForbiddenException('Your role does not give access to this.');
    return true;
  }
}
