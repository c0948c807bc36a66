/**
 * A fake HubSpot for tests and local demos: an in-memory HTTP server that speaks the CRM v3 paths our sync
 * uses, so the REAL `@hubspot/api-client` can be pointed at it:
 *
 *   const fake = new FakeHubSpot();
 *   const { url } = await fake.start();
 *   const client = new Client({ accessToken: 'x', basePath: url, numberOfApiCallRetries: 0 });
 *
 * It enforces HubSpot's rate limits (ten-second rolling window and daily) with HubSpot's 429 body and
 * `X-HubSpot-RateLimit-*` headers, validates batch upserts the way HubSpot does (per-input errors, 207
 * Multi-Status), and can inject faults at run time (5xx, random 5xx, slow answers, dropped connections,
 * per-contact errors). Time comes from an injectable clock so rate-limit windows move without sleeping.
 *
 * Nothing here talks to the internet; it uses only Node's `http` module.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  builtinGroups,
  builtinProperties,
  DEFAULT_READ_PROPERTIES,
  READ_ONLY_PROPERTIES,
  type FakePropertyDefinition,
  type FakePropertyGroup,
  type FakePropertyOption,
} from './builtin-properties';

export { HS_LEGAL_BASIS_VALUES, type FakePropertyDefinition, type FakePropertyGroup, type FakePropertyOption } from './builtin-properties';

// ---------------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------------

export interface FakeHubSpotOptions {
  /** Requests allowed per rolling 10 s window (default 100) and per UTC day (default 250 000). */
  rateLimit?: { perTenSeconds?: number; daily?: number };
  /** The clock, in epoch milliseconds (default `Date.now`). Rate-limit windows and timestamps use it. */
  now?: () => number;
  /** Seed of the PRNG behind `failRate` (default 1), so random failures repeat run after run. */
  seed?: number;
  /** Shown in the 429 body's `groupName` (default 12345678). */
  portalId?: number;
  /** When set, only `Authorization: Bearer <accessToken>` is accepted; otherwise any non-empty token is. */
  accessToken?: string;
  /** Serve the unauthenticated `/__fake/*` control routes (state, reset, faults) for demos (default false). */
  controlRoutes?: boolean;
  /** Called once per request when its outcome is known (used by the standalone runner to log). */
  onRequest?: (entry: FakeRequestLogEntry) => void;
}

/** A contact as stored, timestamps as ISO strings (what the API would answer). */
export interface FakeContact {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export type FakeFault = 'auth' | 'rate-limit' | 'daily-limit' | 'fail' | 'drop' | 'delay';

/** One request as the fake saw it. `status` is 0 when the connection was dropped without an answer. */
export interface FakeRequestLogEntry {
  /** Arrival order, from 1. The log itself is in completion order. */
  seq: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  status: number;
  /** Arrival time on the injected clock (epoch ms). */
  at: number;
  /** Parsed JSON request body, if any (what the client actually sent). */
  body?: unknown;
  userAgent?: string;
  /** Every fault that shaped this request's outcome, in order (e.g. ['delay', 'fail']). */
  faults: FakeFault[];
  /** Set when the response was held back by `delayNext`. */
  delayedMs?: number;
  /** The client had closed the connection before the answer was written (e.g. its timeout fired). */
  clientClosed?: boolean;
}

export interface FakeCounters {
  requests: number;
  /** 429 answers for the ten-second window. */
  rateLimited: number;
  /** 429 answers for the daily limit. */
  dailyLimited: number;
  /** Injected 5xx (and other injected status) answers from `failNext` / `failRate`. */
  serverErrors: number;
  dropped: number;
  delayed: number;
  unauthorized: number;
  /** Per-input errors returned inside 207 batch answers. */
  batchInputErrors: number;
  contactsCreated: number;
  contactsUpdated: number;
  /** Properties set to empty that held a value (a clear, wanted or not). */
  blanked: number;
  /** Lifecycle-stage writes that would have moved a contact backward: ignored silently, as HubSpot does. */
  backwardLifecycleMoves: number;
  merges: number;
}

/** Narrows a fault to some requests: a path prefix (string) or pattern, and/or a method. */
export interface FaultMatch {
  path?: string | RegExp;
  method?: string;
}

export interface FakePurge {
  /** Lower-cased e-mail of the erased contact, or the e-mail that was block-listed when no contact had it. */
  email: string | null;
  contactId: string | null;
  /** false when HubSpot would only have block-listed the address (no contact existed). */
  existed: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------------------

interface StoredContact {
  id: string;
  properties: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

interface FaultRule {
  kind: 'fail' | 'delay' | 'drop';
  remaining: number;
  status: number;
  ms: number;
  afterProcessing: boolean;
  match?: FaultMatch;
  /** The error's message instead of the standard one (HubSpot's 4xx messages often name the contact). */
  message?: string;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface PropertyValueError {
  isValid: false;
  message: string;
  error: string;
  name: string;
  localizedErrorMessage: string;
}

interface PendingDelay {
  timer: NodeJS.Timeout;
  /** `proceed` false abandons the request: its connection is destroyed and it is neither carried out nor logged. */
  release: (proceed: boolean) => void;
}

const TEN_SECONDS = 10_000;
const DAY = 86_400_000;
const MAX_BATCH = 100;
const JSON_TYPE = 'application/json;charset=utf-8';
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const OBJECT_TYPES = new Set(['contacts', '0-1', 'contact']);
const PROPERTY_TYPES = new Set(['string', 'number', 'date', 'datetime', 'enumeration', 'bool']);
const FIELD_TYPES = new Set(['textarea', 'text', 'date', 'file', 'number', 'select', 'radio', 'checkbox', 'booleancheckbox', 'calculation_equation', 'phonenumber', 'html']);
const SUBSCRIPTIONS = [{ id: 1, name: 'Marketing Information' }];

/** mulberry32: a tiny seedable PRNG, enough for repeatable "random" failures. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The fake server. One instance = one HubSpot portal. All accessors return copies, so tests can keep
 * what they read without it changing underneath them.
 */
export class FakeHubSpot {
  private server: Server | null = null;
  private baseUrl: string | null = null;
  private readonly now: () => number;
  private readonly portalId: number;
  private readonly accessToken: string | undefined;
  private readonly controlRoutes: boolean;
  private readonly onRequest: ((entry: FakeRequestLogEntry) => void) | undefined;
  private readonly initialSeed: number;
  private readonly initialLimits: { perTenSeconds: number; daily: number };

  private limits: { perTenSeconds: number; daily: number };
  private random: () => number;
  private contactsById = new Map<string, StoredContact>();
  private idByEmail = new Map<string, string>();
  private nextId = 100001;
  private propertyDefs = new Map<string, FakePropertyDefinition>();
  private groupDefs = new Map<string, FakePropertyGroup>();
  private unsubscribedEmails = new Map<string, number>();
  private purges: FakePurge[] = [];
  private log: FakeRequestLogEntry[] = [];
  private count: FakeCounters = FakeHubSpot.zeroCounters();
  private windowHits: number[] = [];
  private dailyHits = { day: -1, count: 0 };
  private seq = 0;
  private faultRules: FaultRule[] = [];
  private failFraction = { fraction: 0, status: 502 };
  private failingEmails = new Map<string, { message: string; category: string; named: boolean; wholeBatch: boolean }>();
  /** A merged-away contact id -> the id it was merged into (HubSpot still resolves old ids). */
  private mergedInto = new Map<string, string>();
  private pendingDelays = new Set<PendingDelay>();
  private hooks: { match?: FaultMatch; action: () => unknown }[] = [];

