import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { storable, storableValue } from './outside-text';
import { ProblemException } from './problem-details';
import { configOf, routeConfig } from './route-config';

const ACCEPTS_CONFIG = 'accepts';
const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** More fields than any form of ours has by far; beyond it a url-encoded body is refused unparsed. */
export const MAX_FORM_FIELDS = 200;

/** The content types a route takes a body in (default: JSON only); any other is a 415 before the body is read. */
export const Accepts = (...types: string[]) => routeConfig({ [ACCEPTS_CONFIG]: types });

/**
 * A smaller body limit for a route than BODY_LIMIT_BYTES: what its honest senders can send, so
 * a larger body is refused by its declared length, unread.
 */
export const BodyLimit = (bytes: number) => routeConfig({ bodyLimit: bytes });

/** Counted per visitor address (INTAKE_LIMIT_PER_IP_PER_MINUTE) as the request arrives, before anything is read or looked up. */
export const RateLimitedPerVisitor = () => routeConfig({ rateLimit: {} });

const mediaType = (header: string | undefined) => (header ?? '').split(';')[0]!.trim().toLowerCase();
const hasBody = (request: FastifyRequest) =>
  request.method !== 'GET' && request.method !== 'HEAD' && (request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0);

/**
 * The edge every request crosses before its body is read: the route must accept the body's
 * content type (415), and the caller must be admitted to the route (401/403: `admit`, from the
 * route's config; see AuthGuard.admit).
 * So a body nobody may send costs nothing to refuse. The JSON and url-encoded parsers make every
 * string storable and bound nesting and field counts, whatever the route does next.
 */
export async function registerRequestEdge(
  app: NestFastifyApplication,
  admit: (request: FastifyRequest, config: Record<string, unknown>) => Promise<unknown>,
): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const json = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser(JSON_TYPE, {}, (request: FastifyRequest, body: Buffer, done: (err: Error | null, parsed?: unknown) => void) =>
    json(request, body as unknown as string, (err: Error | null, parsed: unknown) => (err ? done(err) : settle(done, () => storableValue(parsed)))),
  );
  app.useBodyParser(FORM_TYPE, {}, (_request: FastifyRequest, body: Buffer, done: (err: Error | null, parsed?: unknown) => void) => settle(done, () => formFields(body)));

  // Fastify reads a route's own bodyLimit from its options, which Nest does not pass: set it here.
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as Record<string, unknown> | undefined)?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.routeOptions.url) return payload; // no such route: the 404 reads nothing
    const config = configOf(request);
    if (hasBody(request)) {
      const accepts = (config[ACCEPTS_CONFIG] as string[] | undefined) ?? [JSON_TYPE];
      const type = mediaType(request.headers['content-type']);
      if (!accepts.includes(type)) throw new ProblemException(415, `Send the body as ${accepts.join(' or ')}${type ? `, not ${type}` : ''}.`);
    }
    await admit(request, config);
    return payload;
  });
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
    // Answered before the body arrived (refused at the edge, or early): close the connection
    // rather than read the rest only to discard it.
    if (!request.raw.complete) void reply.header('connection', 'close');
  });
}

function settle(done: (err: Error | null, parsed?: unknown) => void, parse: () => unknown): void {
  let parsed: unknown;
  try {
    parsed = parse();
  } catch (err) {
    return done(err as Error);
  }
  done(null, parsed);
}

/** A url-encoded form as fields (a repeated name becomes a list), counted before it is parsed. */
function formFields(body: Buffer): Record<string, unknown> {
  let fields = 1;
  for (let at = body.indexOf(0x26); at !== -1; at = body.indexOf(0x26, at + 1)) {
    if (++fields > MAX_FORM_FIELDS) throw new ProblemException(413, `The form has more than ${MAX_FORM_FIELDS} fields.`);
  }
  const out: Record<string, unknown> = {};
  for (const [rawName, rawValue] of new URLSearchParams(body.toString('utf8'))) {
    const name = storable(rawName);
    if (name === '__proto__') throw new ProblemException(400, 'A field may not be named __proto__.');
    const value = storable(rawValue);
    const before = out[name];
    out[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return out;
}
