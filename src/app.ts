import { openRequestScope } from './access/access-context';
import cors from '@fastify/cors';
import helmet from 'helmet';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppOptions } from './app.module';
import { requestIdFor } from './common/logging';
import { registerMultipart } from './common/multipart';
import { MAX_FORM_FIELDS, registerRequestEdge } from './common/request-edge';
import rateLimit from '@fastify/rate-limit';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { CONSOLE_DIR } from './console/console.controller';
import { AuthGuard } from './auth/auth.guard';
import { Draining } from './health/draining';
import { ACCESS_CONFIG, type RouteAccess } from './access/decorators';
import type { RequestWithActor } from './common/actor';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsFilter, ProblemException, problemFor } from './common/problem-details';

/** Fastify's default maxParamLength: the longest path parameter the router takes (a UUID is 36, a form key 64). */
const MAX_PARAM_LENGTH = 100;
import { createValidationPipe } from './common/validation';
import { IntakeFormsService } from './intake/forms/intake-forms.service';
import { trustedProxies, type AppConfig } from './config/app-config';

export function openApiDocument(app: NestFastifyApplication) {
  const config = new DocumentBuilder()
    .setTitle('Lead-intake CRM')
    .setDescription('Where every inquiry lands: intake channels, screening, leads with their legal basis and consent, and the staff API.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'From POST /api/auth/login.' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'A machine client key, scoped to one intake channel.' }, 'apiKey')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** The whole HTTP application, configured but not listening (main.ts listens; tests inject). */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  // Security headers, built once: @fastify/helmet rebuilds helmet's middleware on every request.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: [`'self'`],
        styleSrc: [`'self'`, `'unsafe-inline'`],
        imgSrc: [`'self'`, 'data:'],
        scriptSrc: [`'self'`, `'unsafe-inline'`],
      },
    },
  });
  const adapter = new FastifyAdapter({
    // The router refuses a malformed URL (400) or an over-long path parameter (414) before any
    // hook or filter runs: answered here as problem details, with the same headers as the rest.
    frameworkErrors: (error: { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      const problem = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? problemFor(414, { detail: `A path parameter is longer than the ${MAX_PARAM_LENGTH} characters any of ours may be.` })
        : problemFor(400, { detail: 'The URL is malformed (a broken percent-encoding); send it encoded as UTF-8.' });
      securityHeaders(request.raw, reply.raw, () => void reply.status(problem.status).header('Content-Type', PROBLEM_CONTENT_TYPE).header('X-Request-Id', request.id).send(JSON.stringify(problem)));
    },
    bodyLimit: config.BODY_LIMIT_BYTES,
    // `/console/` is the console's address as people type it; `/console` the route's.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Fastify takes a hop count too (proxy-addr), though its type does not say so.
    trustProxy: trustedProxies(config.TRUST_PROXY) as string[] | boolean,
    genReqId: (req: IncomingMessage) => {
      const id = requestIdFor(req);
      (req as typeof req & { id?: string }).id = id; // pino-http reuses it
      return id;
    },
    return503OnClosing: true,
    // Fastify's defaults wait forever for a slow body; these bound what a slow client holds.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_IDLE_TIMEOUT_MS,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, { bufferLogs: true, rawBody: true });
  app.useLogger(app.get(Logger));

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    // Everything this request runs, to the last query, runs as whoever the guard identifies: no one until then.
    openRequestScope(done);
  });

  const draining = app.get(Draining);
  fastify.addHook('onSend', async (_request, reply) => {
    if (draining.active) void reply.header('connection', 'close');
  });

  fastify.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)));
  // Multipart form posts become plain fields; a form that sends files is refused (413), not silently
  // stripped. Routes taking an upload read it themselves, after the guards (StreamedMultipart).
  const guard = app.get(AuthGuard);
  await registerRequestEdge(app, async (request, route) => {
    const access = route[ACCESS_CONFIG] as RouteAccess | undefined;
    if (access) await guard.admit(request as RequestWithActor, access);
  });
  // Per-visitor limits of the public form route, counted before its body is read (the arrivals
  // table keeps the limits every instance shares; this first count keeps a flood from costing anything).
  // A form's server-side relay posts for all its visitors from one address: it is counted by its
  // key (checked before the body is read; a made-up key is a 401 then), its visitors in the arrivals.
  const relayKey = (request: FastifyRequest) => /^crm_([a-f0-9]{12})_/.exec(String(request.headers['x-api-key'] ?? ''))?.[1];
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => (relayKey(request) ? `relay:${relayKey(request)}` : request.ip),
    max: (_request, key) => (key.startsWith('relay:') ? config.INTAKE_LIMIT_PER_RELAY_PER_MINUTE : config.INTAKE_LIMIT_PER_IP_PER_MINUTE),
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      new ProblemException(429, 'Too many submissions from this address; please try again later.', { retryAfterSeconds: Math.ceil(context.ttl / 1000) }),
  });
  // The console's session cookie (parsed only; nothing else here uses cookies).
  await app.register(cookie);
  // The console's files, sent by its controller (behind the same edge and headers as every route).
  await app.register(fastifyStatic, { root: CONSOLE_DIR ?? process.cwd(), serve: false, cacheControl: false });
  await registerMultipart(app, { files: 0, fields: MAX_FORM_FIELDS, fieldSize: config.BODY_LIMIT_BYTES });
  // CORS only where browsers post: each web form's own registered origins.
  const forms = app.get(IntakeFormsService);
  await app.register(cors, {
    delegator: async (req: FastifyRequest) => {
      const key = /^\/api\/intake\/forms\/([^/?]+)/.exec(req.url ?? '')?.[1];
      const origins = key ? await forms.allowedOrigins(decodeURIComponent(key)) : [];
      return { origin: origins.length ? origins : false, methods: ['GET', 'POST'], allowedHeaders: ['Content-Type', 'X-Signature', 'Idempotency-Key'], maxAge: 600 };
    },
  });
  app.setGlobalPrefix('api', { exclude: ['health', 'health/ready', 'console', 'console/assets/:file'] });
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());

  SwaggerModule.setup('api/docs', app, openApiDocument(app), { jsonDocumentUrl: 'api/docs-json', useGlobalPrefix: false });
  return app;
}
