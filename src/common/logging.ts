import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { REDACTED_FIELD_NAMES } from './personal-data';

/** JSON lines for machines; `pretty` for a person reading a terminal. */
export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when set; otherwise readable in development, JSON lines in production and tests. */
export function logFormatFor(env: { NODE_ENV: string; LOG_FORMAT?: string }): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return env.NODE_ENV === 'development' ? 'pretty' : 'json';
}

/**
 * Where log lines go. Pretty printing formats lines pino has already serialised, redacted and
 * censored, so it shows nothing JSON would not. In-process and synchronous (development only):
 * lines stay in order with the boot messages and none are lost when the process exits.
 */
export function logStream(format: LogFormat, destination?: NodeJS.WritableStream): DestinationStream | NodeJS.WritableStream {
  if (format === 'json') return destination ?? process.stdout;
  return pinoPretty({ destination: destination ?? 1, sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}

/** Messages from before the application's logger exists and after it is closed (start, stop); never personal data. */
export function bootLogger(format: LogFormat): Logger {
  return pino({ level: 'info' }, logStream(format) as DestinationStream);
}

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
 * Logs with a request id, one line per request. A request is logged as method, path (no query string: search
 * terms are personal data) and status; never headers or bodies. Redaction by field name is a
 * second net for anything else that gets logged.
 */
export function loggingParams(level: string, destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Params {
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
        // Nest 12.5 mounts the middleware twice on routes excluded from the global prefix (/health,
        // /health/ready: once for the exclusion, once for the controller route), and pino-http logs
        // once per run. The second run sees the first one's logger and stays quiet: one line per request.
        autoLogging: { ignore: (req: IncomingMessage & { allLogs?: unknown[] }) => (req.allLogs?.length ?? 0) > 1 },
        customSuccessMessage: () => 'request completed',
        customErrorMessage: () => 'request failed',
        redact: { paths: redactionPaths(), censor: '[redacted]' },
      },
      logStream(format, destination),
    ],
  } as Params;
}
