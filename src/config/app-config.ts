import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/** `status:option` pairs by commas, each status one of ours (HUBSPOT_LEAD_STATUS_MAP, HUBSPOT_LIFECYCLE_MAP). */
const STATUS_MAP = /^\s*(new|contacted|qualified|customer|disqualified)\s*:[^,:]+(,\s*(new|contacted|qualified|customer|disqualified)\s*:[^,:]+)*$/;

/**
 * Every environment variable the service reads, with its default. The configuration table in
 * docs/operations.md lists the same names; a test keeps the two in step.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @IsInt() @Min(0) @Max(65535)
  @Type(() => Number)
  PORT: number = 3000;

  @IsString()
  HOST: string = '0.0.0.0';

  /** Set: use this PostgreSQL server. Unset: start the embedded one under DATA_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// connection URL' })
  DATABASE_URL?: string;

  /**
   * With DATABASE_URL: the role the service's requests use (migrations and jobs use DATABASE_URL,
   * the owner). It must own nothing, so row-level security applies; created if missing.
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^:@/]+:[^@]*@.+/, { message: 'DATABASE_APP_URL must be a postgres:// URL with a user name and password' })
  DATABASE_APP_URL?: string;

  @IsString()
  DATA_DIR: string = './.data';

  @IsInt() @Min(1024) @Max(65535)
  @Type(() => Number)
  EMBEDDED_PG_PORT: number = 54329;

  /** Required in production; in development a random secret is generated and kept in DATA_DIR. */
  @IsOptional() @IsString() @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET?: string;

  /** An access token's life; browsers renew it from their session cookie (the console's tests use seconds, to outlive it). */
  @IsInt() @Min(5) @Max(86400)
  @Type(() => Number)
  JWT_TTL_SECONDS: number = 900;

  /** How long a signed-in browser may go unused before signing in again (its refresh token, renewed on each use): a working day. */
  @IsInt() @Min(300) @Max(30 * 86400)
  @Type(() => Number)
  REFRESH_TOKEN_TTL_SECONDS: number = 12 * 3600;

  @IsInt() @Min(1024) @Max(100 * 1024 * 1024)
  @Type(() => Number)
  BODY_LIMIT_BYTES: number = 1024 * 1024;

  /** A request whose body has not fully arrived after this long is answered 408 and closed (slow uploads, slow-body attacks). */
  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  REQUEST_TIMEOUT_MS: number = 120_000;

  /** A connection that sends nothing for this long is closed. */
  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  CONNECTION_IDLE_TIMEOUT_MS: number = 120_000;

  /** Waiting longer than this for a database connection (a stalled or restarting database) answers 503. */
  @Type(() => Number) @IsInt() @Min(100) @Max(120_000)
  DATABASE_CONNECT_TIMEOUT_MS: number = 5_000;

  /** A statement of a request running longer than this is cancelled (503); background jobs set their own. */
  @Type(() => Number) @IsInt() @Min(100) @Max(3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS: number = 15_000;

  /** On SIGTERM, readiness answers 503 this long before the server stops taking requests (the load balancer's time to notice). */
  @Type(() => Number) @IsInt() @Min(0) @Max(120_000)
  SHUTDOWN_DRAIN_MS: number = 5_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Unset: `pretty` in development (a person reads the terminal), `json` lines otherwise. */
  @IsOptional() @IsIn(['json', 'pretty'])
  LOG_FORMAT?: string;

  /** Per account from one IP: the tight limit, which blocks only that address (see LoginThrottle). */
  @IsInt() @Min(1)
  @Type(() => Number)
  LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: number = 5;

  /** Per account across all IPs: high, so a stranger cannot lock a user out (see LoginThrottle). */
  @IsInt() @Min(1)
  @Type(() => Number)
  LOGIN_MAX_FAILURES_PER_ACCOUNT: number = 100;

  @IsInt() @Min(1)
  @Type(() => Number)
  LOGIN_MAX_FAILURES_PER_IP: number = 50;

  @IsInt() @Min(1)
  @Type(() => Number)
  LOGIN_FAILURE_WINDOW_SECONDS: number = 900;

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'PUBLIC_BASE_URL must be an http(s) URL' })
  PUBLIC_BASE_URL?: string;

  /** Phone numbers given without a country code are read as this region's (ISO 3166 code). */
  @Matches(/^[A-Z]{2}$/, { message: 'DEFAULT_PHONE_REGION must be a two-letter country code, e.g. NO' })
  DEFAULT_PHONE_REGION: string = 'NO';

  /** Outgoing mail for notifications, e.g. smtp://user:pass@smtp.example.com:587. Unset: notifications are skipped. */
  @IsOptional() @Matches(/^smtps?:\/\/.+/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @IsString()
  NOTIFY_FROM: string = 'CRM <crm@localhost>';

  /** A mail server that does not answer within this is given up on (the notification is logged as failed). */
  @Type(() => Number) @IsInt() @Min(100) @Max(120000)
  SMTP_TIMEOUT_MS: number = 10000;

  /** Where new-lead notifications go when the lead has no owner. */
  @IsOptional() @IsString()
  SALES_INBOX?: string;

  /**
   * The firm's own mail domains (comma-separated), e.g. the website's relay: a mail From one of
   * them (or From a no-reply address) is someone else's, named by its Reply-To.
   */
  @IsOptional() @Matches(/^[a-z0-9.-]+(\s*,\s*[a-z0-9.-]+)*$/i, { message: 'FIRM_MAIL_DOMAINS must be domains separated by commas, e.g. firm.example,mail.firm.example' })
  FIRM_MAIL_DOMAINS?: string;

  /** A HubSpot private-app token. Unset: changes wait in the outbox and nothing is sent. */
  @IsOptional() @IsString()
  HUBSPOT_ACCESS_TOKEN?: string;

  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'HUBSPOT_BASE_URL must be an http(s) URL' })
  HUBSPOT_BASE_URL: string = 'https://api.hubapi.com';

  /** Requests per rolling 10 seconds, shared by every instance: 100 for most accounts, 190 for Professional. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  HUBSPOT_RATE_LIMIT_PER_10S: number = 100;

  /** The SDK sets no timeout; ours abandons (and later retries) a request after this long. */
  @Type(() => Number) @IsInt() @Min(100) @Max(120000)
  HUBSPOT_REQUEST_TIMEOUT_MS: number = 10000;

  /** Senders working the outbox side by side, each with one request in flight: enough that the rate limit, not round trips, sets the pace. */
  @Type(() => Number) @IsInt() @Min(1) @Max(16)
  HUBSPOT_SENDERS: number = 4;

  /**
   * Our lead status -> HubSpot's `hs_lead_status` option (its value or label), `status:option` by
   * commas; a status left out, or an option the portal lacks, is not sent.
   */
  @Matches(STATUS_MAP, { message: 'HUBSPOT_LEAD_STATUS_MAP must be status:option pairs separated by commas, e.g. new:New,contacted:Attempted to Contact' })
  HUBSPOT_LEAD_STATUS_MAP: string = 'new:New,contacted:Attempted to Contact,qualified:In Progress,customer:Connected,disqualified:Unqualified';

  /**
   * Our lead status -> HubSpot's `lifecyclestage` option, the same way. Stages only ever move
   * forward (in the portal's order); disqualified never maps, so it never overwrites a later stage.
   */
  @Matches(STATUS_MAP, { message: 'HUBSPOT_LIFECYCLE_MAP must be status:stage pairs separated by commas, e.g. new:lead,qualified:salesqualifiedlead' })
  HUBSPOT_LIFECYCLE_MAP: string = 'new:lead,contacted:lead,qualified:salesqualifiedlead,customer:customer';

  /** Where a HubSpot erasure or objection that could not be delivered is reported (the policy's DPO address); unset: logged only. */
  @IsOptional() @IsEmail({}, { message: 'DPO_EMAIL must be an e-mail address' })
  DPO_EMAIL?: string;

  /** Public intake: submissions per client IP per minute (429 beyond). */
  @Type(() => Number) @IsInt() @Min(1)
  INTAKE_LIMIT_PER_IP_PER_MINUTE: number = 20;

  /** A form's server-side relay (posting with its X-Api-Key for every visitor): posts per minute per key (429 beyond). */
  @Type(() => Number) @IsInt() @Min(1)
  INTAKE_LIMIT_PER_RELAY_PER_MINUTE: number = 600;

  /** Public intake: submissions per sender e-mail per hour; beyond, taken (202) but held for review (`sender_rate`), never refused. */
  @Type(() => Number) @IsInt() @Min(1)
  INTAKE_LIMIT_PER_SENDER_PER_HOUR: number = 10;

  /** Screening holds a submission whose signals' weights add up to this (bot traps and the block list decide alone). */
  @Type(() => Number) @IsNumber() @Min(0.1) @Max(100)
  SCREENING_THRESHOLD: number = 1;

  /** Per channel, instead of SCREENING_THRESHOLD: web forms, the chatbot, mail. */
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0.1) @Max(100)
  SCREENING_THRESHOLD_WEB_FORM?: number;

  @IsOptional() @Type(() => Number) @IsNumber() @Min(0.1) @Max(100)
  SCREENING_THRESHOLD_CHATBOT?: number;

  @IsOptional() @Type(() => Number) @IsNumber() @Min(0.1) @Max(100)
  SCREENING_THRESHOLD_EMAIL?: number;

  /** Held submissions nobody reviewed, and confirmed spam, are deleted after this many days. */
  @Type(() => Number) @IsInt() @Min(1)
  QUARANTINE_RETENTION_DAYS: number = 90;

  /** Uploaded attendee lists never imported, and every import's rejected lines, are deleted after this many days. */
  @Type(() => Number) @IsInt() @Min(1)
  EVENT_IMPORT_KEEP_DAYS: number = 30;

  /** Run background jobs (the HubSpot drain) in this instance; false for an API-only instance. */
  @Transform(({ value }) => (typeof value === 'string' ? ['1', 'true', 'yes'].includes(value.toLowerCase()) : value))
  @IsBoolean()
  JOBS_ENABLED: boolean = true;

  /**
   * Behind proxies: which hops of X-Forwarded-For to believe. A hop count (1: the load balancer in
   * front) or the proxies' addresses (comma-separated IPs or CIDRs). Unset or false: none, the
   * peer is the client. Never "true": trusting every hop lets a client choose its own address.
   */
  @IsOptional()
  @Matches(/^(false|\d{1,2}|[0-9a-fA-F:.]+(\/\d{1,3})?(\s*,\s*[0-9a-fA-F:.]+(\/\d{1,3})?)*)$/, {
    message: 'TRUST_PROXY must be a hop count (e.g. 1) or the proxies\' addresses as IPs or CIDRs (e.g. 10.0.0.0/8,127.0.0.1); "true" would let any client choose its own address',
  })
  TRUST_PROXY?: string;

  /** The Drift app's verification token (dev.drift.com, App Credentials). Unset: the chatbot webhook answers 503. */
  @IsOptional() @IsString()
  DRIFT_VERIFICATION_TOKEN?: string;

  /** The largest mail taken in, raw (the intake endpoint and the inbox poller); Gmail's own limit is 25 MB. */
  @Type(() => Number) @IsInt() @Min(1024) @Max(100 * 1024 * 1024)
  MAIL_MESSAGE_MAX_BYTES: number = 25 * 1024 * 1024;

  /** Mail attachments up to this size are kept with the capture; larger ones are only listed, as skipped. */
  @Type(() => Number) @IsInt() @Min(0) @Max(100 * 1024 * 1024)
  MAIL_ATTACHMENT_MAX_BYTES: number = 10 * 1024 * 1024;

  /** The shared inbox the mail poller reads (e.g. imap.gmail.com). Unset: no polling. */
  @IsOptional() @IsString()
  IMAP_HOST?: string;

  @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  IMAP_PORT: number = 993;

  @IsOptional() @IsString()
  IMAP_USER?: string;

  /** For Gmail: an app password. */
  @IsOptional() @IsString()
  IMAP_PASSWORD?: string;

  @IsString()
  IMAP_MAILBOX: string = 'INBOX';

  /** TLS from the first byte (port 993); false: plain, upgraded with STARTTLS when the server offers it. */
  @Transform(({ value }) => (typeof value === 'string' ? ['1', 'true', 'yes'].includes(value.toLowerCase()) : value))
  @IsBoolean()
  IMAP_TLS: boolean = true;
}

