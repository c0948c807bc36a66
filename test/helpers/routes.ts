import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { API_KEY_ROUTE, PUBLIC_ROUTE, ROLES_ALLOWED } from '../../src/access/decorators';
import type { Role } from '../../src/domain/roles';
import type { TestApp } from './app';

export interface ControllerRoute {
  key: string;
  roles?: Role[];
  isPublic: boolean;
  apiKeyChannels?: string[];
}

/** Every controller route with the access metadata the global guard reads. */
export function controllerRoutes(t: TestApp): ControllerRoute[] {
  const reflector = new Reflector();
  const routes: ControllerRoute[] = [];
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const cls = wrapper.metatype as Function;
      const base = String(Reflect.getMetadata(PATH_METADATA, cls) ?? '');
      for (const name of Object.getOwnPropertyNames(cls.prototype)) {
        const handler = cls.prototype[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const path = ['/api', base, String(Reflect.getMetadata(PATH_METADATA, handler))].join('/').replace(/\/+/g, '/').replace(/\/$/, '');
        // Health and the console are outside the /api prefix (app.ts).
        const key = `${method} ${/^\/api\/(health|console)(\/|$)/.test(path) ? path.slice(4) : path}`;
        const targets = [handler, cls];
        routes.push({
          key,
          roles: reflector.getAllAndOverride(ROLES_ALLOWED, targets),
          isPublic: Boolean(reflector.getAllAndOverride(PUBLIC_ROUTE, targets)),
          apiKeyChannels: reflector.getAllAndOverride(API_KEY_ROUTE, targets),
        });
      }
    }
  }
  return routes;
}

