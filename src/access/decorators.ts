import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ROLES, type ApiKeyChannel, type Role } from '../domain/roles';
import { routeConfig } from '../common/route-config';

export const PUBLIC_ROUTE = 'crm:public';
export const API_KEY_ROUTE = 'crm:api-key-channel';
export const ROLES_ALLOWED = 'crm:roles';

/**
 * Who may call a route. Also kept in the route's Fastify config, so the gate can run before
 * the body is read: a caller who may not post here costs no parsing (see app.ts).
 */
export type RouteAccess = { kind: 'public' } | { kind: 'api_key'; channels: readonly ApiKeyChannel[] } | { kind: 'staff'; roles: readonly Role[] };
export const ACCESS_CONFIG = 'access';
const access = (a: RouteAccess) => routeConfig({ [ACCESS_CONFIG]: a });

/** Open to anyone: health checks, login, the public docs. */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_ROUTE, true), access({ kind: 'public' }));

/** For machine clients: an API key scoped to one of these intake channels (header `X-Api-Key`). */
export const ApiKeyAuth = (...channels: ApiKeyChannel[]) =>
  applyDecorators(
    SetMetadata(API_KEY_ROUTE, channels),
    access({ kind: 'api_key', channels }),
    ApiSecurity('apiKey'),
    ApiUnauthorizedResponse({ description: 'No valid API key.' }),
    ApiForbiddenResponse({ description: 'The key is scoped to another channel.' }),
  );

/** Staff roles allowed here. A staff route without it is refused to everyone (fail closed). */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_ALLOWED, roles),
    access({ kind: 'staff', roles }),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Not signed in, or the token expired.' }),
    ...(roles.length < ROLES.length ? [ApiForbiddenResponse({ description: `Only for: ${roles.join(', ')}.` })] : []),
  );

export const AnyStaff = () => Roles(...ROLES);
