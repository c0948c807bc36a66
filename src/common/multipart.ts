import multipart, { type Multipart } from '@fastify/multipart';
import { createParamDecorator, HttpException, type ExecutionContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { routeConfig } from './route-config';
import type { BusboyConfig } from '@fastify/busboy';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { storable } from './outside-text';
import { ProblemException } from './problem-details';

/** Route config key of the routes that read their multipart body themselves (see StreamedMultipart). */
const STREAMED = 'streamedMultipart';

type Limits = NonNullable<BusboyConfig['limits']>;

/** A route that reads its multipart body itself (and answers a declared length over its limit in its own words). */
export const isStreamedMultipart = (config: Record<string, unknown> | undefined) => config?.[STREAMED] === true;
const streamed = (request: FastifyRequest) => isStreamedMultipart(request.routeOptions.config as unknown as Record<string, unknown> | undefined);

/**
 * Multipart bodies. For every route but the streamed ones, a preValidation hook reads the form
 * into `request.body` as plain fields (what @fastify/multipart's `attachFieldsToBody:
 * 'keyValues'` does; a file is refused with 413 unless the route's `multipartOptions` allow
 * one). That hook runs before Nest's guards, so a route that takes a large upload opts out
 * with StreamedMultipart and reads the body after them (`form` of the StreamedForm param).
 */
export async function registerMultipart(app: NestFastifyApplication, limits: Limits): Promise<void> {
  await app.register(multipart, { limits });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('preValidation', async (request) => {
    if (!request.isMultipart() || streamed(request)) return;
    const options = (request.routeOptions.config as unknown as { multipartOptions?: Omit<BusboyConfig, 'headers'> }).multipartOptions;
    request.body = await keyValues(() => request.parts(options), { ...limits, ...options?.limits });
  });
}

async function keyValues(parts: () => AsyncIterable<Multipart>, limits: Limits): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  try {
    for await (const part of parts()) {
      const value = part.type === 'file' ? await part.toBuffer() : storable(String(part.value));
      const name = storable(part.fieldname);
      const before = body[name];
      body[name] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
    }
  } catch (err) {
    throw malformedMultipart(err, limits);
  }
  return body;
}

/**
 * A limit @fastify/multipart names becomes a 4xx saying which limit (its own say only "too
 * large"); anything else busboy throws (no boundary, a body cut short, a bad header) is the
 * sender's malformed body, a 400, never a 500.
 */
function malformedMultipart(err: unknown, limits: Limits): unknown {
  if (err instanceof HttpException) return err; // the edge's byte cap, already a problem
  switch ((err as { code?: unknown })?.code) {
    case 'FST_FILES_LIMIT':
      return new ProblemException(413, limits.files ? `The form has more than the ${limits.files} file(s) accepted here.` : 'Files are not accepted here; send the form’s fields only.');
    case 'FST_PARTS_LIMIT':
      return new ProblemException(413, `The form has more than the ${limits.parts} parts accepted here.`);
    case 'FST_FIELDS_LIMIT':
      return new ProblemException(413, `The form has more than the ${limits.fields} fields accepted here.`);
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ProblemException(413, `A file is larger than the ${limits.fileSize} bytes accepted here.`);
    case 'FST_PROTO_VIOLATION':
      return new ProblemException(400, 'A field may not be named __proto__, constructor or another name every object has.');
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return new ProblemException(400, 'A part sent as application/json is not valid JSON.');
  }
  const status = (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return err;
  return new ProblemException(400, 'The multipart body is malformed or cut short; send a complete multipart/form-data body with its boundary.');
}

/**
 * This route's multipart body is not read before the guards; the handler reads it (StreamedForm),
 * up to `bodyLimit` bytes in all: the edge stops reading past it (413), whatever the parts are.
 */
export const StreamedMultipart = (bodyLimit: number): MethodDecorator =>
  routeConfig({ [STREAMED]: true, accepts: ['multipart/form-data'], bodyLimit });

/** One part of a streamed form: a field's value, or a file to be read before the next part comes. */
export type FormPart = { type: 'field'; fieldname: string; value: unknown } | { type: 'file'; fieldname: string; file: Readable & { truncated?: boolean } };

/** A multipart form read as it arrives. */
export interface UploadForm {
  /** The Content-Length the client declared (null: none, e.g. chunked). */
  declaredBytes: number | null;
  /** The parts in the order sent; nothing is read from the connection before the first call. */
  parts(): AsyncIterable<FormPart>;
}

/**
 * The request's multipart form for a StreamedMultipart route, with the route's limits (merged
 * over the app's), or null when the request is not multipart.
 */
export const StreamedForm = createParamDecorator((limits: Limits, ctx: ExecutionContext): UploadForm | null => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!request.isMultipart()) return null;
  const length = Number(request.headers['content-length']);
  return { declaredBytes: Number.isFinite(length) ? length : null, parts: () => request.parts({ limits }) as AsyncIterable<FormPart> };
});
