/**
 * The fake HubSpot, driven by the REAL `@hubspot/api-client` 13.5. Besides proving the fake answers the way
 * the SDK expects, these tests pin down what the SDK itself does with each answer (207, 429, 5xx, dropped
 * connections, slow answers), which is what our sync has to be written against.
 *
 * Every client is built with `numberOfApiCallRetries: 0` so the SDK's own retry decorator stays out of the
 * way (see the last describe block for what that decorator really does).
 */
import { Client } from '@hubspot/api-client';
import {
  BatchResponseSimplePublicUpsertObject,
  BatchResponseSimplePublicUpsertObjectWithErrors,
  FilterOperatorEnum,
  type PromiseConfigurationOptions,
} from '@hubspot/api-client/lib/codegen/crm/contacts';
import { PropertyCreateFieldTypeEnum, PropertyCreateTypeEnum } from '@hubspot/api-client/lib/codegen/crm/properties';
import { Agent } from 'node:http';
import { FakeHubSpot, HS_LEGAL_BASIS_VALUES } from './fake-hubspot';

/** The exception the generated APIs throw for any answer they do not model as a success. */
interface ApiExceptionLike {
  code: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

async function apiError(promise: Promise<unknown>): Promise<ApiExceptionLike> {
  try {
    await promise;
  } catch (err) {
    if (typeof (err as ApiExceptionLike).code === 'number') return err as ApiExceptionLike;
    throw err;
  }
  throw new Error('expected the SDK call to reject');
}

const START = Date.parse('2025-03-03T09:00:00.000Z');
let clock = START;
const fake = new FakeHubSpot({ now: () => clock, seed: 7 });
let baseUrl: string;

function newClient(extra: ConstructorParameters<typeof Client>[0] = {}): Client {
  return new Client({ accessToken: 'test-token', basePath: baseUrl, numberOfApiCallRetries: 0, ...extra });
}

const upsertInput = (email: string, properties: Record<string, string> = {}) => ({ id: email, idProperty: 'email', properties });

/**
 * A per-request deadline, the only kind @hubspot/api-client 13.5 can be given: an http.Agent whose sockets
 * destroy themselves after `ms`, installed through PER-CALL middleware. (The SDK has no timeout option; the
 * client-level `httpAgent` is silently ignored by the generated APIs, and a per-call `httpApi` is ignored too:
 * ObservableAPI always sends through `this.configuration.httpApi`.) With `middlewareMergeStrategy: 'append'`
 * the client's own middleware (User-agent, defaultHeaders) runs as well for that call.
 */
class DeadlineAgent extends Agent {
  constructor(private readonly ms: number) {
    super({ keepAlive: false });
  }
  override createConnection(...args: Parameters<Agent['createConnection']>): ReturnType<Agent['createConnection']> {
    const socket = super.createConnection(...args);
    if (socket) {
      const timer = setTimeout(() => socket.destroy(new Error(`HubSpot request timed out after ${this.ms} ms`)), this.ms);
      socket.once('close', () => clearTimeout(timer));
    }
    return socket;
  }
}

const withDeadline = (ms: number): PromiseConfigurationOptions => {
  const agent = new DeadlineAgent(ms);
  return {
    middleware: [
      {
        pre: async (ctx) => {
          ctx.setAgent(agent);
          return ctx;
        },
        post: async (response) => response,
      },
    ],
    middlewareMergeStrategy: 'append',
  };
};

/** Lets the event loop turn until `condition` holds (what the fake does happens on its own turns). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

beforeAll(async () => {
  baseUrl = (await fake.start()).url;
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  clock = START;
  fake.reset();
});

describe('batch upsert', () => {
  it('creates, then updates by e-mail: 200 with COMPLETE and new=true, then new=false', async () => {
    const client = newClient();
    const created = await client.crm.contacts.batchApi.upsertWithHttpInfo({
      inputs: [upsertInput('Ada@Example.com', { firstname: 'Ada', hs_legal_basis: 'Legitimate interest – prospect/lead' }), upsertInput('bob@example.com', { firstname: 'Bob' })],
    });
    expect(created.httpStatusCode).toBe(200);
    expect(created.data).toBeInstanceOf(BatchResponseSimplePublicUpsertObject);
    expect(created.data.status).toBe('COMPLETE');
    expect(created.data.startedAt).toBeInstanceOf(Date);
    expect(created.data.completedAt.toISOString()).toBe('2025-03-03T09:00:00.000Z');
    // The wire field is `new`; the SDK's model renames it `_new`.
    expect(created.data.results.map((r) => [r.properties.email, r._new])).toEqual([
      ['ada@example.com', true],
      ['bob@example.com', true],
    ]);
    const ada = created.data.results[0]!;
    expect(ada.id).toMatch(/^\d+$/);
    expect(ada.properties).toMatchObject({ firstname: 'Ada', hs_object_id: ada.id, hs_legal_basis: 'Legitimate interest – prospect/lead' });

    clock += 60_000;
    const updated = await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('ADA@example.com', { lastname: 'Lovelace' })] });
    expect(updated.results).toHaveLength(1);
    expect(updated.results[0]!._new).toBe(false);
    expect(updated.results[0]!.id).toBe(ada.id);
    expect(updated.results[0]!.updatedAt.toISOString()).toBe('2025-03-03T09:01:00.000Z');

    expect(fake.contacts()).toHaveLength(2);
    expect(fake.contactByEmail('ada@EXAMPLE.com')).toMatchObject({
      id: ada.id,
      archived: false,
      createdAt: '2025-03-03T09:00:00.000Z',
      updatedAt: '2025-03-03T09:01:00.000Z',
      properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' },
    });
    // What the SDK put on the wire, as the fake received it.
    expect(fake.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/crm/v3/objects/contacts/batch/upsert', 200],
      ['POST', '/crm/v3/objects/contacts/batch/upsert', 200],
    ]);
    expect(fake.requests[1]!.body).toEqual({ inputs: [{ id: 'ADA@example.com', idProperty: 'email', properties: { lastname: 'Lovelace' } }] });
    expect(fake.counters).toMatchObject({ contactsCreated: 2, contactsUpdated: 1 });
  });

  it('207 partial failure: the SDK RESOLVES (no exception); numErrors and errors are on the result', async () => {
    const client = newClient();
    fake.failEmail('poison@example.com', 'Contact is being merged');
    const call = client.crm.contacts.batchApi.upsertWithHttpInfo({
      inputs: [
        upsertInput('ok@example.com', { firstname: 'Okay' }),
        upsertInput('not-an-email', { firstname: 'X' }),
        upsertInput('typo@example.com', { fristname: 'Typo' }),
        upsertInput('basis@example.com', { hs_legal_basis: 'Because we said so' }),
        upsertInput('poison@example.com', { firstname: 'P' }),
      ],
    });
    await expect(call).resolves.toBeDefined();
    const response = await call;
    expect(response.httpStatusCode).toBe(207);
    const result = response.data;
    // The declared type is a union; tell the two apart by class (or by `'numErrors' in result`).
    expect(result).toBeInstanceOf(BatchResponseSimplePublicUpsertObjectWithErrors);
    if (!(result instanceof BatchResponseSimplePublicUpsertObjectWithErrors)) throw new Error('unreachable');
    expect(result.status).toBe('COMPLETE');
    expect(result.numErrors).toBe(4);
    expect(result.results.map((r) => r.properties.email)).toEqual(['ok@example.com']);

    const byId = new Map(result.errors!.map((e) => [e.context.ids![0], e]));
    expect([...byId.keys()]).toEqual(['not-an-email', 'typo@example.com', 'basis@example.com', 'poison@example.com']);
    for (const e of result.errors!) expect(e).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(byId.get('not-an-email')!.message).toContain('Email address not-an-email is invalid');
    expect(byId.get('typo@example.com')!.message).toContain('Property \\"fristname\\" does not exist');
    expect(byId.get('typo@example.com')!.errors[0]).toMatchObject({ code: 'PROPERTY_DOESNT_EXIST', message: 'Property "fristname" does not exist' });
    expect(byId.get('basis@example.com')!.errors[0]).toMatchObject({ code: 'INVALID_OPTION', context: { propertyName: ['hs_legal_basis'] } });
    expect(byId.get('basis@example.com')!.message).toContain('Because we said so was not one of the allowed options');
    expect(byId.get('poison@example.com')!.message).toBe('Contact is being merged');

    // Only the valid input was written.
    expect(fake.contacts().map((c) => c.properties.email)).toEqual(['ok@example.com']);
    expect(fake.counters.batchInputErrors).toBe(4);

    // The plain method resolves too, with the same union type.
    const plain = await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('poison@example.com')] });
    expect('numErrors' in plain && plain.numErrors).toBe(1);
    expect(plain.results).toEqual([]);
  });

  it('accepts every real hs_legal_basis value, several at once joined with ";"', async () => {
    const client = newClient();
    const inputs = HS_LEGAL_BASIS_VALUES.map((basis, i) => upsertInput(`p${i}@example.com`, { hs_legal_basis: basis }));
    inputs.push(upsertInput('multi@example.com', { hs_legal_basis: 'Performance of a contract;Freely given consent from contact' }));
    const result = await client.crm.contacts.batchApi.upsertWithHttpInfo({ inputs });
    expect(result.httpStatusCode).toBe(200);
    expect(fake.contactByEmail('multi@example.com')!.properties.hs_legal_basis).toBe('Performance of a contract;Freely given consent from contact');
    // A plain hyphen where HubSpot has an en dash is rejected.
    const hyphen = await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('hyphen@example.com', { hs_legal_basis: 'Legitimate interest - prospect/lead' })] });
    expect('numErrors' in hyphen && hyphen.numErrors).toBe(1);
  });

  it('rejects a whole batch with 400 for more than 100 inputs or duplicate ids (the SDK throws)', async () => {
    const client = newClient();
    const tooMany = Array.from({ length: 101 }, (_, i) => upsertInput(`n${i}@example.com`));
    const big = await apiError(client.crm.contacts.batchApi.upsert({ inputs: tooMany }));
    expect(big.code).toBe(400);
    expect(big.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    expect(String(big.body.message)).toContain('101');

    const dup = await apiError(client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('a@example.com'), upsertInput('A@example.com')] }));
    expect(dup.code).toBe(400);
    expect(String(dup.body.message)).toContain('Duplicate IDs');
    expect(fake.contacts()).toEqual([]);
  });
});

describe('rate limits', () => {
  it('429 for the ten-second rolling window: ApiException with HubSpot body and headers; the window rolls on the injected clock', async () => {
    const client = newClient();
    fake.setRateLimit({ perTenSeconds: 3 });
    for (let i = 0; i < 3; i++) await client.crm.properties.coreApi.getAll('contacts');

    const err = await apiError(client.crm.properties.coreApi.getAll('contacts'));
    expect(err.code).toBe(429);
    expect(err.body).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      policyName: 'TEN_SECONDLY_ROLLING',
      groupName: expect.stringMatching(/^publicapi:/),
    });
    // node-fetch hands the SDK lower-cased header names.
    expect(err.headers).toMatchObject({
      'x-hubspot-ratelimit-max': '3',
      'x-hubspot-ratelimit-remaining': '0',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-daily': '250000',
      'x-hubspot-ratelimit-daily-remaining': '249997',
    });
    expect(err.headers['retry-after']).toBeUndefined();
    expect(fake.counters.rateLimited).toBe(1);

    clock += 9_999; // the first three hits are still inside the window
    expect((await apiError(client.crm.properties.coreApi.getAll('contacts'))).code).toBe(429);
    clock += 1; // ten seconds after them: they roll out
    const ok = await client.crm.contacts.basicApi.getPageWithHttpInfo();
    expect(ok.httpStatusCode).toBe(200);
    expect(ok.headers['x-hubspot-ratelimit-remaining']).toBe('2');
    expect(ok.headers['x-hubspot-ratelimit-daily-remaining']).toBe('249996');
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 200]);
  });

  it('429 with policyName DAILY once the daily budget is spent, until the next UTC day', async () => {
    const client = newClient();
    fake.setRateLimit({ daily: 2 });
    await client.crm.properties.coreApi.getAll('contacts');
    await client.crm.properties.coreApi.getAll('contacts');
    const err = await apiError(client.crm.properties.coreApi.getAll('contacts'));
    expect(err.code).toBe(429);
    expect(err.body).toMatchObject({ status: 'error', errorType: 'RATE_LIMIT', policyName: 'DAILY', message: 'You have reached your daily limit.' });
    expect(err.headers['x-hubspot-ratelimit-daily-remaining']).toBe('0');
    expect(fake.counters.dailyLimited).toBe(1);

    clock = Date.parse('2025-03-04T00:00:00.000Z');
    await expect(client.crm.properties.coreApi.getAll('contacts')).resolves.toBeDefined();
  });
});

describe('faults', () => {
  it('an injected 500 is an ApiException with code 500; the next call succeeds', async () => {
    const client = newClient();
    fake.failNext(1);
    const err = await apiError(client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('a@example.com')] }));
    expect(err.code).toBe(500);
    expect(err.body).toMatchObject({ status: 'error', category: 'INTERNAL_ERROR', correlationId: expect.any(String) });
    expect(fake.contacts()).toEqual([]); // a failed request writes nothing

    await expect(client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('a@example.com')] })).resolves.toBeDefined();
    expect(fake.counters.serverErrors).toBe(1);
    expect(fake.requests.map((r) => [r.status, r.faults])).toEqual([
      [500, ['fail']],
      [200, []],
    ]);
  });

  it('failNext can target one path and status; failRate is random but repeats for the same seed', async () => {
    const client = newClient();
    fake.failNext(1, 503, { path: '/crm/v3/objects/contacts/batch' });
    await client.crm.properties.coreApi.getAll('contacts'); // not targeted
    expect((await apiError(client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('a@example.com')] }))).code).toBe(503);

    const pattern = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        statuses.push(await client.crm.properties.coreApi.getAll('contacts').then(() => 200, (e: ApiExceptionLike) => e.code));
      }
      return statuses;
    };
    fake.failRate(0.5, 502, 42);
    const first = await pattern();
    fake.failRate(0.5, 502, 42);
    const second = await pattern();
    expect(second).toEqual(first);
    expect(first).toContain(502);
    expect(first).toContain(200);
    fake.failRate(0);
    expect(await pattern()).not.toContain(502);
  });

  it('a dropped connection rejects with node-fetch FetchError (not an ApiException: no code number)', async () => {
    const client = newClient();
    fake.dropNext(1);
    const err = await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('a@example.com')] }).catch((e: Error & { type?: string; code?: unknown }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('FetchError');
    expect((err as { type?: string }).type).toBe('system');
    expect((err as { code?: unknown }).code).toBe('ECONNRESET');
    expect((err as Error).message).toMatch(/socket hang up/);
    expect(fake.contacts()).toEqual([]);
    expect(fake.requests[0]).toMatchObject({ status: 0, faults: ['drop'] });
    expect(fake.counters.dropped).toBe(1);
  });

  it('dropNext({ afterProcessing: true }): the write lands although the client sees a failure', async () => {
    const client = newClient();
    fake.dropNext(1, { afterProcessing: true });
    await expect(client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('ghost@example.com')] })).rejects.toMatchObject({ name: 'FetchError' });
    expect(fake.contactByEmail('ghost@example.com')).toBeDefined();
    // Retrying the same upsert is harmless: it updates the contact the lost answer created.
    const retry = await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('ghost@example.com')] });
    expect(retry.results[0]!._new).toBe(false);
    expect(fake.contacts()).toHaveLength(1);
  });

  it('a delayed answer arrives after a later, undelayed one (held until released: no timing in the assertions)', async () => {
    const client = newClient();
    fake.delayNext(1, 60_000, { path: '/crm/v3/objects/contacts/batch/upsert' });
    let slowSettled = false;
    const slow = client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('slow@example.com')] }).finally(() => {
      slowSettled = true;
    });
    await until(() => fake.counters.delayed === 1); // the slow request is being held
    await client.crm.properties.coreApi.getAll('contacts');
    expect(slowSettled).toBe(false);
    expect(fake.contactByEmail('slow@example.com')).toBeUndefined(); // the work happens when the delay ends

    fake.releaseDelayed();
    const result = await slow;
    expect(result.results[0]!._new).toBe(true);
    const log = fake.requests;
    expect(log.map((r) => [r.seq, r.path])).toEqual([
      [2, '/crm/v3/properties/contacts'],
      [1, '/crm/v3/objects/contacts/batch/upsert'],
    ]);
    expect(log[1]).toMatchObject({ status: 200, faults: ['delay'], delayedMs: 60_000, at: START });
  });

  it('a short real delay (200 ms) ends by itself', async () => {
    const client = newClient();
    fake.delayNext(1, 200);
    await expect(client.crm.properties.coreApi.getAll('contacts')).resolves.toBeDefined();
    expect(fake.requests[0]).toMatchObject({ status: 200, faults: ['delay'], delayedMs: 200 });
  });

  it('reset() abandons held requests: their connections drop and they write nothing', async () => {
    const client = newClient();
    fake.delayNext(1, 60_000);
    const held = client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('held@example.com')] });
    await until(() => fake.counters.delayed === 1);
    fake.reset();
    await expect(held).rejects.toMatchObject({ name: 'FetchError' });
    expect(fake.contacts()).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it('a per-request deadline (agent set by per-call middleware) rejects a held request; the write still lands later', async () => {
    const client = newClient();
    fake.delayNext(1, 10_000); // held far beyond the deadline; released by hand below, so the test never waits for it
    const call = client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('late@example.com')] }, withDeadline(100));
    await expect(call).rejects.toMatchObject({ name: 'FetchError', type: 'system', message: expect.stringContaining('HubSpot request timed out after 100 ms') });
    expect(fake.contactByEmail('late@example.com')).toBeUndefined();

    fake.releaseDelayed(); // the server finishes the work the client gave up on
    await until(() => fake.requests.length === 1);
    expect(fake.contactByEmail('late@example.com')).toBeDefined();
  });
});

describe('contacts', () => {
  it('GDPR purge by e-mail or id: 204, the SDK resolves undefined, the contact is gone', async () => {
    const client = newClient();
    const a = fake.seedContact({ email: 'erase-me@example.com', firstname: 'E' });
    const b = fake.seedContact({ email: 'by-id@example.com' });
    await expect(client.crm.contacts.basicApi.purge({ objectId: 'Erase-Me@example.com', idProperty: 'email' })).resolves.toBeUndefined();
    await expect(client.crm.contacts.basicApi.purge({ objectId: b.id })).resolves.toBeUndefined();
    expect(fake.contacts()).toEqual([]);
    // An unknown address is block-listed by HubSpot: same 204.
    await expect(client.crm.contacts.basicApi.purge({ objectId: 'never-seen@example.com', idProperty: 'email' })).resolves.toBeUndefined();
    expect(fake.purged()).toEqual([
      { email: 'erase-me@example.com', contactId: a.id, existed: true },
      { email: 'by-id@example.com', contactId: b.id, existed: true },
      { email: 'never-seen@example.com', contactId: null, existed: false },
    ]);
    expect(fake.requests.map((r) => [r.method, r.path, r.status])).toEqual(Array(3).fill(['POST', '/crm/v3/objects/contacts/gdpr-delete', 204]));
    // An unknown numeric id is a 404.
    expect((await apiError(client.crm.contacts.basicApi.purge({ objectId: '999' }))).code).toBe(404);
  });

  it('batch update by id: changes the address on the same contact, 207 OBJECT_NOT_FOUND names an unknown id, an empty value clears', async () => {
    const client = newClient();
    const a = fake.seedContact({ email: 'old@example.com', jobtitle: 'CTO', city: 'Oslo' });
    const answer = await client.crm.contacts.batchApi.update({
      inputs: [
        { id: a.id, properties: { email: 'new@example.com', jobtitle: '' } },
        { id: '999999', properties: { firstname: 'X' } },
      ],
    });
    expect(answer).toMatchObject({ status: 'COMPLETE', results: [{ id: a.id }], errors: [{ category: 'OBJECT_NOT_FOUND', context: { ids: ['999999'] } }] });
    expect(fake.contactByEmail('new@example.com')!.id).toBe(a.id);
    expect(fake.contactByEmail('old@example.com')).toBeUndefined();
    expect(fake.contactById(a.id)!.properties).toMatchObject({ city: 'Oslo' });
    expect(fake.contactById(a.id)!.properties.jobtitle).toBeUndefined();
    expect(fake.counters.blanked).toBe(1);
  });

  it('batch update to an address another contact has: 207 CONFLICT in HubSpot’s words, naming the other contact’s id, not the address', async () => {
    const client = newClient();
    const a = fake.seedContact({ email: 'mine@example.com' });
    const b = fake.seedContact({ email: 'taken@example.com' });
    const answer = await client.crm.contacts.batchApi.update({ inputs: [{ id: a.id, properties: { email: 'taken@example.com' } }] });
    expect(answer).toMatchObject({ results: [], errors: [{ category: 'CONFLICT', message: `Contact already exists. Existing ID: ${b.id}`, context: { ids: [a.id] } }] });
    expect(JSON.stringify(answer)).not.toContain('taken@example.com');
    expect(fake.contactById(a.id)!.properties.email).toBe('mine@example.com');
  });

  it('merge: a new record with a new id keeps the primary’s values, takes the other’s where it has none, and answers for both old ids and addresses', async () => {
    const client = newClient();
    const primary = fake.seedContact({ email: 'primary@example.com', firstname: 'P' });
    const other = fake.seedContact({ email: 'other@example.com', firstname: 'O', city: 'Bergen' });
    const merged = await client.crm.contacts.basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: other.id });
    expect([primary.id, other.id]).not.toContain(merged.id);
    expect(fake.contacts()).toHaveLength(1);
    expect(fake.contactById(merged.id)!.properties).toMatchObject({ firstname: 'P', city: 'Bergen', hs_additional_emails: 'other@example.com' });
    expect(fake.contactById(primary.id)!.id).toBe(merged.id);
    expect(fake.contactById(other.id)!.id).toBe(merged.id);
    expect(fake.contactByEmail('other@example.com')!.id).toBe(merged.id);
    expect((await apiError(client.crm.contacts.basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: other.id }))).code).toBe(400);
    expect((await apiError(client.crm.contacts.basicApi.merge({ primaryObjectId: primary.id, objectIdToMerge: '424242' }))).code).toBe(404);
  });

  it('a backward lifecycle move is ignored silently, as HubSpot does; a forward one lands', async () => {
    const client = newClient();
    fake.seedContact({ email: 'stage@example.com', lifecyclestage: 'opportunity' });
    await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('stage@example.com', { lifecyclestage: 'lead' })] });
    expect(fake.contactByEmail('stage@example.com')!.properties.lifecyclestage).toBe('opportunity');
    expect(fake.counters.backwardLifecycleMoves).toBe(1);
    await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('stage@example.com', { lifecyclestage: 'customer' })] });
    expect(fake.contactByEmail('stage@example.com')!.properties.lifecyclestage).toBe('customer');
  });

  it('failEmail({ named: false }): a 207 whose error names no input', async () => {
    const client = newClient();
    fake.failEmail('anon@example.com', 'Something went wrong', 'VALIDATION_ERROR', { named: false });
    const answer = (await client.crm.contacts.batchApi.upsert({ inputs: [upsertInput('anon@example.com'), upsertInput('fine@example.com')] })) as BatchResponseSimplePublicUpsertObjectWithErrors;
    expect(answer.results.map((r) => r.properties.email)).toEqual(['fine@example.com']);
    expect(answer.errors).toEqual([expect.objectContaining({ message: 'Something went wrong', context: {} })]);
  });

  it('gets a contact by e-mail with idProperty=email; 404 when there is none', async () => {
    const client = newClient();
    const seeded = fake.seedContact({ email: 'ada@example.com', firstname: 'Ada', hs_legal_basis: 'Not applicable' });
    const contact = await client.crm.contacts.basicApi.getById('ADA@example.com', ['firstname', 'hs_legal_basis', 'phone'], undefined, undefined, false, 'email');
    expect(contact.id).toBe(seeded.id);
    expect(contact.properties).toEqual({
      firstname: 'Ada',
      hs_legal_basis: 'Not applicable',
      phone: null,
      createdate: '2025-03-03T09:00:00.000Z',
      hs_object_id: seeded.id,
      lastmodifieddate: '2025-03-03T09:00:00.000Z',
    });
    expect(fake.requests[0]).toMatchObject({ path: '/crm/v3/objects/contacts/ADA%40example.com', query: { properties: ['firstname', 'hs_legal_basis', 'phone'], archived: 'false', idProperty: 'email' } });

    const byId = await client.crm.contacts.basicApi.getById(seeded.id);
    expect(byId.properties.email).toBe('ada@example.com');

    const missing = await apiError(client.crm.contacts.basicApi.getById('nobody@example.com', undefined, undefined, undefined, false, 'email'));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
  });

  it('searches with an EQ filter on email (case-insensitive)', async () => {
    const client = newClient();
    const seeded = fake.seedContact({ email: 'ada@example.com', firstname: 'Ada' });
    fake.seedContact({ email: 'bob@example.com', firstname: 'Bob' });
    const found = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: FilterOperatorEnum.Eq, value: 'Ada@Example.com' }] }],
      properties: ['email', 'firstname'],
      limit: 10,
    });
    expect(found.total).toBe(1);
    expect(found.results[0]!.id).toBe(seeded.id);
    expect(found.results[0]!.properties).toMatchObject({ email: 'ada@example.com', firstname: 'Ada' });
    const none = await client.crm.contacts.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'email', operator: FilterOperatorEnum.Eq, value: 'zed@example.com' }] }] });
    expect(none).toMatchObject({ total: 0, results: [] });
  });
});

describe('properties', () => {
  it('lists the built-in hs_legal_basis enumeration with HubSpot labels and values (en dashes included)', async () => {
    const client = newClient();
    const all = await client.crm.properties.coreApi.getAll('contacts');
    const legal = all.results.find((p) => p.name === 'hs_legal_basis');
    expect(legal).toMatchObject({ type: 'enumeration', fieldType: 'checkbox', hubspotDefined: true });
    expect(legal!.options.map((o) => [o.label, o.value])).toEqual(HS_LEGAL_BASIS_VALUES.map((v) => [v, v]));
    expect(legal!.options[0]!.value).toBe('Legitimate interest \u2013 prospect/lead');
    expect(legal!.options[1]!.value).toBe('Legitimate interest \u2013 existing customer');

    const one = await client.crm.properties.coreApi.getByName('contacts', 'hs_legal_basis');
    expect(one.options).toHaveLength(6);
    expect((await apiError(client.crm.properties.coreApi.getByName('contacts', 'no_such_property'))).code).toBe(404);
  });

  it('creates a group and a property (201), 409 on the second create; the new property is writable', async () => {
    const client = newClient();
    const group = await client.crm.properties.groupsApi.create('contacts', { name: 'lead_intake', label: 'Lead intake', displayOrder: 5 });
    expect(group).toMatchObject({ name: 'lead_intake', label: 'Lead intake', archived: false });
    expect((await client.crm.properties.groupsApi.getAll('contacts')).results.map((g) => g.name)).toContain('lead_intake');
    const groupAgain = await apiError(client.crm.properties.groupsApi.create('contacts', { name: 'lead_intake', label: 'Again' }));
    expect(groupAgain.code).toBe(409);

    const definition = {
      name: 'crm_lead_source',
      label: 'Lead source (CRM)',
      type: PropertyCreateTypeEnum.Enumeration,
      fieldType: PropertyCreateFieldTypeEnum.Select,
      groupName: 'lead_intake',
      options: [
        { label: 'Web form', value: 'web_form', hidden: false },
        { label: 'Chatbot', value: 'chatbot', hidden: false },
      ],
    };
    const created = await client.crm.properties.coreApi.create('contacts', definition);
    expect(created).toMatchObject({ name: 'crm_lead_source', type: 'enumeration', groupName: 'lead_intake' });
    expect(created.options.map((o) => o.value)).toEqual(['web_form', 'chatbot']);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/crm/v3/properties/contacts', status: 201 });

    const again = await apiError(client.crm.properties.coreApi.create('contacts', definition));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({ status: 'error', category: 'OBJECT_ALREADY_EXISTS', message: "Property named 'crm_lead_source' already exists." });

    const write = await client.crm.contacts.batchApi.upsertWithHttpInfo({ inputs: [upsertInput('a@example.com', { crm_lead_source: 'chatbot' })] });
    expect(write.httpStatusCode).toBe(200);
    const wrong = await client.crm.contacts.batchApi.upsertWithHttpInfo({ inputs: [upsertInput('b@example.com', { crm_lead_source: 'fax' })] });
    expect(wrong.httpStatusCode).toBe(207);
  });
});

describe('properties, changed by others', () => {
  it('PATCH a property: given fields replace, options replace the whole list; 404 for an unknown one', async () => {
    const client = newClient();
    fake.seedProperty({ name: 'crm_choice', type: 'enumeration', fieldType: 'select', options: [{ label: 'A', value: 'a', description: '', displayOrder: 0, hidden: false }] });
    const updated = await client.crm.properties.coreApi.update('contacts', 'crm_choice', {
      label: 'Choice',
      options: [
        { label: 'A', value: 'a', displayOrder: 0, hidden: false },
        { label: 'B', value: 'b', displayOrder: 1, hidden: false },
      ],
    });
    expect(updated).toMatchObject({ name: 'crm_choice', label: 'Choice', type: 'enumeration' });
    expect(fake.property('crm_choice')!.options.map((o) => o.value)).toEqual(['a', 'b']);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: '/crm/v3/properties/contacts/crm_choice', status: 200 });
    expect((await apiError(client.crm.properties.coreApi.update('contacts', 'no_such_property', { label: 'x' }))).code).toBe(404);
  });

  it('beforeNext runs an action before the next matching request is carried out: a create that raced another gets 409', async () => {
    const client = newClient();
    fake.beforeNext({ method: 'POST', path: '/crm/v3/properties/contacts/groups' }, () => fake.seedProperty({ name: 'unrelated', type: 'string', fieldType: 'text', groupName: 'lead_intake' }));
    const error = await apiError(client.crm.properties.groupsApi.create('contacts', { name: 'lead_intake', label: 'Lead intake' }));
    expect(error).toMatchObject({ code: 409, body: { category: 'OBJECT_ALREADY_EXISTS' } });
    expect(fake.property('unrelated')).toBeDefined();
  });
});

describe('communication preferences v4 (not in SDK 13.5: sent through client.apiRequest)', () => {
  it('unsubscribe-all records the address; apiRequest returns the raw fetch Response and never throws on 4xx', async () => {
    const client = newClient();
    const unsubscribe = (email: string, qs: Record<string, string> = { channel: 'EMAIL' }) =>
      client.apiRequest({ method: 'POST', path: `/communication-preferences/v4/statuses/${encodeURIComponent(email)}/unsubscribe-all`, qs });

    const first = await unsubscribe('Ada@Example.com');
    expect(first.status).toBe(200);
    const body = (await first.json()) as { status: string; results: { status: string; channel: string; setStatusSuccessReason: string }[] };
    expect(body.status).toBe('COMPLETE');
    expect(body.results[0]).toMatchObject({ status: 'NOT_SUBSCRIBED', channel: 'EMAIL', setStatusSuccessReason: 'UNSUBSCRIBE_FROM_ALL_OCCURRED' });
    const again = (await (await unsubscribe('ada@example.com')).json()) as typeof body;
    expect(again.results[0]!.setStatusSuccessReason).toBe('NO_STATUS_CHANGE');
    expect(fake.unsubscribed()).toEqual(['ada@example.com']);
    expect(fake.requests[0]).toMatchObject({ path: '/communication-preferences/v4/statuses/Ada%40Example.com/unsubscribe-all', query: { channel: 'EMAIL' }, status: 200 });

    const noChannel = await unsubscribe('bob@example.com', {});
    expect(noChannel.ok).toBe(false);
    expect(noChannel.status).toBe(400);
    expect(fake.unsubscribed()).toEqual(['ada@example.com']);
  });
});

describe('authentication', () => {
  it('401 in HubSpot shape without a bearer token (and nothing is counted against the limits)', async () => {
    const anonymous = new Client({ basePath: baseUrl, numberOfApiCallRetries: 0 });
    const err = await apiError(anonymous.crm.contacts.batchApi.upsert({ inputs: [upsertInput('a@example.com')] }));
    expect(err.code).toBe(401);
    expect(err.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION', message: expect.stringContaining('Authentication credentials not found'), correlationId: expect.any(String) });
    expect(err.headers['x-hubspot-ratelimit-remaining']).toBeUndefined();
    expect(fake.contacts()).toEqual([]);
    expect(fake.counters.unauthorized).toBe(1);

    const raw = await anonymous.apiRequest({ path: '/crm/v3/properties/contacts' });
    expect(raw.status).toBe(401);
  });

  it('accepts only the configured token when one is given', async () => {
    const strict = new FakeHubSpot({ accessToken: 'right' });
    const { url } = await strict.start();
    try {
      const wrong = new Client({ accessToken: 'wrong', basePath: url, numberOfApiCallRetries: 0 });
      expect((await apiError(wrong.crm.properties.coreApi.getAll('contacts'))).code).toBe(401);
      const right = new Client({ accessToken: 'right', basePath: url, numberOfApiCallRetries: 0 });
      await expect(right.crm.properties.coreApi.getAll('contacts')).resolves.toBeDefined();
    } finally {
      await strict.stop();
    }
  });
});

describe('SDK 13.5 behaviour worth knowing (pinned here so an upgrade that changes it fails loudly)', () => {
  let consoleError: jest.SpyInstance;
  beforeEach(() => {
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined); // the retry decorator logs each retry
  });
  afterEach(() => consoleError.mockRestore());

  it('client-level middleware, defaultHeaders and httpAgent never reach the generated APIs (apiRequest does send the SDK User-agent)', async () => {
    const client = newClient({ defaultHeaders: { 'X-Trace': 'abc' }, httpAgent: new DeadlineAgent(1) });
    // A 1 ms deadline agent would fail every call if it were used: it is not.
    await client.crm.properties.coreApi.getAll('contacts');
    expect(fake.requests[0]!.userAgent).toMatch(/^node-fetch\//);
    await (await client.apiRequest({ path: '/crm/v3/properties/contacts' })).text();
    expect(fake.requests[1]!.userAgent).toBe('hubspot-api-client-nodejs; 13.5.0');
  });

  it('numberOfApiCallRetries counts attempts, not retries: 1 never retries, 2 retries a 5xx once', async () => {
    const one = newClient({ numberOfApiCallRetries: 1 }).crm.contacts; // decorators are captured when .crm.contacts is first read
    fake.failNext(1);
    expect((await apiError(one.basicApi.getPage())).code).toBe(500);

    const two = newClient({ numberOfApiCallRetries: 2 }).crm.contacts;
    fake.failNext(1);
    await expect(two.basicApi.getPage()).resolves.toBeDefined();
    expect(fake.requests.map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('retry settings are process-global: a Client built later changes the APIs an earlier Client builds afterwards', async () => {
    const retrying = newClient({ numberOfApiCallRetries: 2 });
    newClient({ numberOfApiCallRetries: 0 }); // e.g. another module's client
    fake.failNext(1);
    expect((await apiError(retrying.crm.contacts.basicApi.getPage())).code).toBe(500); // no retry happened
  });
});
