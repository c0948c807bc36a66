import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';

/**
 * Adds keys to a route's Fastify config, which the HTTP server's hooks read before the body
 * is read (access, accepted content types). On a class it fills every handler that does not
 * set the key itself: method decorators run first, so the method's own setting wins, as with
 * Nest's metadata. Merges rather than replaces (Nest's RouteConfig replaces the whole config).
 */
export function routeConfig(patch: Record<string, unknown>): ClassDecorator & MethodDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) return void mergeInto(descriptor.value as object, patch, true);
    const proto = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const member = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (name !== 'constructor' && typeof member === 'function') mergeInto(member, patch, false);
    }
  }) as ClassDecorator & MethodDecorator;
}

function mergeInto(handler: object, patch: Record<string, unknown>, override: boolean): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as Record<string, unknown>;
  const added = Object.fromEntries(Object.entries(patch).filter(([k]) => override || !(k in config)));
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, ...added }, handler);
}

/** A route's Fastify config, as the hooks see it. */
export function configOf(request: { routeOptions: { config?: unknown } }): Record<string, unknown> {
  return (request.routeOptions.config ?? {}) as Record<string, unknown>;
}