  constructor(options: FakeHubSpotOptions = {}) {
    this.now = options.now ?? Date.now;
    this.portalId = options.portalId ?? 12345678;
    this.accessToken = options.accessToken;
    this.controlRoutes = options.controlRoutes ?? false;
    this.onRequest = options.onRequest;
    this.initialSeed = options.seed ?? 1;
    this.initialLimits = { perTenSeconds: options.rateLimit?.perTenSeconds ?? 100, daily: options.rateLimit?.daily ?? 250_000 };
    this.limits = { ...this.initialLimits };
    this.random = prng(this.initialSeed);
    this.resetSchema();
  }

  // ----- lifecycle -------------------------------------------------------------------------------------

  /** Listens on 127.0.0.1 (`port` 0 picks a free port) and resolves with the base URL for `basePath`. */
  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string }> {
    if (this.server) throw new Error('FakeHubSpot is already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug in the fake: answer 500 rather than hanging the client.
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': JSON_TYPE });
          res.end(JSON.stringify({ status: 'error', message: `fake-hubspot internal error: ${String(err)}`, correlationId: randomUUID(), category: 'INTERNAL_ERROR' }));
        }
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    return { url: this.baseUrl };
  }

  /** Stops listening, drops every open connection and abandons held (delayed) requests unanswered and unlogged. */
  async stop(): Promise<void> {
    this.abandonDelayed();
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.baseUrl = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The base URL while started. */
  get url(): string {
    if (!this.baseUrl) throw new Error('FakeHubSpot is not started');
    return this.baseUrl;
  }

  /**
   * Back to a fresh portal: no contacts, built-in properties only, empty logs and counters, no faults,
   * rate-limit windows emptied and limits restored to the constructor's, PRNG re-seeded.
   * Held (delayed) requests are abandoned (their connections dropped), so they cannot write into the fresh state.
   */
  reset(): void {
    this.abandonDelayed();
    this.contactsById.clear();
    this.idByEmail.clear();
    this.mergedInto.clear();
    this.nextId = 100001;
    this.resetSchema();
    this.unsubscribedEmails.clear();
    this.purges = [];
    this.log = [];
    this.count = FakeHubSpot.zeroCounters();
    this.windowHits = [];
    this.dailyHits = { day: -1, count: 0 };
    this.seq = 0;
    this.limits = { ...this.initialLimits };
    this.clearFaults();
    this.random = prng(this.initialSeed);
  }

  // ----- state for tests -------------------------------------------------------------------------------

  /** Every contact, in creation order. */
  contacts(): FakeContact[] {
    return [...this.contactsById.values()].map((c) => this.toFakeContact(c));
  }

  contactByEmail(email: string): FakeContact | undefined {
    const id = this.idByEmail.get(email.trim().toLowerCase());
    return id ? this.contactById(id) : undefined;
  }

  /** By id; a merged-away id finds the contact it was merged into, as HubSpot's API does. */
  contactById(id: string): FakeContact | undefined {
    const c = this.contactsById.get(this.resolveId(id));
    return c ? this.toFakeContact(c) : undefined;
  }

  /** Puts a contact straight into the store (no request, no validation beyond the e-mail being unique). */
  seedContact(properties: Record<string, string> & { email: string }): FakeContact {
    const email = properties.email.trim().toLowerCase();
    if (this.idByEmail.has(email)) throw new Error(`contact ${email} already exists`);
    return this.toFakeContact(this.createContact(email, properties));
  }

  /** Changes a contact as sales would in HubSpot's UI (no request, no counters, any lifecycle move). */
  editContact(id: string, properties: Record<string, string>): FakeContact {
    const stored = this.contactsById.get(this.resolveId(id));
    if (!stored) throw new Error(`no contact ${id}`);
    Object.assign(stored.properties, properties);
    return this.toFakeContact(stored);
  }

  /**
   * Puts a property (and its group, when missing) straight into the schema, as someone else in the
   * portal would have created it: no request, any type or options.
   */
  seedProperty(definition: Pick<FakePropertyDefinition, 'name' | 'type' | 'fieldType'> & Partial<FakePropertyDefinition>): FakePropertyDefinition {
    const groupName = definition.groupName ?? 'contactinformation';
    if (!this.groupDefs.has(groupName)) this.groupDefs.set(groupName, { name: groupName, label: groupName, displayOrder: -1, archived: false });
    const now = iso(this.now());
    const property: FakePropertyDefinition = {
      label: definition.name, description: '', options: [], displayOrder: -1, hasUniqueValue: false, hidden: false, formField: false, calculated: false, externalOptions: false,
      archived: false, createdAt: now, updatedAt: now, modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
      ...definition,
      groupName,
    };
    this.propertyDefs.set(property.name, property);
    return structuredClone(property);
  }

  /**
   * Runs `action` (awaited) just before the next matching request is carried out: another client's
   * write landing between our read and our write, without timing anything.
   */
  beforeNext(match: FaultMatch, action: () => unknown): void {
    this.hooks.push({ match, action });
  }

  /** Addresses unsubscribed from all e-mail through `unsubscribe-all`, lower-cased, in order. */
  unsubscribed(): string[] {
    return [...this.unsubscribedEmails.keys()];
  }

  /** GDPR deletions, in order. */
  purged(): FakePurge[] {
    return this.purges.map((p) => ({ ...p }));
  }

  properties(): FakePropertyDefinition[] {
    return [...this.propertyDefs.values()].map((p) => structuredClone(p));
  }

  property(name: string): FakePropertyDefinition | undefined {
    const p = this.propertyDefs.get(name);
    return p ? structuredClone(p) : undefined;
  }

  propertyGroups(): FakePropertyGroup[] {
    return [...this.groupDefs.values()].map((g) => ({ ...g }));
  }

  /** Every request so far, in completion order. */
  get requests(): FakeRequestLogEntry[] {
    return this.log.map((e) => ({ ...e, faults: [...e.faults] }));
  }

  get counters(): FakeCounters {
    return { ...this.count };
  }

  /** Changes the limits at run time (windows keep their hits). */
  setRateLimit(limits: { perTenSeconds?: number; daily?: number }): void {
    this.limits = { perTenSeconds: limits.perTenSeconds ?? this.limits.perTenSeconds, daily: limits.daily ?? this.limits.daily };
  }

  // ----- fault injection -------------------------------------------------------------------------------

  /** The next `n` matching requests get `status` (default 500) with a HubSpot-shaped error body. */
  failNext(n: number, status = 500, match?: FaultMatch, message?: string): void {
    this.faultRules.push({ kind: 'fail', remaining: n, status, ms: 0, afterProcessing: false, match, message });
  }

  /**
   * Each request fails with `status` (default 502) with probability `fraction` (0 turns it off). The PRNG is
   * seeded (constructor `seed`, or `seed` here), so a run's failures repeat exactly.
   */
  failRate(fraction: number, status = 502, seed?: number): void {
    if (fraction < 0 || fraction > 1) throw new Error('fraction must be within 0..1');
    this.failFraction = { fraction, status };
    if (seed !== undefined) this.random = prng(seed);
  }

  /**
   * The next `n` matching requests are answered `ms` later (the work itself happens when the delay ends,
   * even if the client has given up meanwhile, as a real server would). `releaseDelayed()` ends every
   * pending delay at once; `reset()` and `stop()` abandon them (connection dropped, nothing written or logged).
   */
  delayNext(n: number, ms: number, match?: FaultMatch): void {
    this.faultRules.push({ kind: 'delay', remaining: n, status: 0, ms, afterProcessing: false, match });
  }

  /**
   * The next `n` matching requests get their connection destroyed without an answer. With
   * `afterProcessing: true` the request is carried out first (a write lands) and only the answer is lost:
   * the ambiguous outcome a client must handle idempotently.
   */
  dropNext(n: number, options: FaultMatch & { afterProcessing?: boolean } = {}): void {
    const { afterProcessing = false, ...match } = options;
    this.faultRules.push({ kind: 'drop', remaining: n, status: 0, ms: 0, afterProcessing, match });
  }

  /**
   * Until cleared, batch upserts and updates of this e-mail fail with a per-input error carrying
   * `message`; with `named: false` the error does not name the input (no `context.ids`), as some
   * of HubSpot's 207 errors do not; with `wholeBatch: true` the whole batch is refused with a 400,
   * as HubSpot does for a batch upsert holding one invalid contact (its validation is all or nothing).
   */
  failEmail(email: string, message = 'Simulated failure for this contact', category = 'VALIDATION_ERROR', options: { named?: boolean; wholeBatch?: boolean } = {}): void {
    this.failingEmails.set(email.trim().toLowerCase(), { message, category, named: options.named ?? true, wholeBatch: options.wholeBatch ?? false });
  }

  /** Removes every injected fault (counts, rates, per-e-mail failures, `beforeNext` actions not yet run). Pending delays keep running. */
  clearFaults(): void {
    this.faultRules = [];
    this.failFraction = { fraction: 0, status: 502 };
    this.failingEmails.clear();
    this.hooks = [];
  }

  /** Ends every pending delay now: the held requests are processed and answered immediately. */
  releaseDelayed(): void {
    for (const pending of [...this.pendingDelays]) pending.release(true);
  }

  private abandonDelayed(): void {
    for (const pending of [...this.pendingDelays]) pending.release(false);
  }

  // ----- request handling ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = this.now();
    const seq = ++this.seq;
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(req);
    const entry: FakeRequestLogEntry = {
      seq,
      method,
      path: url.pathname,
      query: queryObject(url.searchParams),
      status: 0,
      at: arrivedAt,
      userAgent: headerValue(req.headers, 'user-agent'),
      faults: [],
    };
    let parsedBody: unknown;
    let bodyError: Reply | undefined;
    if (rawBody.length > 0) {
      try {
        parsedBody = JSON.parse(rawBody.toString('utf8'));
        entry.body = parsedBody;
      } catch (err) {
        entry.body = rawBody.toString('utf8');
        bodyError = this.error(400, 'VALIDATION_ERROR', `Invalid input JSON on line 1: ${(err as Error).message}`);
      }
    }
    let clientClosed = false;
    res.on('close', () => {
      if (!res.writableFinished) clientClosed = true;
    });

    if (this.controlRoutes && url.pathname.startsWith('/__fake/')) {
      const reply = this.control(method, url.pathname, parsedBody);
      this.write(res, reply);
      return;
    }

    this.count.requests++;
    const finish = (reply: Reply | null) => {
      if (reply === null) {
        entry.status = 0;
        if (!res.destroyed) res.destroy();
      } else {
        entry.status = reply.status;
        if (clientClosed || res.destroyed) entry.clientClosed = true;
        else this.write(res, reply);
      }
      this.log.push(entry);
      this.onRequest?.({ ...entry, faults: [...entry.faults] });
    };

    // 1. Authentication.
    const auth = headerValue(req.headers, 'authorization') ?? '';
    const token = /^Bearer\s+(\S.*)$/i.exec(auth)?.[1]?.trim();
    if (!token || (this.accessToken !== undefined && token !== this.accessToken)) {
      this.count.unauthorized++;
      entry.faults.push('auth');
      const message = token
        ? 'The OAuth token used to make this call is invalid or has been revoked.'
        : 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';
      finish(this.error(401, 'INVALID_AUTHENTICATION', message));
      return;
    }

    // 2. Rate limits: the daily budget, then the ten-second rolling window. Refused requests do not count.
    const limited = this.takeRateLimit();
    if (limited) {
      entry.faults.push(limited.status === 429 && (limited.body as { policyName: string }).policyName === 'DAILY' ? 'daily-limit' : 'rate-limit');
      finish(limited);
      return;
    }
    const rateHeaders = this.rateLimitHeaders();

    // 3. Injected faults.
    const drop = this.takeFault('drop', method, url.pathname);
    if (drop && !drop.afterProcessing) {
      this.count.dropped++;
      entry.faults.push('drop');
      finish(null);
      return;
    }
    const delay = this.takeFault('delay', method, url.pathname);
    if (delay) {
      this.count.delayed++;
      entry.faults.push('delay');
      entry.delayedMs = delay.ms;
      const proceed = await new Promise<boolean>((resolve) => {
        const pending: PendingDelay = {
          timer: setTimeout(() => pending.release(true), delay.ms),
          release: (go) => {
            if (!this.pendingDelays.delete(pending)) return;
            clearTimeout(pending.timer);
            resolve(go);
          },
        };
        this.pendingDelays.add(pending);
      });
      if (!proceed) {
        if (!res.destroyed) res.destroy();
        return;
      }
    }
    const fail = this.takeFault('fail', method, url.pathname) ?? this.rollFailRate();
    if (fail) {
      this.count.serverErrors++;
      entry.faults.push('fail');
      const reply = this.injectedError(fail.status, (fail as { message?: string }).message);
      reply.headers = { ...rateHeaders, ...reply.headers };
      finish(reply);
      return;
    }

    // 4. The API itself, after whatever a test wants to happen first (beforeNext).
    const hook = this.hooks.find((h) => matches(h.match, method, url.pathname));
    if (hook) {
      this.hooks.splice(this.hooks.indexOf(hook), 1);
      await hook.action();
    }
    let reply: Reply;
    try {
      if (bodyError) throw new HttpError(bodyError);
      reply = this.route(method, url, parsedBody);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      reply = err.reply;
    }
    reply.headers = { ...rateHeaders, ...reply.headers };
    if (drop) {
      this.count.dropped++;
      entry.faults.push('drop');
      finish(null);
      return;
    }
    finish(reply);
  }

