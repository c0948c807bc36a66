import multipart, { type Multipart } from '@fastify/multipart';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { RouteConfig, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { BusboyConfig } from '@fastify/busboy';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';

/** Route config key of the routes that read their multipart body themselves (see StreamedMultipart). */
const STREAMED = 'streamedMultipart';

type Limits = NonNullable<BusboyConfig['limits']>;

const streamed = (request: FastifyRequest) => (request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[STREAMED] === true;

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
    request.body = await keyValues(request.parts((request.routeOptions.config as unknown as { multipartOptions?: Omit<BusboyConfig, 'headers'> }).multipartOptions));
  });
  fastify.addHook('onSend', async (request, reply) => {
    // Answered (refused by a guard, or early) before the upload was read: close the connection
    // instead of reading the rest of it only to discard it, as Fastify does for a body it refuses.
    if (streamed(request) && !request.raw.readableEnded) void reply.header('connection', 'close');
  });
}

async function keyValues(parts: AsyncIterable<Multipart>): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  for await (const part of parts) {
    const value = part.type === 'file' ? await part.toBuffer() : part.value;
    const before = body[part.fieldname];
    body[part.fieldname] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return body;
}

/** This route's multipart body is not read before the guards; the handler reads it (StreamedForm). */
export const StreamedMultipart = (): MethodDecorator => RouteConfig({ [STREAMED]: true });

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
