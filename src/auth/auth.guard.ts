import { identifyRequest } from '../access/access-context';
import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RequestWithActor } from '../common/actor';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import { API_KEY_ROUTE, PUBLIC_ROUTE, ROLES_ALLOWED } from '../access/decorators';
import type { ApiKeyChannel, Role } from '../domain/roles';

/**
 * The one gate every route passes (registered as the global guard). A route is public,
 * for an API key of one channel, or for staff with one of the roles it names; a staff route
 * that names none is refused to everyone.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<RequestWithActor>();
    const base = { requestId: String(request.id), ip: request.ip ?? null };

    const channels = this.reflector.getAllAndOverride<ApiKeyChannel[] | undefined>(API_KEY_ROUTE, targets);
    if (channels) {
      const presented = request.headers['x-api-key'];
      const key = typeof presented === 'string' ? await this.apiKeys.authenticate(presented) : null;
      if (!key) throw new UnauthorizedException('Send a valid API key in the X-Api-Key header.');
      if (!channels.includes(key.channel)) throw new ForbiddenException(`This API key is for the ${key.channel} channel, not ${channels.join(' or ')}.`);
      request.actor = { type: 'api_key', id: key.id, roles: [], channel: key.channel, ...base };
      return true;
    }

    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const user = scheme?.toLowerCase() === 'bearer' && token ? await this.auth.userForToken(token) : null;
    if (!user) throw new UnauthorizedException('Sign in (POST /api/auth/login) and send the token as Authorization: Bearer <token>.');
    request.actor = { type: 'user', id: user.id, roles: user.roles, ...base };
    identifyRequest({ kind: 'staff', userId: user.id, roles: user.roles });

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_ALLOWED, targets) ?? [];
    if (!user.roles.some((role) => allowed.includes(role))) throw new ForbiddenException('Your role does not give access to this.');
    return true;
  }
}
