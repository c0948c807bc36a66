import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { REDACTED_FIELD_NAMES } from './personal-data';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Honour a caller's X-Request-Id when it is a plain token; otherwise make one. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

function redactionPaths(): string[] {
  const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);
  return REDACTED_FIELD_NAMES.flatMap((name) => [key(name).replace(/^\./, ''), `*${key(name)}`, `*.*${key(name)}`]);
}

/**
 * JSON logs with a request id. A request is logged as method, path (no query string: search
 * terms are personal data) and status; never headers or bodies. Redaction by field name is a
 * second net for anything else that gets logged.
 */
export function loggingParams(level: string, destination?: NodeJS.WritableStream): Params {
  return {
    pinoHttp: [
      {
        level,
        genReqId: (req) => (req as IncomingMessage & { id?: string }).id ?? requestIdFor(req),
        serializers: {
          req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          // Code locations only: an error's message (and so a stack's first line) can echo input.
          err: (err: { type?: string; name?: string; code?: string; stack?: string }) => ({
            type: err.type ?? err.name,
            code: err.code,
            stack: err.stack?.split('\n').filter((line) => /^\s+at /.test(line)).join('\n'),
          }),
        },
        customSuccessMessage: () => 'request completed',
        customErrorMessage: () => 'request failed',
        redact: { paths: redactionPaths(), censor: '[redacted]' },
      },
      destination ?? process.stdout,
    ],
  } as Params;
}
