import { API_KEY_CHANNELS, ROLES, type Role } from '../../src/domain/roles';
import { startTestApp, type TestApp } from '../helpers/app';
import { controllerRoutes } from '../helpers/routes';

/** Routes anyone may call. Adding one here is a decision a reviewer sees. */
const PUBLIC_ROUTES = new Set(['GET /health', 'GET /health/ready', 'POST /api/auth/login', 'POST /api/intake/forms/:formKey', 'GET /api/intake/forms/:formKey/render-token', 'GET /api/intake/forms/:formKey/embed.js', 'POST /api/intake/chatbot/drift', 'GET /api/consent-withdrawal', 'POST /api/consent-withdrawal', 'POST /api/auth/session/refresh', 'DELETE /api/auth/session', 'GET /console', 'GET /console/assets/:file']);
/** Public to the guard, but the route checks its own credential, the session cookie: without it, a 401. */
const SESSION_COOKIE_ROUTES = new Set(['POST /api/auth/session/refresh']);
/** The API documentation is public by design (served by SwaggerModule, not by a controller). */
const isDocsRoute = (key: string) => / \/api\/docs/.test(key);

const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');

describe('[SEC-ACCESS] the route table: one guard for everything', () => {
  let t: TestApp;
  const served: string[] = [];
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    t = await startTestApp({
      beforeInit: (app) =>
        app.getHttpAdapter().getInstance().addHook('onRoute', (route) => {
          for (const method of [route.method].flat()) if (method !== 'HEAD') served.push(`${method} ${route.url}`);
        }),
    });
    for (const role of ROLES) tokens[role] = (await t.userWith(role)).token;
  });
  afterAll(() => t.close());

  it('finds the routes the server serves, and knows the access rule of every controller route', () => {
    const declared = controllerRoutes(t).map((r) => r.key);
    expect(declared.length).toBeGreaterThan(5);
    const servedByControllers = served.filter((k) => !isDocsRoute(k));
    expect(new Set(servedByControllers)).toEqual(new Set(declared));
  });

  it('every route not marked public answers 401 without credentials', async () => {
    const unexpected: string[] = [];
    for (const key of new Set(served)) {
      const [method, path] = key.split(' ');
      const res = await t.http()[method.toLowerCase() as 'get'](concrete(path));
      const isPublic = PUBLIC_ROUTES.has(key) || isDocsRoute(key);
      const wants401 = !isPublic || SESSION_COOKIE_ROUTES.has(key);
      if (wants401 !== (res.status === 401)) unexpected.push(`${key} -> ${res.status}`);
    }
    expect(unexpected).toEqual([]);
  });

  it('routes marked public are exactly the reviewed list', () => {
    expect(new Set(controllerRoutes(t).filter((r) => r.isPublic).map((r) => r.key))).toEqual(PUBLIC_ROUTES);
  });

  it('every staff route names its roles (a route without them would be closed to all)', () => {
    const missing = controllerRoutes(t).filter((r) => !r.isPublic && !r.apiKeyChannels && !r.roles?.length);
    expect(missing.map((r) => r.key)).toEqual([]);
  });

  it('every staff route answers 403 to each role that lacks access, and lets each allowed role through the guard', async () => {
    const wrong: string[] = [];
    let denials = 0;
    for (const route of controllerRoutes(t).filter((r) => r.roles)) {
      const [method, path] = route.key.split(' ');
      for (const role of ROLES) {
        const res = await t.http()[method.toLowerCase() as 'get'](concrete(path)).set('Authorization', `Bearer ${tokens[role]}`);
        const allowed = route.roles!.includes(role);
        if (!allowed) denials++;
        if (allowed ? [401, 403].includes(res.status) : res.status !== 403) wrong.push(`${route.key} as ${role} -> ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(denials).toBeGreaterThan(0);
  });

  it('API-key routes refuse staff tokens, unknown and revoked keys, and keys of another channel', async () => {
    const wrong: string[] = [];
    const apiKeyRoutes = controllerRoutes(t).filter((r) => r.apiKeyChannels);
    expect(apiKeyRoutes.length).toBeGreaterThan(0);
    const create = (channel: string) => t.http().post('/api/api-keys').set('Authorization', `Bearer ${tokens.admin}`).send({ name: `probe ${channel}`, channel }).expect(201);
    const revoked = (await create('chatbot')).body;
    await t.http().delete(`/api/api-keys/${revoked.id}`).set('Authorization', `Bearer ${tokens.admin}`).expect(200);
    for (const route of apiKeyRoutes) {
      const [method, path] = route.key.split(' ');
      const call = () => t.http()[method.toLowerCase() as 'get'](concrete(path));
      const asStaff = await call().set('Authorization', `Bearer ${tokens.admin}`);
      if (asStaff.status !== 401) wrong.push(`${route.key} with a staff token -> ${asStaff.status}`);
      const unknown = await call().set('X-Api-Key', 'crm_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      if (unknown.status !== 401) wrong.push(`${route.key} with an unknown key -> ${unknown.status}`);
      const withRevoked = await call().set('X-Api-Key', revoked.key);
      if (withRevoked.status !== 401) wrong.push(`${route.key} with a revoked key -> ${withRevoked.status}`);
      for (const channel of API_KEY_CHANNELS) {
        const res = await call().set('X-Api-Key', (await create(channel)).body.key);
        const allowed = route.apiKeyChannels!.includes(channel);
        if (allowed ? [401, 403].includes(res.status) : res.status !== 403) wrong.push(`${route.key} with a ${channel} key -> ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

});
