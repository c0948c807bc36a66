import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, the body of every error this service sends. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An HttpException whose body is already a problem document (field errors, extensions). */
export class ProblemException extends HttpException {
  constructor(status: number, detail: string, extras: Partial<ProblemDocument> = {}) {
    super({ title: STATUS_CODES[status] ?? 'Error', detail, ...extras }, status);
  }
}

/** A 422 naming one field. */
export function invalidField(field: string, message: string, detail = `${field} is invalid.`): ProblemException {
  return new ProblemException(422, detail, { errors: [{ field, message }] });
}

export function problemFor(status: number, body: Partial<ProblemDocument>, instance?: string): ProblemDocument {
  return {
    type: body.type ?? 'about:blank',
    title: body.title ?? STATUS_CODES[status] ?? 'Error',
    status,
    ...(body.detail ? { detail: body.detail } : {}),
    ...(instance ? { instance } : {}),
    ...body,
  } as ProblemDocument;
}

const TOO_LARGE = 'The request body is larger than this service accepts (BODY_LIMIT_BYTES; for a raw mail, MAIL_MESSAGE_MAX_BYTES).';

/** Fastify's own errors (body parsing, limits) carry a statusCode and a code like FST_ERR_CTP_INVALID_JSON_BODY. */
function fastifyErrorDetail(err: { code?: string; message?: string; statusCode?: number }): { status: number; detail: string } | undefined {
  if (typeof err.statusCode !== 'number' || err.statusCode < 400 || err.statusCode >= 500) return undefined;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, detail: 'The request body is not valid JSON.' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, detail: TOO_LARGE };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, detail: 'This content type is not accepted here; send application/json.' };
    default:
      return { status: err.statusCode, detail: 'The request could not be processed as sent.' };
  }
}

/**
 * Turns every error into a problem document. Details of unexpected errors never reach the
 * client, and only the error's class and code reach the log (their messages may carry personal data).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    sendProblem(reply, toProblem(exception, request.url?.split('?')[0]), this.logger, exception);
  }
}

/** What a client should wait before trying again while the database is away. */
const RETRY_AFTER_SECONDS = 5;

// Connection failures and refusals (08…), shutdown and restarts (57P01–57P03), a cancelled
// statement (57014: the statement timeout), too many connections (53300).
const UNAVAILABLE_STATES = /^(08...|57P0[1-3]|57014|53300)$/;
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** The database is down, restarting or stalled (not the request's fault): a 503, never a 500. */
export function databaseUnavailable(exception: unknown): boolean {
  const err = ((exception as { driverError?: unknown })?.driverError ?? exception) as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (UNAVAILABLE_STATES.test(code) || UNAVAILABLE_ERRNOS.has(code)) return true;
  // pg and pg-pool say these in words only.
  return /timeout exceeded when trying to connect|Query read timeout|Connection terminated|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)/i.test(String(err?.message ?? ''));
}

export function toProblem(exception: unknown, instance?: string): ProblemDocument {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && ('detail' in response || 'errors' in response)) {
      return problemFor(status, response as Partial<ProblemDocument>, instance);
    }
    // Fastify's body limit reaches here as Nest's exception, saying nothing of which limit.
    if (status === HttpStatus.PAYLOAD_TOO_LARGE) return problemFor(status, { detail: TOO_LARGE }, instance);
    const { message, statusCode: _s, error: _e, status: _st, ...extensions } = (typeof response === 'string' ? { message: response } : response) as Record<string, unknown>;
    const detail = status === HttpStatus.NOT_FOUND && /^Cannot \w+ /.test(String(message)) ? 'There is no such resource.' : Array.isArray(message) ? message.join('; ') : String(message ?? '');
    // Extensions (e.g. the health checks' details) stay beside the standard members.
    return problemFor(status, { ...extensions, detail }, instance);
  }
  if (databaseUnavailable(exception)) {
    return problemFor(503, { detail: 'The service cannot reach its database right now. Try again shortly; an Idempotency-Key makes a retried submission safe.', retryAfterSeconds: RETRY_AFTER_SECONDS }, instance);
  }
  // Database refusals that input can cause are the client's to fix or retry, never a 500.
  const sqlState = (exception as { driverError?: { code?: unknown } } | undefined)?.driverError?.code;
  if (sqlState === '23505') return problemFor(409, { detail: 'This conflicts with a record that was just saved; reload and try again.' }, instance);
  if (sqlState === '23514' || sqlState === '23502') return problemFor(422, { detail: 'The change would leave a record incomplete or invalid; nothing was changed.' }, instance);
  if (typeof sqlState === 'string' && sqlState.startsWith('22')) return problemFor(400, { detail: 'A value in the request is out of range or malformed.' }, instance);
  const fastify = fastifyErrorDetail((exception ?? {}) as never);
  if (fastify) return problemFor(fastify.status, { detail: fastify.detail }, instance);
  return problemFor(500, { detail: 'Something went wrong on our side. The error was logged; please try again.' }, instance);
}

export function sendProblem(reply: FastifyReply, problem: ProblemDocument, logger: Logger, exception: unknown): void {
  // A 503 of our own (a webhook not configured, draining) says why in its detail, our words, no input in them.
  if (problem.status === 503 && !(exception instanceof HttpException)) logger.warn(`Database unavailable: ${(exception as { code?: string })?.code ?? (exception as Error)?.name ?? 'error'}`);
  else if (problem.status === 503) logger.warn(`Unavailable: ${problem.detail ?? 'no detail'}`);
  else if (problem.status >= 500) {
    logger.error({ err: exception }, 'Unhandled error'); // the log's err serializer keeps code locations only
  }
  if (problem.status === 429 && typeof problem.retryAfterSeconds === 'number') reply.header('Retry-After', String(problem.retryAfterSeconds));
  if (problem.status === 503) reply.header('Retry-After', String(typeof problem.retryAfterSeconds === 'number' ? problem.retryAfterSeconds : RETRY_AFTER_SECONDS));
  void reply.status(problem.status).header('Content-Type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
