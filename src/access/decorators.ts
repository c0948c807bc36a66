import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ROLES, type ApiKeyChannel, type Role } from '../domain/roles';

export const PUBLIC_ROUTE = 'crm:public';
export const API_KEY_ROUTE = 'crm:api-key-channel';
export const ROLES_ALLOWED = 'crm:roles';

/** Open to anyone: health checks, login, the public docs. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** For machine clients: an API key scoped to one of these intake channels (header `X-Api-Key`). */
export const ApiKeyAuth = (...channels: ApiKeyChannel[]) =>
  applyDecorators(
    SetMetadata(API_KEY_ROUTE, channels),
    ApiSecurity('apiKey'),
    ApiUnauthorizedResponse({ description: 'No valid API key.' }),
    ApiForbiddenResponse({ description: 'The key is scoped to another channel.' }),
  );

/** Staff roles allowed here. A staff route without it is refused to everyone (fail closed). */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_ALLOWED, roles),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Not signed in, or the token expired.' }),
    ...(roles.length < ROLES.length ? [ApiForbiddenResponse({ description: `Only for: ${roles.join(', ')}.` })] : []),
  );

export const AnyStaff = () => Roles(...ROLES);