  private write(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | undefined;
    if (reply.body !== undefined && reply.status !== 204) {
      headers['content-type'] = JSON_TYPE;
      payload = JSON.stringify(reply.body);
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  private route(method: string, url: URL, body: unknown): Reply {
    const segments = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const [a, b, c, d, e, f] = segments;

    // /crm/v3/objects/{type}/...
    if (a === 'crm' && b === 'v3' && c === 'objects' && d !== undefined) {
      if (!OBJECT_TYPES.has(d)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${d} (the fake serves contacts only)`));
      if (segments.length === 4 && method === 'GET') return this.listContacts(url.searchParams);
      if (e === 'batch' && f === 'upsert' && segments.length === 6) return this.only(method, 'POST', () => this.batchUpsert(body));
      if (e === 'batch' && f === 'update' && segments.length === 6) return this.only(method, 'POST', () => this.batchUpdate(body));
      if (e === 'merge' && segments.length === 5) return this.only(method, 'POST', () => this.merge(body));
      if (e === 'search' && segments.length === 5) return this.only(method, 'POST', () => this.search(body));
      if (e === 'gdpr-delete' && segments.length === 5) return this.only(method, 'POST', () => this.gdprDelete(body));
      if (e !== undefined && segments.length === 5 && e !== 'batch') return this.only(method, 'GET', () => this.getContact(e, url.searchParams));
    }

    // /crm/v3/properties/{type}[/groups[/{name}] | /{name}]
    if (a === 'crm' && b === 'v3' && c === 'properties' && d !== undefined) {
      if (!OBJECT_TYPES.has(d)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${d} (the fake serves contacts only)`));
      if (segments.length === 4) {
        if (method === 'GET') return { status: 200, body: { results: this.visibleProperties(url.searchParams) } };
        if (method === 'POST') return this.createProperty(body);
        throw new HttpError(this.methodNotAllowed(method));
      }
      if (e === 'groups' && segments.length === 5) {
        if (method === 'GET') return { status: 200, body: { results: this.propertyGroups() } };
        if (method === 'POST') return this.createGroup(body);
        throw new HttpError(this.methodNotAllowed(method));
      }
      if (e === 'groups' && f !== undefined && segments.length === 6) {
        return this.only(method, 'GET', () => {
          const group = this.groupDefs.get(f);
          if (!group) throw new HttpError(this.error(404, 'OBJECT_NOT_FOUND', `Unable to find property group ${f}`));
          return { status: 200, body: { ...group } };
        });
      }
      if (e !== undefined && segments.length === 5) {
        if (method === 'PATCH') return this.updateProperty(e, body);
        return this.only(method, 'GET', () => {
          const property = this.propertyDefs.get(e);
          if (!property) throw new HttpError(this.error(404, 'OBJECT_NOT_FOUND', `Unable to find property ${e}`));
          return { status: 200, body: structuredClone(property) };
        });
      }
    }

    // /communication-preferences/v4/statuses/{subscriberIdString}/unsubscribe-all
    if (a === 'communication-preferences' && b === 'v4' && c === 'statuses' && d !== undefined && e === 'unsubscribe-all' && segments.length === 5) {
      if (method === 'POST') return this.unsubscribeAll(d, url.searchParams);
      if (method === 'GET') return this.unsubscribeAllStatus(d, url.searchParams);
      throw new HttpError(this.methodNotAllowed(method));
    }

    throw new HttpError(this.error(404, 'OBJECT_NOT_FOUND', `No route for ${method} ${url.pathname} in the fake HubSpot`));
  }

  private only(method: string, expected: string, handler: () => Reply): Reply {
    if (method !== expected) throw new HttpError(this.methodNotAllowed(method));
    return handler();
  }

  // ----- contacts --------------------------------------------------------------------------------------

  private batchUpsert(body: unknown): Reply {
    const startedAt = iso(this.now());
    const inputs = (body as { inputs?: unknown } | undefined)?.inputs;
    if (!Array.isArray(inputs)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'Invalid input JSON: "inputs" must be an array'));
    if (inputs.length === 0) throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'Invalid input JSON: "inputs" must not be empty'));
    if (inputs.length > MAX_BATCH) {
      throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Batch input size ${inputs.length} exceeds the limit of ${MAX_BATCH} inputs`, { context: { limit: [String(MAX_BATCH)], size: [String(inputs.length)] } }));
    }
    const parsed = inputs.map((raw, index) => {
      const input = (raw ?? {}) as { id?: unknown; idProperty?: unknown; properties?: unknown };
      if (input.idProperty !== 'email') {
        throw new HttpError(this.error(400, 'VALIDATION_ERROR', `inputs[${index}].idProperty must be "email" (the only unique property the fake upserts on); got ${JSON.stringify(input.idProperty)}`));
      }
      if (typeof input.id !== 'string' || input.id.trim() === '') throw new HttpError(this.error(400, 'VALIDATION_ERROR', `inputs[${index}].id must be a non-empty string`));
      const properties = input.properties ?? {};
      if (typeof properties !== 'object' || Array.isArray(properties)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `inputs[${index}].properties must be an object`));
      return { id: input.id.trim().toLowerCase(), rawId: input.id, properties: properties as Record<string, unknown> };
    });
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const { id } of parsed) (seen.has(id) ? duplicates : seen).add(id);
    if (duplicates.size > 0) {
      throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${[...duplicates].join(', ')}]. IDs must be unique`, { context: { ids: [...duplicates] } }));
    }