/** Variables without a default (class fields without an initialiser are not enumerable on an instance). */
export const OPTIONAL_VARIABLES = ['TRUST_PROXY', 'DATABASE_URL', 'DATABASE_APP_URL', 'JWT_SECRET', 'LOG_FORMAT', 'PUBLIC_BASE_URL', 'SMTP_URL', 'SALES_INBOX', 'FIRM_MAIL_DOMAINS', 'DPO_EMAIL', 'HUBSPOT_ACCESS_TOKEN', 'DRIFT_VERIFICATION_TOKEN', 'IMAP_HOST', 'IMAP_USER', 'IMAP_PASSWORD'];

export type AppConfig = Readonly<EnvironmentVariables> & {
  /** The database as its owner (migrations, the job queue): DATABASE_URL, or the embedded server's URL. */
  readonly databaseUrl: string;
  /** The same database as the service role, which row-level security applies to: everything else. */
  readonly databaseAppUrl: string;
  readonly jwtSecret: string;
};

export class ConfigurationError extends Error {}

/** Validates the environment; throws one error naming every bad variable and what it expects. */
export function loadEnvironment(env: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.keys(new EnvironmentVariables());
  const relevant: Record<string, string> = {};
  for (const key of [...known, ...OPTIONAL_VARIABLES]) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = plainToInstance(EnvironmentVariables, relevant, { enableImplicitConversion: false });
  const errors = validateSync(parsed, { skipMissingProperties: false });
  const problems = errors.map((e) => {
    const got = ['JWT_SECRET', 'DATABASE_URL', 'DATABASE_APP_URL', 'SMTP_URL', 'HUBSPOT_ACCESS_TOKEN', 'DRIFT_VERIFICATION_TOKEN', 'IMAP_PASSWORD'].includes(e.property) ? '' : ` (got ${JSON.stringify(relevant[e.property])})`;
    return `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}${got}`;
  });
  if (parsed.NODE_ENV === 'production' && !parsed.JWT_SECRET) {
    problems.push('JWT_SECRET: must be set in production (at least 32 random characters)');
  }
  if (parsed.IMAP_HOST && (!parsed.IMAP_USER || !parsed.IMAP_PASSWORD)) {
    problems.push('IMAP_USER, IMAP_PASSWORD: both must be set with IMAP_HOST');
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed;
}

/** TRUST_PROXY as Fastify's `trustProxy` takes it: false, a hop count, or a list of addresses. */
export function trustedProxies(value: string | undefined): false | number | string[] {
  if (!value || value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value.split(',').map((a) => a.trim());
}
