import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_NESTING, storable, storableValue } from './outside-text';
import { ProblemException } from './problem-details';
import { isStreamedMultipart } from './multipart';
import { configOf, routeConfig } from './route-config';

const ACCEPTS_CONFIG = 'accepts';
const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';
const MULTIPART_TYPE = 'multipart/form-data';

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
    json(request, body as unknown as string, (err: Error | null, parsed: unknown) => (err ? done(forbiddenKey(body) ?? err) : settle(done, () => storableValue(parsed)))),
  );
  app.useBodyParser(FORM_TYPE, {}, (_request: FastifyRequest, body: Buffer, done: (err: Error | null, parsed?: unknown) => void) => settle(done, () => formFields(body)));

  // Fastify reads a route's own bodyLimit from its options, which Nest does not pass: set it here.
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as Record<string, unknown> | undefined)?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
  // Before anything looks a parameter up (CORS reads the form key's origins on request).
  fastify.addHook('onRequest', async (request) => checkPathParameters(request.params));
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    // No such route: its body is refused unread (the multipart reader would otherwise read it all for the 404).
    if (!request.routeOptions.url) {
      if (hasBody(request)) throw new ProblemException(404, 'There is no such resource.');
      return payload;
    }
    const config = configOf(request);
    const type = hasBody(request) ? mediaType(request.headers['content-type']) : null;
    if (type !== null) {
      const accepts = (config[ACCEPTS_CONFIG] as string[] | undefined) ?? [JSON_TYPE];
      if (!accepts.includes(type)) throw new ProblemException(415, `Send the body as ${accepts.join(' or ')}${type ? `, not ${type}` : ''}.`);
    }
    await admit(request, config);
    // Fastify's own parsers stop at the route's (or the parser's) limit while reading; the
    // multipart reader does not (see capBody), so its bytes are counted here.
    if (type === MULTIPART_TYPE) {
      const cap = request.routeOptions.bodyLimit ?? fastify.initialConfig.bodyLimit ?? 1024 * 1024;
      // An upload route refuses a declared length itself, naming its file's limit.
      if (!isStreamedMultipart(config) && Number(request.headers['content-length'] ?? 0) > cap) throw bodyTooLarge(cap);
      capBody(request, cap);
    }
    return payload;
  });
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
    // Answered before the body arrived (refused at the edge, or early): close the connection
    // rather than read the rest only to discard it.
    if (!request.raw.complete) void reply.header('connection', 'close');
  });
}

/** A 413 naming the route's limit. */
function bodyTooLarge(cap: number): ProblemException {
  return new ProblemException(413, `The request body is larger than the ${formatBytes(cap)} this route accepts.`, { limitBytes: cap });
}

const formatBytes = (n: number) => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

/**
 * Counts a multipart body's bytes as they come off the connection: the multipart reader (busboy,
 * reading the raw request, not Fastify's parsers) bounds only fields and files, not the bytes
 * around and between them (preamble, epilogue, part headers), nor a chunked body's total. Past the cap nothing more is taken in: the reader gets a 413 (its
 * answer closes the connection, see onSend) and the socket stops being read. Wraps push(), the
 * one way bytes enter the request stream, so no reading mode changes.
 */
function capBody(request: FastifyRequest, cap: number): void {
  const raw = request.raw;
  const push = raw.push.bind(raw);
  let seen = 0;
  raw.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null || chunk === undefined) return push(chunk, encoding);
    seen += (chunk as Buffer).length;
    if (seen <= cap) return push(chunk, encoding);
    raw.push = () => false; // the rest is dropped; false tells the HTTP parser to stop reading the socket
    raw.unpipe();
    raw.socket?.pause();
    // A reader (busboy, a body parser) listens for errors and answers with it; with no reader left, nobody will read the rest.
    if (raw.listenerCount('error') > 0) raw.emit('error', bodyTooLarge(cap));
    else raw.socket?.destroy();
    return false;
  };
}

/**
 * Fastify's parser refuses `__proto__` (and `constructor.prototype`) keys with the same words as
 * broken JSON; on its refusal, a body that is valid JSON after all was refused for such a key: say so.
 */
function forbiddenKey(body: Buffer): ProblemException | null {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return null; // broken JSON: Fastify's answer stands
  }
  const name = (function find(v: unknown, depth = 0): string | null {
    if (!v || typeof v !== 'object' || depth > MAX_NESTING) return null; // deeper is refused for its depth anyway
    if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return '__proto__';
    const ctor = (v as Record<string, unknown>).constructor;
    if (Object.prototype.hasOwnProperty.call(v, 'constructor') && ctor && typeof ctor === 'object' && 'prototype' in ctor) return 'constructor';
    for (const child of Object.values(v)) {
      const found = find(child, depth + 1);
      if (found) return found;
    }
    return null;
  })(value);
  return name ? new ProblemException(400, `A field may not be named ${name}.`) : null;
}

/**
 * A path parameter PostgreSQL could not store or compare (a NUL, half a surrogate pair) is the
 * caller's mistake, named here, rather than a database error that names nothing.
 */
function checkPathParameters(params: unknown): void {
  for (const [name, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && value !== storable(value)) {
      throw new ProblemException(400, `The path parameter ${name} holds a character that is not allowed (a NUL or half a surrogate pair).`, { errors: [{ field: name, message: 'must not hold a NUL or half a surrogate pair' }] });
    }
  }
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