    const refusing = parsed.map((p) => this.failingEmails.get(p.id)).find((f) => f?.wholeBatch);
    if (refusing) throw new HttpError(this.error(400, refusing.category, refusing.message));
    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const input of parsed) {
      const injected = this.failingEmails.get(input.id);
      if (injected) {
        errors.push({ status: 'error', category: injected.category, message: injected.message, context: injected.named ? { ids: [input.rawId] } : {}, errors: [], links: {} });
        continue;
      }
      const invalid = this.validateProperties(input.id, input.properties);
      if (invalid.length > 0) {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: `Property values were not valid: ${JSON.stringify(invalid)}`,
          context: { ids: [input.rawId], propertyName: invalid.map((v) => v.name) },
          errors: invalid.map((v) => ({ message: v.message, code: v.error, context: { propertyName: [v.name] } })),
          links: {},
        });
        continue;
      }
      const values = Object.fromEntries(Object.entries(input.properties).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
      const existingId = this.idByEmail.get(input.id);
      let stored: StoredContact;
      let isNew: boolean;
      if (existingId) {
        stored = this.contactsById.get(existingId)!;
        this.applyProperties(stored, values);
        stored.updatedAt = this.now();
        stored.properties.lastmodifieddate = iso(stored.updatedAt);
        this.count.contactsUpdated++;
        isNew = false;
      } else {
        stored = this.createContact(input.id, values);
        this.count.contactsCreated++;
        isNew = true;
      }
      results.push({ id: stored.id, properties: { ...stored.properties }, createdAt: iso(stored.createdAt), updatedAt: iso(stored.updatedAt), archived: false, new: isNew });
    }
    const completedAt = iso(this.now());
    if (errors.length === 0) return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } };
    this.count.batchInputErrors += errors.length;
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: errors.length, errors, startedAt, completedAt } };
  }

  /** `POST /crm/v3/objects/contacts/batch/update`: inputs by HubSpot id (merged-away ids resolve to the contact they were merged into). */
  private batchUpdate(body: unknown): Reply {
    const startedAt = iso(this.now());
    const inputs = (body as { inputs?: unknown } | undefined)?.inputs;
    if (!Array.isArray(inputs) || inputs.length === 0) throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'Invalid input JSON: "inputs" must be a non-empty array'));
    if (inputs.length > MAX_BATCH) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Batch input size ${inputs.length} exceeds the limit of ${MAX_BATCH} inputs`));
    const parsed = inputs.map((raw, index) => {
      const input = (raw ?? {}) as { id?: unknown; idProperty?: unknown; properties?: unknown };
      if (input.idProperty !== undefined && input.idProperty !== 'hs_object_id') {
        throw new HttpError(this.error(400, 'VALIDATION_ERROR', `inputs[${index}].idProperty must be "hs_object_id" in this fake's batch update; got ${JSON.stringify(input.idProperty)}`));
      }
      if (typeof input.id !== 'string' || !/^\d+$/.test(input.id)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `inputs[${index}].id must be a contact id`));
      const properties = input.properties ?? {};
      if (typeof properties !== 'object' || Array.isArray(properties)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `inputs[${index}].properties must be an object`));
      return { id: input.id, properties: properties as Record<string, unknown> };
    });
    const ids = parsed.map((p) => this.resolveId(p.id));
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (duplicates.length) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${duplicates.join(', ')}]. IDs must be unique`, { context: { ids: duplicates } }));
    const refusing = ids.map((id) => this.failingEmails.get(this.contactsById.get(id)?.properties.email ?? '')).find((f) => f?.wholeBatch);
    if (refusing) throw new HttpError(this.error(400, refusing.category, refusing.message));
    const results: unknown[] = [];
    const errors: unknown[] = [];
    parsed.forEach((input, i) => {
      const stored = this.contactsById.get(ids[i]);
      if (!stored) {
        errors.push({ status: 'error', category: 'OBJECT_NOT_FOUND', message: `Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.`, context: { ids: [input.id] }, errors: [], links: {} });
        return;
      }
      const current = stored.properties.email ?? '';
      const injected = this.failingEmails.get(current);
      if (injected) {
        errors.push({ status: 'error', category: injected.category, message: injected.message, context: injected.named ? { ids: [input.id] } : {}, errors: [], links: {} });
        return;
      }
      const newEmail = typeof input.properties.email === 'string' ? input.properties.email.trim().toLowerCase() : current;
      const invalid = this.validateProperties(newEmail, input.properties);
      const holder = this.idByEmail.get(newEmail);
      if (!invalid.length && holder && holder !== stored.id) {
        // HubSpot's own wording: the other contact's id, not the address.
        errors.push({ status: 'error', category: 'CONFLICT', message: `Contact already exists. Existing ID: ${holder}`, context: { ids: [input.id] }, errors: [], links: {} });
        return;
      }
      if (invalid.length) {
        errors.push({ status: 'error', category: 'VALIDATION_ERROR', message: `Property values were not valid: ${JSON.stringify(invalid)}`, context: { ids: [input.id] }, errors: [], links: {} });
        return;
      }
      const values = Object.fromEntries(Object.entries(input.properties).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
      if (newEmail !== current) {
        this.idByEmail.delete(current);
        this.idByEmail.set(newEmail, stored.id);
        stored.properties.email = newEmail;
      }
      this.applyProperties(stored, values);
      stored.updatedAt = this.now();
      stored.properties.lastmodifieddate = iso(stored.updatedAt);
      this.count.contactsUpdated++;
      results.push({ id: stored.id, properties: { ...stored.properties }, createdAt: iso(stored.createdAt), updatedAt: iso(stored.updatedAt), archived: false });
    });
    const completedAt = iso(this.now());
    if (errors.length === 0) return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } };
    this.count.batchInputErrors += errors.length;
    return { status: 207, body: { status: 'COMPLETE', results, numErrors: errors.length, errors, startedAt, completedAt } };
  }

  /**
   * `POST /crm/v3/objects/contacts/merge`: as HubSpot does since its 2023 merge change, the merged
   * record gets a NEW id; it keeps the primary's values, takes the other's where it has none, and
   * answers for both old ids and both addresses from then on. Merging again what is already one
   * record is a 400.
   */
  private merge(body: unknown): Reply {
    const input = (body ?? {}) as { primaryObjectId?: unknown; objectIdToMerge?: unknown };
    if (typeof input.primaryObjectId !== 'string' || typeof input.objectIdToMerge !== 'string') {
      throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'primaryObjectId and objectIdToMerge are required strings'));
    }
    const primary = this.contactsById.get(this.resolveId(input.primaryObjectId));
    const other = this.contactsById.get(this.resolveId(input.objectIdToMerge));
    if (!primary || !other) throw new HttpError(this.error(404, 'OBJECT_NOT_FOUND', 'resource not found'));
    if (primary.id === other.id) throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'Contacts already merged'));
    const merged: StoredContact = { ...primary, id: String(this.nextId++), properties: { ...primary.properties }, updatedAt: this.now() };
    for (const [name, value] of Object.entries(other.properties)) if (merged.properties[name] === undefined) merged.properties[name] = value;
    const emails = [primary.properties.hs_additional_emails, other.properties.email, other.properties.hs_additional_emails].filter(Boolean);
    if (emails.length) merged.properties.hs_additional_emails = emails.join(';');
    const gone = new Set([primary.id, other.id]);
    for (const id of gone) this.contactsById.delete(id);
    this.contactsById.set(merged.id, merged);
    for (const [email, id] of this.idByEmail) if (gone.has(id)) this.idByEmail.set(email, merged.id);
    for (const [from, to] of this.mergedInto) if (gone.has(to)) this.mergedInto.set(from, merged.id);
    for (const id of gone) this.mergedInto.set(id, merged.id);
    this.count.merges++;
    return { status: 200, body: this.publicObject(merged, null) };
  }

  private resolveId(id: string): string {
    return this.mergedInto.get(id) ?? id;
  }

  /** HubSpot-style per-property validation of one upsert input; empty when every value is acceptable. */
  private validateProperties(email: string, properties: Record<string, unknown>): PropertyValueError[] {
    const invalid: PropertyValueError[] = [];
    const fail = (name: string, error: string, message: string) => invalid.push({ isValid: false, message, error, name, localizedErrorMessage: message });
    if (!EMAIL_PATTERN.test(email)) fail('email', 'INVALID_EMAIL', `Email address ${email} is invalid`);
    for (const [name, raw] of Object.entries(properties)) {
      const value = raw === null || raw === undefined ? '' : String(raw);
      const def = this.propertyDefs.get(name);
      if (!def) {
        fail(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`);
        continue;
      }
      if (READ_ONLY_PROPERTIES.has(name)) {
        fail(name, 'READ_ONLY_VALUE', `"${name}" is a read only property; its value cannot be set.`);
        continue;
      }
      if (name === 'email') {
        if (value.trim().toLowerCase() !== email) fail(name, 'INVALID_EMAIL', `The email property (${value}) must match the upsert id (${email})`);
        continue;
      }
      if (value === '') continue; // clears the value
      switch (def.type) {
        case 'enumeration': {
          const allowed = def.options.map((o) => o.value);
          const values = def.fieldType === 'checkbox' ? value.split(';') : [value];
          for (const v of values) {
            if (!allowed.includes(v)) fail(name, 'INVALID_OPTION', `${v} was not one of the allowed options: [${allowed.join(', ')}]`);
          }
          break;
        }
        case 'number':
          if (!/^-?\d+(\.\d+)?$/.test(value)) fail(name, 'INVALID_LONG', `${value} is not a valid number value for ${name}`);
          break;
        case 'bool':
          if (value !== 'true' && value !== 'false') fail(name, 'INVALID_BOOLEAN', `${value} is not a valid boolean value for ${name}; use true or false`);
          break;
        case 'date':
          if (!(/^\d{4}-\d{2}-\d{2}$/.test(value) || (/^\d+$/.test(value) && Number(value) % DAY === 0))) {
            fail(name, 'INVALID_DATE', `${value} is not a valid date for ${name}: use YYYY-MM-DD or midnight UTC in epoch milliseconds`);
          }
          break;
        case 'datetime':
          if (!(/^\d+$/.test(value) || !Number.isNaN(Date.parse(value)))) fail(name, 'INVALID_DATETIME', `${value} is not a valid datetime for ${name}`);
          break;
        default:
          break;
      }
    }
    return invalid;
  }

  private createContact(email: string, values: Record<string, string>): StoredContact {
    const now = this.now();
    const id = String(this.nextId++);
    const stored: StoredContact = { id, properties: {}, createdAt: now, updatedAt: now };
    this.applyProperties(stored, values);
    stored.properties.email = email;
    stored.properties.hs_object_id = id;
    stored.properties.createdate = iso(now);
    stored.properties.lastmodifieddate = iso(now);
    this.contactsById.set(id, stored);
    this.idByEmail.set(email, id);
    return stored;
  }

  private applyProperties(stored: StoredContact, values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (name === 'email') continue;
      if (value === '') {
        if (stored.properties[name] !== undefined) this.count.blanked++;
        delete stored.properties[name];
      } else if (name === 'lifecyclestage' && this.stageOrder(value) < this.stageOrder(stored.properties[name])) {
        this.count.backwardLifecycleMoves++; // HubSpot keeps the later stage and says nothing
      } else stored.properties[name] = value;
    }
  }

  /** A lifecycle stage's place in the portal's order (-1 for none). */
  private stageOrder(value: string | undefined): number {
    if (value === undefined) return -1;
    return this.propertyDefs.get('lifecyclestage')?.options.find((o) => o.value === value)?.displayOrder ?? -1;
  }

  private getContact(id: string, params: URLSearchParams): Reply {
    const idProperty = params.get('idProperty');
    let stored: StoredContact | undefined;
    if (idProperty === 'email') stored = this.contactsById.get(this.idByEmail.get(id.trim().toLowerCase()) ?? '');
    else if (idProperty === null || idProperty === 'hs_object_id') stored = this.contactsById.get(this.resolveId(id));
    else throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Property "${idProperty}" is not a unique identifier property (the fake knows email and hs_object_id)`));
    if (!stored || params.get('archived') === 'true') throw new HttpError(this.error(404, 'OBJECT_NOT_FOUND', 'resource not found'));
    return { status: 200, body: this.publicObject(stored, listParam(params, 'properties')) };
  }

  private listContacts(params: URLSearchParams): Reply {
    const limit = Math.min(Number(params.get('limit') ?? 10) || 10, 100);
    const after = Number(params.get('after') ?? 0) || 0;
    const all = [...this.contactsById.values()];
    const page = all.slice(after, after + limit);
    const body: Record<string, unknown> = { results: page.map((c) => this.publicObject(c, listParam(params, 'properties'))) };
    if (after + limit < all.length) body.paging = { next: { after: String(after + limit), link: `?after=${after + limit}` } };
    return { status: 200, body };
  }

  private search(body: unknown): Reply {
    const request = (body ?? {}) as { filterGroups?: unknown; properties?: unknown; limit?: unknown; after?: unknown; query?: unknown; sorts?: unknown };
    const groups = (Array.isArray(request.filterGroups) ? request.filterGroups : []) as { filters?: { propertyName?: string; operator?: string; value?: unknown; values?: unknown[] }[] }[];
    const limit = request.limit === undefined ? 10 : Number(request.limit);
    if (!Number.isInteger(limit) || limit < 0 || limit > 200) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `limit must be between 0 and 200; got ${String(request.limit)}`));
    if (groups.length > 5) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Too many filter groups: ${groups.length} (the limit is 5)`));
    for (const group of groups) {
      const filters = group.filters ?? [];
      if (filters.length > 6) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Too many filters in a group: ${filters.length} (the limit is 6)`));
      for (const filter of filters) {
        if (!filter.propertyName || !this.propertyDefs.has(filter.propertyName)) {
          throw new HttpError(this.error(400, 'VALIDATION_ERROR', `There was a problem with the request: property ${String(filter.propertyName)} does not exist`));
        }
      }
    }
    const query = typeof request.query === 'string' ? request.query.trim().toLowerCase() : '';
    const matches = [...this.contactsById.values()].filter((c) => {
      if (query && !['email', 'firstname', 'lastname', 'phone', 'company'].some((p) => (c.properties[p] ?? '').toLowerCase().includes(query))) return false;
      if (groups.length === 0) return true;
      return groups.some((group) => (group.filters ?? []).every((filter) => this.filterMatches(c, filter)));
    });
    const after = Number(request.after ?? 0) || 0;
    const page = matches.slice(after, after + limit);
    const requested = Array.isArray(request.properties) && request.properties.length > 0 ? request.properties.map(String) : null;
    const result: Record<string, unknown> = { total: matches.length, results: page.map((c) => this.publicObject(c, requested)) };
    if (after + limit < matches.length) result.paging = { next: { after: String(after + limit) } };
    return { status: 200, body: result };
  }

  private filterMatches(c: StoredContact, filter: { propertyName?: string; operator?: string; value?: unknown; values?: unknown[] }): boolean {
    const name = filter.propertyName!;
    const actual = c.properties[name];
    const norm = (v: unknown) => String(v).trim().toLowerCase();
    switch (filter.operator) {
      case 'EQ':
        return actual !== undefined && norm(actual) === norm(filter.value);
      case 'NEQ':
        return actual === undefined || norm(actual) !== norm(filter.value);
      case 'IN':
        return actual !== undefined && (filter.values ?? []).map(norm).includes(norm(actual));
      case 'NOT_IN':
        return actual === undefined || !(filter.values ?? []).map(norm).includes(norm(actual));
      case 'HAS_PROPERTY':
        return actual !== undefined;
      case 'NOT_HAS_PROPERTY':
        return actual === undefined;
      case 'CONTAINS_TOKEN': {
        if (actual === undefined) return false;
        const token = norm(filter.value).replace(/\*/g, '');
        return norm(actual).includes(token);
      }
      default:
        throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Operator ${String(filter.operator)} is not supported by the fake HubSpot (EQ, NEQ, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN are)`));
    }
  }

  private gdprDelete(body: unknown): Reply {
    const input = (body ?? {}) as { objectId?: unknown; idProperty?: unknown };
    if (typeof input.objectId !== 'string' || input.objectId.trim() === '') throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'objectId is required'));
    if (input.idProperty === 'email') {
      const email = input.objectId.trim().toLowerCase();
      const id = this.idByEmail.get(email);
      if (id) this.deleteContact(id);
      // HubSpot: an unknown address is block-listed instead, and the answer is the same 204.
      this.purges.push({ email, contactId: id ?? null, existed: id !== undefined });
      return { status: 204 };
    }
    if (input.idProperty !== undefined && input.idProperty !== 'hs_object_id') {
      throw new HttpError(this.error(400, 'VALIDATION_ERROR', `idProperty must be "email" or "hs_object_id"; got ${JSON.stringify(input.idProperty)}`));
    }
    const stored = this.contactsById.get(this.resolveId(input.objectId.trim()));
    if (!stored) throw new HttpError(this.error(404, 'OBJECT_NOT_FOUND', 'resource not found'));
    this.deleteContact(stored.id);
    this.purges.push({ email: stored.properties.email ?? null, contactId: stored.id, existed: true });
    return { status: 204 };
  }

  private deleteContact(id: string): void {
    const stored = this.contactsById.get(id);
    if (!stored) return;
    this.contactsById.delete(id);
    for (const [email, holder] of this.idByEmail) if (holder === id) this.idByEmail.delete(email);
  }

  private publicObject(c: StoredContact, requested: string[] | null) {
    const names = requested ? [...new Set([...requested, 'createdate', 'hs_object_id', 'lastmodifieddate'])] : DEFAULT_READ_PROPERTIES;
    const properties: Record<string, string | null> = {};
    for (const name of names) {
      if (requested && !this.propertyDefs.has(name)) continue; // HubSpot silently leaves out unknown names
      properties[name] = c.properties[name] ?? null;
    }
    return { id: c.id, properties, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt), archived: false };
  }

  private toFakeContact(c: StoredContact): FakeContact {
    return { id: c.id, properties: { ...c.properties }, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt), archived: false };
  }

  // ----- properties ------------------------------------------------------------------------------------

  private resetSchema(): void {
    this.propertyDefs = new Map(builtinProperties().map((p) => [p.name, p]));
    this.groupDefs = new Map(builtinGroups().map((g) => [g.name, g]));
  }

  private visibleProperties(params: URLSearchParams): FakePropertyDefinition[] {
    const archived = params.get('archived') === 'true';
    return [...this.propertyDefs.values()].filter((p) => Boolean(p.archived) === archived).map((p) => structuredClone(p));
  }

  private createProperty(body: unknown): Reply {
    const input = (body ?? {}) as Partial<FakePropertyDefinition> & { options?: Partial<FakePropertyOption>[] };
    const missing = (['name', 'label', 'type', 'fieldType', 'groupName'] as const).filter((k) => typeof input[k] !== 'string' || input[k] === '');
    if (missing.length > 0) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Invalid input JSON: missing required field(s) ${missing.join(', ')}`, { context: { missing } }));
    const name = input.name!;
    if (this.propertyDefs.has(name)) {
      throw new HttpError(this.error(409, 'OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`, { context: { name: [name] } }));
    }
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Property name '${name}' is invalid: use lower-case letters, digits and underscores, starting with a letter`));
    if (name.startsWith('hs_')) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Property name '${name}' is invalid: the hs_ prefix is reserved for HubSpot-defined properties`));
    if (!PROPERTY_TYPES.has(input.type!)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Unknown property type '${input.type}'`));
    if (!FIELD_TYPES.has(input.fieldType!)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Unknown field type '${input.fieldType}'`));
    if (!this.groupDefs.has(input.groupName!)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Property group '${input.groupName}' does not exist`));
    const optionInputs = Array.isArray(input.options) ? input.options : [];
    if (input.type === 'enumeration' && optionInputs.length === 0) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Enumeration property '${name}' needs at least one option`));
    const now = iso(this.now());
    const property: FakePropertyDefinition = {
      name,
      label: input.label!,
      type: input.type as FakePropertyDefinition['type'],
      fieldType: input.fieldType!,
      groupName: input.groupName!,
      description: input.description ?? '',
      options: optionInputs.map((o, i) => ({ label: String(o.label ?? o.value), value: String(o.value ?? o.label), description: o.description ?? '', displayOrder: o.displayOrder ?? i, hidden: o.hidden ?? false })),
      displayOrder: input.displayOrder ?? -1,
      hasUniqueValue: input.hasUniqueValue ?? false,
      hidden: input.hidden ?? false,
      formField: input.formField ?? false,
      calculated: false,
      externalOptions: input.externalOptions ?? false,
      archived: false,
      createdAt: now,
      updatedAt: now,
      modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
    };
    this.propertyDefs.set(name, property);
    return { status: 201, body: structuredClone(property) };
  }

  /**
   * `PATCH /crm/v3/properties/contacts/{name}`: the fields given replace the stored ones; `options`,
   * when given, replaces the whole option list (as HubSpot's does: send the old ones too to keep them).
   */
  private updateProperty(name: string, body: unknown): Reply {
    const property = this.propertyDefs.get(name);
    if (!property || property.archived) throw new HttpError(this.error(404, 'OBJECT_NOT_FOUND', `Unable to find property ${name}`));
    if (property.modificationMetadata?.readOnlyDefinition) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Property ${name} is read-only and cannot be updated`));
    const input = (body ?? {}) as Partial<FakePropertyDefinition> & { options?: Partial<FakePropertyOption>[] };
    if (input.type !== undefined && !PROPERTY_TYPES.has(input.type)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Unknown property type '${input.type}'`));
    if (input.fieldType !== undefined && !FIELD_TYPES.has(input.fieldType)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Unknown field type '${input.fieldType}'`));
    if (input.groupName !== undefined && !this.groupDefs.has(input.groupName)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Property group '${input.groupName}' does not exist`));
    for (const key of ['label', 'type', 'fieldType', 'groupName', 'description', 'displayOrder', 'hidden', 'formField'] as const) {
      if (input[key] !== undefined) (property as unknown as Record<string, unknown>)[key] = input[key];
    }
    if (Array.isArray(input.options)) {
      const values = input.options.map((o) => String(o.value ?? o.label));
      const twice = values.find((v, i) => values.indexOf(v) !== i);
      if (twice !== undefined) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Duplicate option value '${twice}' for property ${name}`));
      property.options = input.options.map((o, i) => ({ label: String(o.label ?? o.value), value: String(o.value ?? o.label), description: o.description ?? '', displayOrder: o.displayOrder ?? i, hidden: o.hidden ?? false }));
    }
    if (property.type === 'enumeration' && property.options.length === 0) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Enumeration property '${name}' needs at least one option`));
    property.updatedAt = iso(this.now());
    return { status: 200, body: structuredClone(property) };
  }

  private createGroup(body: unknown): Reply {
    const input = (body ?? {}) as Partial<FakePropertyGroup>;
    if (typeof input.name !== 'string' || !input.name || typeof input.label !== 'string' || !input.label) {
      throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'Invalid input JSON: name and label are required'));
    }
    if (this.groupDefs.has(input.name)) {
      throw new HttpError(this.error(409, 'OBJECT_ALREADY_EXISTS', `Property group named '${input.name}' already exists.`, { context: { name: [input.name] } }));
    }
    if (!/^[a-z][a-z0-9_]*$/.test(input.name)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Property group name '${input.name}' is invalid`));
    const group: FakePropertyGroup = { name: input.name, label: input.label, displayOrder: input.displayOrder ?? -1, archived: false };
    this.groupDefs.set(group.name, group);
    return { status: 201, body: { ...group } };
  }

  // ----- communication preferences v4 --------------------------------------------------------------------

  private channel(params: URLSearchParams): void {
    const channel = params.get('channel');
    if (!channel) throw new HttpError(this.error(400, 'VALIDATION_ERROR', 'Required query parameter "channel" is missing'));
    if (channel !== 'EMAIL') throw new HttpError(this.error(400, 'VALIDATION_ERROR', `Channel ${channel} is not supported by the fake HubSpot (EMAIL is)`));
  }

  private unsubscribeAll(subscriberIdString: string, params: URLSearchParams): Reply {
    this.channel(params);
    const email = subscriberIdString.trim().toLowerCase();
    if (!EMAIL_PATTERN.test(email)) throw new HttpError(this.error(400, 'VALIDATION_ERROR', `${subscriberIdString} is not a valid email address`));
    const startedAt = iso(this.now());
    const already = this.unsubscribedEmails.has(email);
    if (!already) this.unsubscribedEmails.set(email, this.now());
    const results = SUBSCRIPTIONS.map((s) => ({
      subscriberIdString,
      subscriptionId: s.id,
      subscriptionName: s.name,
      status: 'NOT_SUBSCRIBED',
      source: 'Public API',
      channel: 'EMAIL',
      legalBasis: null,
      legalBasisExplanation: null,
      setStatusSuccessReason: already ? 'NO_STATUS_CHANGE' : 'UNSUBSCRIBE_FROM_ALL_OCCURRED',
      timestamp: iso(this.unsubscribedEmails.get(email)!),
      businessUnitId: 0,
    }));
    return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt: iso(this.now()) } };
  }

  private unsubscribeAllStatus(subscriberIdString: string, params: URLSearchParams): Reply {
    this.channel(params);
    const at = this.unsubscribedEmails.get(subscriberIdString.trim().toLowerCase());
    const results = at === undefined ? [] : [{ subscriberIdString, channel: 'EMAIL', status: 'NOT_SUBSCRIBED', wideStatusType: 'PORTAL_WIDE', timestamp: iso(at), businessUnitId: 0 }];
    return { status: 200, body: { status: 'COMPLETE', results, startedAt: iso(this.now()), completedAt: iso(this.now()) } };
  }

  // ----- rate limits -------------------------------------------------------------------------------------

  /** Counts the request against both limits, or answers the 429 HubSpot would. */
  private takeRateLimit(): Reply | null {
    const now = this.now();
    const day = Math.floor(now / DAY);
    if (this.dailyHits.day !== day) this.dailyHits = { day, count: 0 };
    this.windowHits = this.windowHits.filter((t) => t > now - TEN_SECONDS);
    if (this.dailyHits.count >= this.limits.daily) {
      this.count.dailyLimited++;
      return this.rateLimitReply('DAILY', 'You have reached your daily limit.');
    }
    if (this.windowHits.length >= this.limits.perTenSeconds) {
      this.count.rateLimited++;
      return this.rateLimitReply('TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.');
    }
    this.windowHits.push(now);
    this.dailyHits.count++;
    return null;
  }

  private rateLimitReply(policyName: 'DAILY' | 'TEN_SECONDLY_ROLLING', message: string): Reply {
    return {
      status: 429,
      headers: this.rateLimitHeaders(),
      body: { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName, groupName: `publicapi:private-app:0:${this.portalId}` },
    };
  }

  private rateLimitHeaders(): Record<string, string> {
    return {
      'X-HubSpot-RateLimit-Daily': String(this.limits.daily),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.limits.daily - this.dailyHits.count)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(TEN_SECONDS),
      'X-HubSpot-RateLimit-Max': String(this.limits.perTenSeconds),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.limits.perTenSeconds - this.windowHits.length)),
    };
  }

  // ----- faults ------------------------------------------------------------------------------------------

  private takeFault(kind: FaultRule['kind'], method: string, path: string): FaultRule | undefined {
    const rule = this.faultRules.find((r) => r.kind === kind && r.remaining > 0 && matches(r.match, method, path));
    if (!rule) return undefined;
    rule.remaining--;
    if (rule.remaining === 0) this.faultRules.splice(this.faultRules.indexOf(rule), 1);
    return rule;
  }

  private rollFailRate(): { status: number } | undefined {
    if (this.failFraction.fraction <= 0) return undefined;
    return this.random() < this.failFraction.fraction ? { status: this.failFraction.status } : undefined;
  }

  private injectedError(status: number, given?: string): Reply {
    const messages: Record<number, [string, string]> = {
      401: ['INVALID_AUTHENTICATION', 'Authentication credentials not found.'],
      // HubSpot's usual 403: a private app without a scope the call needs (e.g. communication preferences for unsubscribes).
      403: ['MISSING_SCOPES', "This app hasn't been granted all required scopes to make this call."],
      409: ['CONFLICT', 'Contact already exists. Existing ID: 1'],
      500: ['INTERNAL_ERROR', 'internal error'],
      502: ['BAD_GATEWAY', 'Bad Gateway'],
      503: ['SERVICE_UNAVAILABLE', 'Service Unavailable'],
      504: ['GATEWAY_TIMEOUT', 'Gateway Timeout'],
    };
    const [category, message] = messages[status] ?? ['INJECTED_FAULT', `injected HTTP ${status}`];
    return this.error(status, category, given ?? message);
  }

  // ----- helpers -----------------------------------------------------------------------------------------

  /** HubSpot's standard error body: `{ status: 'error', message, correlationId, category, ... }`. */
  private error(status: number, category: string, message: string, extra: Record<string, unknown> = {}): Reply {
    return { status, body: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
  }

  private methodNotAllowed(method: string): Reply {
    return this.error(405, 'VALIDATION_ERROR', `HTTP method ${method} is not supported by this resource`);
  }

  private static zeroCounters(): FakeCounters {
    return { requests: 0, rateLimited: 0, dailyLimited: 0, serverErrors: 0, dropped: 0, delayed: 0, unauthorized: 0, batchInputErrors: 0, contactsCreated: 0, contactsUpdated: 0, blanked: 0, backwardLifecycleMoves: 0, merges: 0 };
  }

  /** Unauthenticated `/__fake/*` routes for demos (enabled by `controlRoutes`). */
  private control(method: string, path: string, body: unknown): Reply {
    const input = (body ?? {}) as Record<string, unknown>;
    const num = (k: string) => (typeof input[k] === 'number' ? (input[k] as number) : undefined);
    if (method === 'GET' && path === '/__fake/state') {
      return { status: 200, body: { contacts: this.contacts(), unsubscribed: this.unsubscribed(), purged: this.purged(), counters: this.counters, limits: this.limits } };
    }
    if (method === 'GET' && path === '/__fake/requests') return { status: 200, body: { requests: this.requests } };
    if (method === 'POST' && path === '/__fake/reset') {
      this.reset();
      return { status: 204 };
    }
    if (method === 'POST' && path === '/__fake/faults') {
      // { failNext?, failStatus?, failRate?, failRateStatus?, delayNext?, delayMs?, dropNext?, failEmail?, failEmailMessage?, clear?, perTenSeconds?, daily? }
      if (input.clear === true) this.clearFaults();
      if (num('failNext')) this.failNext(num('failNext')!, num('failStatus') ?? 500);
      if (num('failRate') !== undefined) this.failRate(num('failRate')!, num('failRateStatus') ?? 502);
      if (num('delayNext')) this.delayNext(num('delayNext')!, num('delayMs') ?? 200);
      if (num('dropNext')) this.dropNext(num('dropNext')!);
      if (typeof input.failEmail === 'string') this.failEmail(input.failEmail, typeof input.failEmailMessage === 'string' ? input.failEmailMessage : undefined);
      if (num('perTenSeconds') !== undefined || num('daily') !== undefined) this.setRateLimit({ perTenSeconds: num('perTenSeconds'), daily: num('daily') });
      return { status: 204 };
    }
    return this.error(404, 'OBJECT_NOT_FOUND', `No control route ${method} ${path}`);
  }
}

function matches(match: FaultMatch | undefined, method: string, path: string): boolean {
  if (!match) return true;
  if (match.method && match.method.toUpperCase() !== method) return false;
  if (match.path instanceof RegExp) return match.path.test(path);
  if (typeof match.path === 'string') return path.startsWith(match.path);
  return true;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

/** `properties=a&properties=b` (what the SDK sends) or `properties=a,b` (what people type). */
function listParam(params: URLSearchParams, name: string): string[] | null {
  const values = params.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  return values.length > 0 ? values : null;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
