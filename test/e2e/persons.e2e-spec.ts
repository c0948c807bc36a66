import { DataSource } from 'typeorm';
import { MASKED } from '../../src/audit/audit.service';
import type { LifecycleStatus } from '../../src/domain/lifecycle';
import { PolicyService } from '../../src/policy/policy.service';
import type { PersonSeed } from '../factory';
import { startTestApp, type TestApp } from '../helpers/app';
import { importAttendees } from '../helpers/events';

type User = { id: string; email: string; token: string };
type Item = { id: string; [k: string]: unknown };
type AuditItem = { id: string; action: string; actorType: string; actorId: string | null; entityId: string; changes: Record<string, { before: unknown; after: unknown }> | null };

const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const iso = (s: string) => new Date(s).toISOString();
/** The same instant `years` calendar years later (UTC); the seeds avoid 29 February. */
const plusYears = (at: string, years: number) => {
  const d = new Date(at);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString();
};
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

describe('the staff leads API (/api/persons)', () => {
  let t: TestApp;
  let db: DataSource;
  let policy: PolicyService;
  let sales: User;
  let sales2: User;
  let manager: User;
  let admin: User;
  let eventStaff: User;
  let dpo: User;

  beforeAll(async () => {
    t = await startTestApp({ env: { JOBS_ENABLED: 'true' } }); // imports run as pg-boss jobs
    db = t.owner;
    policy = t.app.get(PolicyService);
    [sales, sales2, manager, admin, eventStaff, dpo] = [
      await t.userWith('sales'),
      await t.userWith('sales'),
      await t.userWith('account_manager'),
      await t.userWith('admin'),
      await t.userWith('event_staff'),
      await t.userWith('dpo'),
    ];
  });
  afterAll(() => t.close());

  /** A lead as a channel hands it over; without an e-mail given, one known by phone or name only. */
  const seed = (input: PersonSeed) => t.make.person({ ...input, email: input.email ?? null });

  const detail = async (id: string, token = sales.token) => (await t.http().get(`/api/persons/${id}`).set(as(token)).expect(200)).body;
  const auditFor = async (entityId: string): Promise<AuditItem[]> =>
    (await t.http().get(`/api/audit?entityType=person&entityId=${entityId}&limit=200`).set(as(admin.token)).expect(200)).body.items;
  const personRow = async (id: string) => (await db.query(`SELECT * FROM person WHERE id = $1`, [id]))[0];
  const attached = async (id: string) =>
    (await db.query(
      `SELECT (SELECT count(*)::int FROM capture WHERE person_id = $1) AS captures,
              (SELECT count(*)::int FROM consent_event WHERE person_id = $1) AS "consentEvents",
              (SELECT count(*)::int FROM activity WHERE person_id = $1) AS activities`,
      [id],
    ))[0] as { captures: number; consentEvents: number; activities: number };

  it('[SEC-ACCESS] sales, account managers and admins work leads; event staff and the DPO may not; no token is 401', async () => {
    await t.http().get('/api/persons').expect(401);
    for (const user of [sales, manager, admin]) await t.http().get('/api/persons').set(as(user.token)).expect(200);
    for (const user of [eventStaff, dpo]) await t.http().get('/api/persons').set(as(user.token)).expect(403);
  });

  // Runs first among the data tests: while it runs, the database holds only these eight people.
  describe('list: filters, search, sorting, cursor pagination', () => {
    const P: Record<string, string> = {};
    let acmeId: string;

    interface ListSeed extends PersonSeed {
      key: string;
      status: LifecycleStatus;
      createdAt: string;
      updatedAt: string;
      owned?: boolean;
      acme?: boolean;
    }
    const SEEDS: ListSeed[] = [
      { key: 'A', firstName: 'Kari', lastName: 'Nordmann', email: 'kari.nordmann@fjord.example', companyName: 'Fjord Analytics AS', source: 'web_form', inquiryType: 'expert_take', consents: ['service_updates', 'request_contact'], status: 'new', createdAt: '2025-01-01T10:00:00Z', updatedAt: '2025-06-05T10:00:00Z' },
      { key: 'B', firstName: 'Ola', lastName: 'Hansen', email: 'ola@bergen-data.example', companyName: 'Bergen Data', source: 'email', inquiryType: 'other', consents: ['request_contact'], status: 'contacted', createdAt: '2025-02-01T10:00:00Z', updatedAt: '2025-06-01T10:00:00Z' },
      { key: 'C', firstName: 'Ingrid', lastName: 'Berg', email: 'ingrid.berg@nordlys.example', companyName: 'Nordlys Consulting', source: 'chatbot', inquiryType: 'demo', status: 'qualified', owned: true, createdAt: '2025-03-01T10:00:00Z', updatedAt: '2025-06-03T10:00:00Z' },
      { key: 'D', firstName: 'Per', lastName: 'Olsen', phone: '+4791111111', companyName: 'Fjord Shipping', source: 'phone', inquiryType: 'services', status: 'disqualified', owned: true, createdAt: '2025-03-01T10:00:00Z', updatedAt: '2025-06-03T10:00:00Z' },
      { key: 'E', firstName: 'Anne', lastName: 'Nordli', email: 'anne@example.org', source: 'web_form', inquiryType: 'other', consents: ['other_services_ask'], status: 'new', acme: true, createdAt: '2025-04-01T10:00:00Z', updatedAt: '2025-06-02T10:00:00Z' },
      { key: 'F', firstName: 'Ingrid', lastName: 'Berg', email: 'ingrid@second.example', companyName: 'Second AS', source: 'web_form', inquiryType: 'white_paper', status: 'new', createdAt: '2025-03-01T10:00:00Z', updatedAt: '2025-06-04T10:00:00Z' },
      { key: 'G', firstName: 'Zoe', lastName: 'Aasen', email: 'zoe@aasen.example', companyName: 'Aasen & Co', source: 'chatbot', inquiryType: 'other', status: 'contacted', createdAt: '2024-12-01T10:00:00Z', updatedAt: '2025-06-06T10:00:00Z' },
      { key: 'H', firstName: 'Lars', lastName: 'Vik', email: 'lars.vik@vik.example', companyName: 'Vik_Percent%', source: 'web_form', inquiryType: 'other', status: 'qualified', createdAt: '2025-05-01T10:00:00Z', updatedAt: '2025-06-01T10:00:00Z' },
    ];
    const keysOf = (items: Item[]) => items.map((i) => Object.keys(P).find((k) => P[k] === i.id) ?? `unknown:${i.id}`);
    const setOf = (items: Item[]) => keysOf(items).sort();
    const list = async (query: string, token = sales.token) => (await t.http().get(`/api/persons?${query}`).set(as(token)).expect(200)).body as { items: Item[]; nextCursor: string | null };
    /** Keys in (value, id) order, as the API must sort them. */
    const ordered = (value: (s: ListSeed) => string, descending = false) => {
      const sorted = [...SEEDS].sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : byId(P[a.key], P[b.key])));
      return (descending ? sorted.reverse() : sorted).map((s) => s.key);
    };

    beforeAll(async () => {
      [{ id: acmeId }] = await db.query(`INSERT INTO company (name, domain) VALUES ('Acme AS', 'acme.example') RETURNING id`);
      for (const s of SEEDS) {
        const { personId } = await seed({ ...s, ownerId: s.owned ? sales.id : null, receivedAt: s.createdAt });
        P[s.key] = personId;
        await db.query(`UPDATE person SET status = $2, company_id = $3, created_at = $4, updated_at = $5 WHERE id = $1`, [personId, s.status, s.acme ? acmeId : null, s.createdAt, s.updatedAt]);
      }
    });

    it('without filters lists everyone, newest first by default', async () => {
      const res = await list('');
      expect(keysOf(res.items)).toEqual(ordered((s) => iso(s.createdAt), true));
      expect(res.nextCursor).toBeNull();
      expect(res.items.find((i) => i.id === P.A)).toMatchObject({ firstName: 'Kari', lastName: 'Nordmann', email: 'kari.nordmann@fjord.example', companyName: 'Fjord Analytics AS', status: 'new', ownerId: null, createdAt: iso('2025-01-01T10:00:00Z') });
      expect(res.items.find((i) => i.id === P.D)).toMatchObject({ email: null, phone: '+4791111111', ownerId: sales.id, status: 'disqualified' });
    });

    it('each row carries its latest capture’s inquiry type and the first 200 characters of its request', async () => {
      await db.query(`UPDATE capture SET request = $2 WHERE person_id = $1`, [P.B, `Please call me back. ${'x'.repeat(300)}`]);
      const items = (await list('')).items as (Item & { latestRequest: string | null; latestInquiryType: string | null })[];
      const b = items.find((i) => i.id === P.B)!;
      expect(b.latestInquiryType).toBe('other');
      expect(b.latestRequest).toHaveLength(200);
      expect(b.latestRequest!.startsWith('Please call me back.')).toBe(true);
      expect(items.find((i) => i.id === P.C)!.latestInquiryType).toBe('demo');
    });

    it('filters by status, one or several (comma-separated)', async () => {
      expect(setOf((await list('status=qualified')).items)).toEqual(['C', 'H']);
      expect(setOf((await list('status=new,contacted')).items)).toEqual(['A', 'B', 'E', 'F', 'G']);
      expect(setOf((await list('status=new&status=disqualified')).items)).toEqual(['A', 'D', 'E', 'F']);
      expect(setOf((await list('status=customer')).items)).toEqual([]);
    });

    it('filters by source (a capture from that channel), owner and company', async () => {
      expect(setOf((await list('source=web_form')).items)).toEqual(['A', 'E', 'F', 'H']);
      expect(setOf((await list('source=email')).items)).toEqual(['B']);
      expect(setOf((await list('source=chatbot')).items)).toEqual(['C', 'G']);
      expect(setOf((await list('source=phone')).items)).toEqual(['D']);
      expect(setOf((await list(`ownerId=${sales.id}`)).items)).toEqual(['C', 'D']);
      expect(setOf((await list(`ownerId=${sales2.id}`)).items)).toEqual([]);
      expect(setOf((await list(`companyId=${acmeId}`)).items)).toEqual(['E']);
    });

    it('filters by creation time: createdFrom inclusive, createdTo exclusive', async () => {
      expect(setOf((await list('createdFrom=2025-02-01T10:00:00.000Z&createdTo=2025-03-01T10:00:00.000Z')).items)).toEqual(['B']);
      expect(setOf((await list('createdFrom=2025-03-01T10:00:00.000Z')).items)).toEqual(['C', 'D', 'E', 'F', 'H']);
      expect(setOf((await list('createdTo=2025-01-01T10:00:00.001Z')).items)).toEqual(['A', 'G']);
    });

    it('[CONSENT-WITHDRAW] filters by consent purpose on the current state: a later withdrawal removes the person', async () => {
      expect(setOf((await list('consentPurpose=request_contact')).items)).toEqual(['A', 'B']);
      expect(setOf((await list('consentPurpose=service_updates')).items)).toEqual(['A']);
      expect(setOf((await list('consentPurpose=other_services_ask')).items)).toEqual(['E']);

      await db.query(
        `INSERT INTO consent_event (person_id, purpose, action, source, policy_version, wording, actor_type) VALUES ($1, 'request_contact', 'withdrawn', 'email', 'en-1', $2, 'system')`,
        [P.A, policy.consentWording('request_contact', 'en-1')],
      );
      expect(setOf((await list('consentPurpose=request_contact')).items)).toEqual(['B']);
      expect(setOf((await list('consentPurpose=service_updates')).items)).toEqual(['A']); // the other purpose stands
    });

    it('[LB-CONTRACT][LB-LEGIT][LB-CONSENT] filters by the legal basis any capture is processed on', async () => {
      expect(setOf((await list('legalBasis=contract')).items)).toEqual(['A', 'D']); // expert_take, services
      expect(setOf((await list('legalBasis=consent')).items)).toEqual(['A', 'B', 'E']);
      expect(setOf((await list('legalBasis=legitimate_interest')).items)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']);
    });

    it('searches name, e-mail and company with q: partial and case-insensitive; LIKE wildcards are literal', async () => {
      expect(setOf((await list('q=NORD')).items)).toEqual(['A', 'C', 'E']); // Nordmann, nordlys.example, Nordli
      expect(setOf((await list('q=fjord')).items)).toEqual(['A', 'D']); // e-mail domain and company; company alone for D
      expect(setOf((await list('q=BERGEN-data')).items)).toEqual(['B']);
      expect(setOf((await list(`q=${encodeURIComponent('kari nord')}`)).items)).toEqual(['A']);
      expect(setOf((await list(`q=${encodeURIComponent('  aasen & co ')}`)).items)).toEqual(['G']);
      expect(setOf((await list(`q=${encodeURIComponent('t%')}`)).items)).toEqual(['H']);
      expect(setOf((await list(`q=${encodeURIComponent('%%')}`)).items)).toEqual([]);
      expect(setOf((await list(`q=${encodeURIComponent('k_p')}`)).items)).toEqual(['H']);
      expect(setOf((await list(`q=${encodeURIComponent('a_')}`)).items)).toEqual([]);
    });

    it('combines filters', async () => {
      expect(setOf((await list('status=new&source=web_form&q=berg')).items)).toEqual(['F']);
      expect(setOf((await list(`status=qualified,disqualified&ownerId=${sales.id}&legalBasis=contract`)).items)).toEqual(['D']);
    });

    it('sorts by name, createdAt and updatedAt either way, with the id breaking ties', async () => {
      const name = (s: ListSeed) => `${s.lastName} ${s.firstName}`.toLowerCase();
      expect(keysOf((await list('sort=name')).items)).toEqual(ordered(name));
      expect(ordered(name)[0]).toBe('G');
      expect(keysOf((await list('sort=-name')).items)).toEqual(ordered(name, true));
      expect(keysOf((await list('sort=-createdAt')).items)).toEqual(ordered((s) => iso(s.createdAt), true));
      expect(keysOf((await list('sort=createdAt')).items)).toEqual(ordered((s) => iso(s.createdAt)));
      expect(keysOf((await list('sort=updatedAt')).items)).toEqual(ordered((s) => iso(s.updatedAt)));
      expect(keysOf((await list('sort=-updatedAt')).items)).toEqual(ordered((s) => iso(s.updatedAt), true));
    });

    it('cursor pagination with a small limit visits every matching person exactly once, in order, under every sort', async () => {
      for (const [sort, filter, limit] of [
        ['name', '', 3], ['-name', '', 2], ['createdAt', '', 2], ['-createdAt', '', 3], ['updatedAt', '', 1], ['-updatedAt', '', 3],
        ['name', 'status=new,contacted', 2], ['-createdAt', 'legalBasis=legitimate_interest', 2],
      ] as const) {
        const all = keysOf((await list(`sort=${sort}&limit=200&${filter}`)).items);
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: { items: Item[]; nextCursor: string | null } = await list(`sort=${sort}&limit=${limit}&${filter}${cursor ? `&cursor=${cursor}` : ''}`);
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...keysOf(page.items));
          cursor = page.nextCursor;
          if (++pages > 20) throw new Error(`pagination with sort=${sort} does not end`);
        } while (cursor);
        expect({ sort, filter, seen }).toEqual({ sort, filter, seen: all });
        expect(new Set(seen).size).toBe(seen.length);
        expect(pages).toBe(Math.max(1, Math.ceil(all.length / limit)));
      }
      expect(keysOf((await list('sort=name&status=new,contacted')).items)).toEqual(['G', 'F', 'B', 'E', 'A']);
    });

    it('a cursor this service did not issue is 400', async () => {
      for (const cursor of ['definitely-not-a-cursor', cursorOf({ after: 'x' }), cursorOf(['yesterday', 'not-a-uuid']), cursorOf(['not-a-time', '3f1c2a9e-8b7d-4c6e-9f00-1234567890ab']), cursorOf(['2025-02-30 10:00:00+00', '3f1c2a9e-8b7d-4c6e-9f00-1234567890ab']), cursorOf([1, 2]), cursorOf(['2025-01-01 10:00:00+00'])]) {
        const res = await t.http().get(`/api/persons?cursor=${cursor}`).set(as(sales.token));
        expect({ cursor, status: res.status }).toEqual({ cursor, status: 400 });
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(res.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
      }
    });

    it('bad filter values are 422 naming the field', async () => {
      for (const [query, field] of [
        ['status=new,bogus', 'status'],
        ['source=fax', 'source'],
        ['ownerId=not-a-uuid', 'ownerId'],
        ['companyId=42', 'companyId'],
        ['createdFrom=yesterday', 'createdFrom'],
        ['createdTo=2025-13-45', 'createdTo'],
        ['consentPurpose=newsletter', 'consentPurpose'],
        ['legalBasis=gdpr', 'legalBasis'],
        ['q=x', 'q'],
        ['sort=email', 'sort'],
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['color=red', 'color'],
      ] as const) {
        const res = await t.http().get(`/api/persons?${query}`).set(as(sales.token));
        expect({ query, status: res.status }).toEqual({ query, status: 422 });
        expect(res.headers['content-type']).toMatch(/problem\+json/);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining([field]));
        expect(res.body.errors.every((e: { field: string }) => e.field === field)).toBe(true);
      }
    });
  });

  describe('detail', () => {
    let personId: string;
    let formCapture: string;
    let mailCapture: string;

    beforeAll(async () => {
      ({ personId, captureId: formCapture } = await seed({
        firstName: 'Dina', lastName: 'Detalj', email: 'dina.detalj@example.test', phone: '+4791234501', companyName: 'Detalj AS',
        source: 'web_form', inquiryType: 'expert_take', consents: ['service_updates', 'request_contact'], receivedAt: '2024-01-10T09:00:00.000Z',
      }));
      // A later arrival through the mail inbox with a shorter clock: the earlier web form still decides how long she is kept.
      const second = await seed({ email: 'dina.detalj@example.test', source: 'email', inquiryType: 'other', consents: ['other_services_ask'], receivedAt: '2025-01-10T09:00:00.000Z' });
      expect(second.personId).toBe(personId);
      mailCapture = second.captureId;
      await db.query(
        `INSERT INTO consent_event (person_id, purpose, action, source, policy_version, wording, actor_type) VALUES ($1, 'request_contact', 'withdrawn', 'email', 'en-1', $2, 'system')`,
        [personId, policy.consentWording('request_contact', 'en-1')],
      );
    });

    it('[RET-FORM][RET-MAIL] shows each capture with its legal bases, policy version and retention clock', async () => {
      const body = await detail(personId);
      expect(body).toMatchObject({ id: personId, firstName: 'Dina', lastName: 'Detalj', email: 'dina.detalj@example.test', phone: '+4791234501', companyName: 'Detalj AS', status: 'new' });
      expect(body.captures).toEqual([
        expect.objectContaining({
          id: mailCapture, source: 'email', receivedAt: '2025-01-10T09:00:00.000Z', inquiryType: 'other', consentsGiven: ['other_services_ask'], policyVersion: 'en-1',
          legalBases: { handle_request: 'legitimate_interest', communication_history: 'legitimate_interest', spam_prevention: 'legitimate_interest', other_services_ask: 'consent' },
          retentionAnchor: 'collection', retentionAnchorAt: '2025-01-10T09:00:00.000Z', retentionDueAt: plusYears('2025-01-10T09:00:00.000Z', 6),
        }),
        expect.objectContaining({
          id: formCapture, source: 'web_form', receivedAt: '2024-01-10T09:00:00.000Z', inquiryType: 'expert_take', request: 'Please get in touch.', policyVersion: 'en-1',
          legalBases: { handle_request: 'contract', communication_history: 'legitimate_interest', spam_prevention: 'legitimate_interest', service_updates: 'consent', request_contact: 'consent' },
          retentionAnchor: 'collection', retentionAnchorAt: '2024-01-10T09:00:00.000Z', retentionDueAt: plusYears('2024-01-10T09:00:00.000Z', 8),
        }),
      ]);
      expect([...body.captures[1].consentsGiven].sort()).toEqual(['request_contact', 'service_updates']);
      expect(body.captures[1].retentionDueAt).toBe('2032-01-10T09:00:00.000Z');
    });

    it('[RET-MULTI] the person is kept until the latest due date of any capture, not the newest capture’s', async () => {
      const body = await detail(personId);
      expect(body.retention).toEqual({ keptUntil: '2032-01-10T09:00:00.000Z' });
      expect(body.captures.map((c: { retentionDueAt: string }) => c.retentionDueAt).sort().at(-1)).toBe(body.retention.keptUntil);
    });

    it('aggregates legal bases per purpose over all captures', async () => {
      const body = await detail(personId);
      const sorted = Object.fromEntries(Object.entries(body.legalBases as Record<string, string[]>).map(([k, v]) => [k, [...v].sort()]));
      expect(sorted).toEqual({
        handle_request: ['contract', 'legitimate_interest'],
        communication_history: ['legitimate_interest'],
        spam_prevention: ['legitimate_interest'],
        service_updates: ['consent'],
        request_contact: ['consent'],
        other_services_ask: ['consent'],
      });
    });

    it('[CONSENT-PROOF][CONSENT-WITHDRAW] lists every consent event with channel, capture, policy version and the exact wording, and the current state per purpose', async () => {
      const body = await detail(personId);
      expect(body.consentEvents).toEqual([
        { id: expect.any(String), purpose: 'service_updates', action: 'granted', occurredAt: expect.any(String), source: 'web_form', captureId: formCapture, policyVersion: 'en-1', wording: policy.consentWording('service_updates', 'en-1') },
        { id: expect.any(String), purpose: 'request_contact', action: 'granted', occurredAt: expect.any(String), source: 'web_form', captureId: formCapture, policyVersion: 'en-1', wording: policy.consentWording('request_contact', 'en-1') },
        { id: expect.any(String), purpose: 'other_services_ask', action: 'granted', occurredAt: expect.any(String), source: 'email', captureId: mailCapture, policyVersion: 'en-1', wording: policy.consentWording('other_services_ask', 'en-1') },
        { id: expect.any(String), purpose: 'request_contact', action: 'withdrawn', occurredAt: expect.any(String), source: 'email', captureId: null, policyVersion: 'en-1', wording: policy.consentWording('request_contact', 'en-1') },
      ]);
      expect(body.consentEvents[0].wording).toBe('Send any updates regarding services you have shown interest in or provide further information related to the topic you requested.');
      expect(body.consents).toEqual(
        expect.arrayContaining([
          { purpose: 'service_updates', state: 'granted', since: body.consentEvents[0].occurredAt },
          { purpose: 'request_contact', state: 'withdrawn', since: body.consentEvents[3].occurredAt },
          { purpose: 'other_services_ask', state: 'granted', since: body.consentEvents[2].occurredAt },
        ]),
      );
      expect(body.consents).toHaveLength(3);
    });

    it('shows the timeline, newest first', async () => {
      const body = await detail(personId);
      expect(body.timeline).toEqual([
        expect.objectContaining({ type: 'capture', captureId: mailCapture, occurredAt: '2025-01-10T09:00:00.000Z', details: { source: 'email', inquiryType: 'other' }, actorType: 'system', actorId: null }),
        expect.objectContaining({ type: 'capture', captureId: formCapture, occurredAt: '2024-01-10T09:00:00.000Z', details: { source: 'web_form', inquiryType: 'expert_take' }, actorType: 'system', actorId: null }),
      ]);
    });

    it('[SEC-ACCESS] opening the record is audited: who read whose record', async () => {
      const before = (await auditFor(personId)).filter((e) => e.action === 'person.read').length;
      await detail(personId, manager.token);
      const reads = (await auditFor(personId)).filter((e) => e.action === 'person.read');
      expect(reads).toHaveLength(before + 1);
      expect(reads[0]).toMatchObject({ actorType: 'user', actorId: manager.id, entityId: personId, changes: null });
      const [row] = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'person.read' AND entity_type = 'person' AND entity_id = $1 AND actor_id = $2`, [personId, manager.id]);
      expect(row.n).toBe(1);
    });

    it('an unknown id is a 404 problem document and is not audited as a read; a malformed id is refused', async () => {
      const unknown = '3f1c2a9e-8b7d-4c6e-9f00-1234567890ab';
      const res = await t.http().get(`/api/persons/${unknown}`).set(as(sales.token)).expect(404);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found', detail: 'There is no such person.', instance: `/api/persons/${unknown}` });
      expect(await auditFor(unknown)).toEqual([]);
      const bad = await t.http().get('/api/persons/not-a-uuid').set(as(sales.token));
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toMatch(/problem\+json/);
    });
  });

  describe('rectify (PATCH)', () => {
    let personId: string;
    let otherId: string;

    beforeAll(async () => {
      ({ personId } = await seed({ firstName: 'Rita', lastName: 'Rettes', email: 'rita@old.example', phone: '+4791000001', companyName: 'Old Co' }));
      ({ personId: otherId } = await seed({ firstName: 'Otto', lastName: 'Other', email: 'otto@other.example' }));
    });

    it('[RIGHT-RECTIFY] corrects and completes fields: e-mail normalised, phone to E.164, audited with masked before/after, on the timeline', async () => {
      const res = await t.http().patch(`/api/persons/${personId}`).set(as(sales.token)).set('X-Request-Id', 'req-rectify-1')
        .send({ firstName: '  Rita-Marie ', email: '  Rita.New@Example.COM ', phone: '913 45 678', position: 'CTO', lastName: 'Rettes' })
        .expect(200);
      expect(res.body).toMatchObject({ id: personId, firstName: 'Rita-Marie', lastName: 'Rettes', email: 'rita.new@example.com', phone: '+4791345678', position: 'CTO', companyName: 'Old Co' });
      expect(await personRow(personId)).toMatchObject({ first_name: 'Rita-Marie', email: 'rita.new@example.com', phone: '+4791345678', position: 'CTO' });

      const [entry] = (await auditFor(personId)).filter((e) => e.action === 'person.rectified');
      expect(entry).toMatchObject({ actorType: 'user', actorId: sales.id });
      expect(entry.changes).toEqual({
        firstName: { before: MASKED, after: MASKED },
        email: { before: MASKED, after: MASKED },
        phone: { before: MASKED, after: MASKED },
        position: { before: null, after: MASKED },
      });
      const [raw] = await db.query(`SELECT request_id FROM audit_log WHERE id = $1`, [entry.id]);
      expect(raw.request_id).toBe('req-rectify-1');
      expect(JSON.stringify(await auditFor(personId))).not.toMatch(/Rita|rita@old|rita\.new|91000001|91345678|CTO/);

      const body = await detail(personId);
      const rectification = body.timeline.find((a: { type: string }) => a.type === 'rectification');
      expect(rectification).toMatchObject({ actorType: 'user', actorId: sales.id, captureId: null });
      expect([...rectification.details.fields].sort()).toEqual(['email', 'firstName', 'phone', 'position']);
    });

    it('an empty string clears a field; unchanged values are no change and are not audited', async () => {
      await t.http().patch(`/api/persons/${personId}`).set(as(sales.token)).send({ companyName: '' }).expect(200);
      expect((await personRow(personId)).company_name).toBeNull();
      const audits = (await auditFor(personId)).filter((e) => e.action === 'person.rectified').length;
      const res = await t.http().patch(`/api/persons/${personId}`).set(as(sales.token)).send({ email: 'RITA.NEW@example.com', firstName: 'Rita-Marie' }).expect(200);
      expect(res.body.email).toBe('rita.new@example.com');
      expect((await auditFor(personId)).filter((e) => e.action === 'person.rectified')).toHaveLength(audits);
    });

    it('an e-mail that belongs to another person is 409 and nothing changes', async () => {
      const before = await personRow(personId);
      const audits = (await auditFor(personId)).length;
      const timeline = (await attached(personId)).activities;
      const res = await t.http().patch(`/api/persons/${personId}`).set(as(sales.token)).send({ firstName: 'Hijack', email: ' OTTO@Other.example ' }).expect(409);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.errors).toEqual([{ field: 'email', message: 'belongs to another record' }]);
      expect(await personRow(personId)).toEqual(before);
      expect((await personRow(otherId)).email).toBe('otto@other.example');
      expect(await auditFor(personId)).toHaveLength(audits);
      expect((await attached(personId)).activities).toBe(timeline);
    });

    it('a phone number that another person known only by phone has is 409, whether set directly or exposed by removing the e-mail; nothing changes', async () => {
      const { personId: phoneOnly } = await seed({ firstName: 'Pia', phone: '+4791500001', source: 'phone', inquiryType: null });
      const { personId: otherPhoneOnly } = await seed({ firstName: 'Pal', phone: '+4791500002', source: 'phone', inquiryType: null });
      const { personId: withEmail } = await seed({ firstName: 'Petra', email: 'petra@phone.example', phone: '+4791500003' });
      expect(new Set([phoneOnly, otherPhoneOnly, withEmail]).size).toBe(3);

      const moved = await t.http().patch(`/api/persons/${otherPhoneOnly}`).set(as(sales.token)).send({ phone: '915 00 001' });
      expect(moved.status).toBe(409);
      expect(moved.body.errors).toEqual([{ field: 'phone', message: 'belongs to another record' }]);
      expect((await personRow(otherPhoneOnly)).phone).toBe('+4791500002');

      // A person with an e-mail may share a number (a switchboard) ...
      await t.http().patch(`/api/persons/${withEmail}`).set(as(sales.token)).send({ phone: '+4791500001' }).expect(200);
      // ... but without the e-mail she would be a second person known only by that number.
      const before = await personRow(withEmail);
      const stripped = await t.http().patch(`/api/persons/${withEmail}`).set(as(sales.token)).send({ email: '' });
      expect(stripped.status).toBe(409);
      expect(stripped.body.errors).toEqual([{ field: 'phone', message: 'belongs to another record' }]);
      expect(await personRow(withEmail)).toEqual(before);

      // The phone-only person keeps her own number while other fields change.
      await t.http().patch(`/api/persons/${phoneOnly}`).set(as(sales.token)).send({ phone: '+47 915 00 001', firstName: 'Pia Marie' }).expect(200);
    });

    it('invalid values are 422 naming the field, and nothing changes', async () => {
      const before = await personRow(personId);
      for (const [body, field] of [
        [{ email: 'rita(at)example.com' }, 'email'],
        [{ phone: '12' }, 'phone'],
        [{ firstName: 42 }, 'firstName'],
        [{ status: 'customer' }, 'status'],
        [{ email: '', phone: '' }, 'email'],
      ] as const) {
        const res = await t.http().patch(`/api/persons/${personId}`).set(as(sales.token)).send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 422 });
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(await personRow(personId)).toEqual(before);
    });

    it('an unknown person is 404', async () => {
      await t.http().patch('/api/persons/3f1c2a9e-8b7d-4c6e-9f00-1234567890ab').set(as(sales.token)).send({ firstName: 'Nobody' }).expect(404);
    });
  });

  describe('owner', () => {
    let personId: string;

    beforeAll(async () => {
      ({ personId } = await seed({ firstName: 'Olav', lastName: 'Owner', email: 'olav.owner@example.test' }));
    });

    it('is assigned to a sales user: on the timeline and in the audit log', async () => {
      const res = await t.http().post(`/api/persons/${personId}/owner`).set(as(admin.token)).send({ ownerId: sales2.id }).expect(200);
      expect(res.body).toMatchObject({ id: personId, ownerId: sales2.id });
      expect((await personRow(personId)).owner_id).toBe(sales2.id);
      const body = await detail(personId);
      expect(body.timeline.filter((a: { type: string }) => a.type === 'owner_change')).toEqual([
        expect.objectContaining({ details: { from: null, to: sales2.id }, actorType: 'user', actorId: admin.id }),
      ]);
      const [entry] = (await auditFor(personId)).filter((e) => e.action === 'person.owner_assigned');
      expect(entry).toMatchObject({ actorId: admin.id, changes: { ownerId: { before: null, after: sales2.id } } });
    });

    it('may be an account manager or an admin; a user without a suitable role, or no such user, is 422', async () => {
      await t.http().post(`/api/persons/${personId}/owner`).set(as(sales.token)).send({ ownerId: manager.id }).expect(200);
      for (const ownerId of [eventStaff.id, dpo.id, '3f1c2a9e-8b7d-4c6e-9f00-1234567890ab']) {
        const res = await t.http().post(`/api/persons/${personId}/owner`).set(as(sales.token)).send({ ownerId });
        expect(res.status).toBe(422);
        expect(res.body.errors).toEqual([{ field: 'ownerId', message: expect.any(String) }]);
      }
      await t.http().post(`/api/persons/${personId}/owner`).set(as(sales.token)).send({ ownerId: 'someone' }).expect(422);
      expect((await personRow(personId)).owner_id).toBe(manager.id);
    });

    it('a deactivated user cannot become owner', async () => {
      const leaver = await t.userWith('sales');
      await t.http().patch(`/api/users/${leaver.id}`).set(as(admin.token)).send({ active: false }).expect(200);
      await t.http().post(`/api/persons/${personId}/owner`).set(as(sales.token)).send({ ownerId: leaver.id }).expect(422);
    });

    it('who may own a lead is listed to those who assign it: active sales, account managers and admins, id and name only', async () => {
      const leaver = await t.userWith('sales');
      await t.http().patch(`/api/users/${leaver.id}`).set(as(admin.token)).send({ active: false }).expect(200);
      const res = await t.http().get('/api/users/assignable').set(as(sales.token)).expect(200);
      const ids = res.body.map((u: { id: string }) => u.id);
      expect(ids).toEqual(expect.arrayContaining([sales.id, sales2.id, manager.id, admin.id]));
      expect(ids).not.toContain(eventStaff.id);
      expect(ids).not.toContain(dpo.id);
      expect(ids).not.toContain(leaver.id);
      expect(Object.keys(res.body[0]).sort()).toEqual(['id', 'name']);
      await t.http().get('/api/users/assignable').set(as(eventStaff.token)).expect(403);
    });

    it('is cleared with null, and only on purpose: an empty body is a 422', async () => {
      const empty = await t.http().post(`/api/persons/${personId}/owner`).set(as(sales.token)).send({}).expect(422);
      expect(empty.body.errors[0].field).toBe('ownerId');
      expect((await personRow(personId)).owner_id).not.toBeNull();
      const res = await t.http().post(`/api/persons/${personId}/owner`).set(as(sales.token)).send({ ownerId: null }).expect(200);
      expect(res.body.ownerId).toBeNull();
      expect((await personRow(personId)).owner_id).toBeNull();
      const changes = (await detail(personId)).timeline.filter((a: { type: string }) => a.type === 'owner_change').map((a: { details: unknown }) => a.details);
      expect(changes).toEqual(expect.arrayContaining([{ from: manager.id, to: null }, { from: sales2.id, to: manager.id }, { from: null, to: sales2.id }]));
      expect(changes).toHaveLength(3);
    });
  });

  describe('status', () => {
    let personId: string;

    beforeAll(async () => {
      ({ personId } = await seed({ firstName: 'Stina', lastName: 'Status', email: 'stina.status@example.test' }));
    });

    it('moves new -> contacted -> qualified, each change on the timeline with from and to', async () => {
      expect((await t.http().post(`/api/persons/${personId}/status`).set(as(sales.token)).send({ status: 'contacted', comment: 'Called back' }).expect(200)).body.status).toBe('contacted');
      expect((await t.http().post(`/api/persons/${personId}/status`).set(as(sales.token)).send({ status: 'qualified' }).expect(200)).body.status).toBe('qualified');
      expect((await personRow(personId)).status).toBe('qualified');
      const changes = (await detail(personId)).timeline.filter((a: { type: string }) => a.type === 'status_change');
      expect(changes.map((a: { details: unknown; body: unknown }) => ({ ...(a.details as object), body: a.body }))).toEqual([
        { from: 'contacted', to: 'qualified', body: null },
        { from: 'new', to: 'contacted', body: 'Called back' },
      ]);
      const audits = (await auditFor(personId)).filter((e) => e.action === 'person.status_changed').map((e) => e.changes);
      expect(audits).toEqual([{ status: { before: 'contacted', after: 'qualified' } }, { status: { before: 'new', after: 'contacted' } }]);
    });

    it('refuses customer (that is what convert is for) and unknown statuses with 422; the status stays', async () => {
      for (const status of ['customer', 'won', undefined]) {
        const res = await t.http().post(`/api/persons/${personId}/status`).set(as(sales.token)).send({ status });
        expect(res.status).toBe(422);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['status']);
      }
      expect((await personRow(personId)).status).toBe('qualified');
    });
  });

  it('[LB-CONTRACT] staff set a capture’s inquiry type: the legal basis of handling the request follows, audited; another person’s capture is a 404', async () => {
    const { personId } = await seed({ firstName: 'Ines', lastName: 'Inquiry', email: 'ines@inquiry.example' });
    const [capture] = await db.query(`SELECT id, inquiry_type, legal_bases FROM capture WHERE person_id = $1`, [personId]);
    const res = await t.http().patch(`/api/persons/${personId}/captures/${capture.id}`).set(as(sales.token)).send({ inquiryType: 'services' }).expect(200);
    expect(res.body.id).toBe(personId);
    const [after] = await db.query(`SELECT inquiry_type, legal_bases FROM capture WHERE id = $1`, [capture.id]);
    expect(after).toEqual({ inquiry_type: 'services', legal_bases: { ...capture.legal_bases, handle_request: 'contract' } });
    const [line] = (await auditFor(personId)).filter((e) => e.action === 'person.capture_inquiry_set');
    expect(line).toBeDefined();
    await t.http().patch(`/api/persons/${personId}/captures/${capture.id}`).set(as(sales.token)).send({ inquiryType: 'nonsense' }).expect(422);
    const { personId: other } = await seed({ firstName: 'Olav', lastName: 'Other', email: 'olav@inquiry.example' });
    await t.http().patch(`/api/persons/${other}/captures/${capture.id}`).set(as(sales.token)).send({ inquiryType: 'demo' }).expect(404);
  });

  it('finds a person by phone number however it is written; a number that is none is a 422', async () => {
    const { personId } = await seed({ firstName: 'Fone', lastName: 'Finder', email: 'fone@finder.example', phone: '+4741299887' });
    for (const written of ['412 99 887', '+47 412 99 887', '0047 41299887']) {
      const res = await t.http().get(`/api/persons?phone=${encodeURIComponent(written)}`).set(as(sales.token)).expect(200);
      expect(res.body.items.map((p: { id: string }) => p.id)).toEqual([personId]);
    }
    await t.http().get('/api/persons?phone=abc').set(as(sales.token)).expect(422);
  });

  it('[SRC-MAIL][CONSENT-PROOF] staff enter a lead by hand: a phone capture with its stated basis and consent, owned by whoever enters it', async () => {
    const res = await t.http().post('/api/persons').set(as(sales.token))
      .send({ source: 'phone', firstName: 'Hanne', lastName: 'Hand', phone: '412 77 001', companyName: 'Hand AS', inquiryType: 'services', request: 'Wants a quote for an app.', consents: ['request_contact'], consentWording: 'May we call you back about your request? - Yes.' })
      .expect(201);
    expect(res.body).toEqual({ id: expect.any(String), captureId: expect.any(String), created: true });
    expect(await personRow(res.body.id)).toMatchObject({ first_name: 'Hanne', phone: '+4741277001', owner_id: sales.id });
    // Owners by name, in the list and on the record.
    const listed = await t.http().get('/api/persons?phone=41277001').set(as(sales.token)).expect(200);
    const [{ name }] = await db.query(`SELECT name FROM staff_user WHERE id = $1`, [sales.id]);
    expect(listed.body.items[0]).toMatchObject({ ownerId: sales.id, ownerName: name });
    expect((await detail(res.body.id)).ownerName).toBe(name);
    const [capture] = await db.query(`SELECT source, legal_bases, request FROM capture WHERE id = $1`, [res.body.captureId]);
    expect(capture).toEqual({ source: 'phone', legal_bases: expect.objectContaining({ handle_request: 'contract', request_contact: 'consent' }), request: 'Wants a quote for an app.' });
    const [consent] = await db.query(`SELECT purpose, action, wording FROM consent_event WHERE capture_id = $1`, [res.body.captureId]);
    expect(consent).toEqual({ purpose: 'request_contact', action: 'granted', wording: 'May we call you back about your request? - Yes.' });

    const again = await t.http().post('/api/persons').set(as(sales.token)).send({ source: 'manual', phone: '+47 412 77 001', request: 'Met at a fair.' }).expect(201);
    expect(again.body).toMatchObject({ id: res.body.id, created: false });
    await t.http().post('/api/persons').set(as(sales.token)).send({ source: 'manual', firstName: 'Nobody' }).expect(422);
    await t.http().post('/api/persons').set(as(sales.token)).send({ source: 'manual', email: 'c@hand.example', consents: ['service_updates'] }).expect(422);
    await t.http().post('/api/persons').set(as(sales.token)).send({ source: 'web_form', email: 'c@hand.example' }).expect(422);
  });

  describe('convert', () => {
    let firstId: string;
    let secondId: string;
    let companyId: string;

    beforeAll(async () => {
      ({ personId: firstId } = await seed({ firstName: 'Cecilie', lastName: 'Convert', email: 'cecilie@fjordkraft.example', companyName: 'FjordKraft' }));
      ({ personId: secondId } = await seed({ firstName: 'Carl', lastName: 'Convert', email: 'carl@fjordkraft.example' }));
    });

    it('[LB-CONTRACT][RET-CUST] makes the lead a customer of a new company: a customer capture on contract, on the customer clock', async () => {
      const sent = Date.now();
      const res = await t.http().post(`/api/persons/${firstId}/convert`).set(as(manager.token)).send({ company: { name: 'Fjordkraft Consulting AS', domain: 'https://FjordKraft.example/about' } }).expect(200);
      const answered = Date.now();
      expect(res.body).toMatchObject({ id: firstId, status: 'customer', companyId: expect.any(String), companyName: 'Fjordkraft Consulting AS' });
      companyId = res.body.companyId;
      const [company] = await db.query(`SELECT * FROM company WHERE id = $1`, [companyId]);
      expect(company).toMatchObject({ name: 'Fjordkraft Consulting AS', domain: 'fjordkraft.example', is_customer: true });

      const body = await detail(firstId, manager.token);
      const customer = body.captures.filter((c: { source: string }) => c.source === 'customer');
      expect(customer).toHaveLength(1);
      expect(customer[0]).toMatchObject({ sourceRef: companyId, policyVersion: 'en-1', retentionAnchor: 'last_service_delivery', legalBases: { handle_request: 'contract', communication_history: 'legitimate_interest' } });
      expect(customer[0].legalBases).not.toHaveProperty('spam_prevention');
      // No service delivered yet: the clock starts at the conversion.
      expect(new Date(customer[0].retentionAnchorAt).getTime()).toBeGreaterThanOrEqual(sent);
      expect(new Date(customer[0].retentionAnchorAt).getTime()).toBeLessThanOrEqual(answered);
      expect(customer[0].retentionDueAt).toBe(plusYears(customer[0].retentionAnchorAt, 6));
      expect(body.legalBases.handle_request).toContain('contract');
      expect(body.timeline[0]).toMatchObject({ type: 'conversion', details: { from: 'new', to: 'customer', companyId }, actorId: manager.id });

      const actions = (await auditFor(firstId)).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['person.converted']));
      const [converted] = (await auditFor(firstId)).filter((e) => e.action === 'person.converted');
      expect(converted.changes).toMatchObject({ status: { before: 'new', after: 'customer' }, companyId: { before: null, after: companyId } });
      const companyAudit = await db.query(`SELECT action FROM audit_log WHERE entity_type = 'company' AND entity_id = $1 ORDER BY id`, [companyId]);
      // The account manager who won the customer looks after it.
      expect(companyAudit.map((r: { action: string }) => r.action)).toEqual(['company.created', 'company.became_customer', 'company.account_manager_assigned']);
    });

    it('[ACCESS-AM] converting a second person with the same domain reuses the company for a caller who sees it; sales no longer sees the lead', async () => {
      // (A caller who may not see the customer gets a company of their own: customer-oracles.e2e-spec.ts.)
      const res = await t.http().post(`/api/persons/${secondId}/convert`).set(as(manager.token)).send({ company: { name: 'Fjordkraft (typo) AS', domain: 'www.FJORDKRAFT.example' } }).expect(200);
      expect(res.body).toMatchObject({ status: 'customer', companyId, companyName: 'Fjordkraft Consulting AS' });
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM company WHERE domain = 'fjordkraft.example'`);
      expect(n).toBe(1);
      expect(setOfIds((await t.http().get(`/api/persons?companyId=${companyId}`).set(as(manager.token)).expect(200)).body.items)).toEqual([firstId, secondId].sort());
      // Sales worked the lead; the customer's people are no longer theirs to see.
      expect((await t.http().get(`/api/persons?companyId=${companyId}`).set(as(sales.token)).expect(200)).body.items).toEqual([]);
      await t.http().get(`/api/persons/${secondId}`).set(as(sales.token)).expect(404);
    });

    it('[RET-CUST] converting into an existing company by id anchors the customer clock at its last service delivery', async () => {
      await db.query(`UPDATE company SET last_service_delivery_at = '2025-09-15T12:00:00Z' WHERE id = $1`, [companyId]);
      const { personId: third } = await seed({ firstName: 'Cato', lastName: 'Convert', email: 'cato@fjordkraft.example' });
      // Sales cannot name a customer they may not see; its account manager can.
      await t.http().post(`/api/persons/${third}/convert`).set(as(sales.token)).send({ companyId }).expect(422);
      expect((await t.http().post(`/api/persons/${third}/convert`).set(as(manager.token)).send({ companyId }).expect(200)).body).toMatchObject({ status: 'customer', companyId });
      const [customer] = (await detail(third, manager.token)).captures.filter((c: { source: string }) => c.source === 'customer');
      expect(customer).toMatchObject({ retentionAnchor: 'last_service_delivery', retentionAnchorAt: '2025-09-15T12:00:00.000Z', retentionDueAt: '2031-09-15T12:00:00.000Z' });
    });

    it('[ACCESS-AM] whoever converts looks after the customer, unless the call names who will; someone who cannot must name them', async () => {
      const { personId } = await seed({ firstName: 'Siv', lastName: 'Sold', email: 'siv@sold-by-sales.example' });
      // Sales holds no account_manager role: the lead would vanish for them, so they must say who takes it.
      const unnamed = await t.http().post(`/api/persons/${personId}/convert`).set(as(sales.token)).send({ company: { name: 'Sold By Sales AS' } }).expect(422);
      expect(unnamed.body.errors).toEqual([{ field: 'accountManagerIds', message: expect.stringMatching(/without the account_manager role you would no longer see this lead/) }]);
      await t.http().post(`/api/persons/${personId}/convert`).set(as(sales.token)).send({ company: { name: 'Sold By Sales AS' }, accountManagerIds: [sales.id] }).expect(422);
      expect((await db.query(`SELECT status FROM person WHERE id = $1`, [personId]))[0].status).not.toBe('customer');

      const res = await t.http().post(`/api/persons/${personId}/convert`).set(as(sales.token)).send({ company: { name: 'Sold By Sales AS' }, accountManagerIds: [manager.id] }).expect(200);
      const managers = await db.query(`SELECT user_id FROM account_manager WHERE company_id = $1`, [res.body.companyId]);
      expect(managers).toEqual([{ user_id: manager.id }]);
      await t.http().get(`/api/persons/${personId}`).set(as(manager.token)).expect(200);
    });

    it('needs exactly one of companyId and company (422); a company needs a name', async () => {
      const { personId } = await seed({ firstName: 'Nils', lastName: 'Noconvert', email: 'nils.noconvert@example.test' });
      await t.http().post(`/api/persons/${personId}/convert`).set(as(sales.token)).send({}).expect(422);
      await t.http().post(`/api/persons/${personId}/convert`).set(as(sales.token)).send({ companyId, company: { name: 'Both AS' } }).expect(422);
      const nameless = await t.http().post(`/api/persons/${personId}/convert`).set(as(sales.token)).send({ company: { domain: 'nameless.example' } }).expect(422);
      expect(nameless.body.errors.map((e: { field: string }) => e.field)).toContain('company.name');
      await t.http().post(`/api/persons/${personId}/convert`).set(as(sales.token)).send({ companyId: '3f1c2a9e-8b7d-4c6e-9f00-1234567890ab' }).expect(422);
      expect(await personRow(personId)).toMatchObject({ status: 'new', company_id: null });
      expect((await attached(personId)).captures).toBe(1);
    });
  });

  describe('notes, calls, chats', () => {
    let personId: string;

    beforeAll(async () => {
      ({ personId } = await seed({ firstName: 'Tor', lastName: 'Timeline', email: 'tor.timeline@example.test' }));
    });

    it('a note goes on the timeline', async () => {
      const res = await t.http().post(`/api/persons/${personId}/notes`).set(as(sales.token)).send({ text: 'Prefers e-mail.\nAsk about budgets in Q3.' }).expect(201);
      const body = await detail(personId);
      expect(body.timeline.find((a: { id: string }) => a.id === res.body.id)).toMatchObject({ type: 'note', body: 'Prefers e-mail.\nAsk about budgets in Q3.', captureId: null, actorType: 'user', actorId: sales.id });
      await t.http().post(`/api/persons/${personId}/notes`).set(as(sales.token)).send({ text: '' }).expect(422);
      await t.http().post('/api/persons/3f1c2a9e-8b7d-4c6e-9f00-1234567890ab/notes').set(as(sales.token)).send({ text: 'lost' }).expect(404);
    });

    it('[SRC-MAIL][RET-MAIL] a call is a phone capture kept six years from the call, and a call entry with number (E.164), direction, duration and recording', async () => {
      const res = await t.http().post(`/api/persons/${personId}/calls`).set(as(sales.token)).send({
        phone: '22 12 34 56', direction: 'inbound', durationSeconds: 754, recordingRef: 'pbx://recordings/2025/06/01/call-0042.wav', occurredAt: '2025-06-01T12:00:00.000Z', summary: 'Discussed the migration.',
      }).expect(201);
      const body = await detail(personId);
      const capture = body.captures.find((c: { id: string }) => c.id === res.body.id);
      expect(capture).toMatchObject({
        source: 'phone', receivedAt: '2025-06-01T12:00:00.000Z', request: 'Discussed the migration.', policyVersion: 'en-1',
        retentionAnchor: 'collection', retentionAnchorAt: '2025-06-01T12:00:00.000Z', retentionDueAt: '2031-06-01T12:00:00.000Z',
        legalBases: { communication_history: 'legitimate_interest' },
      });
      const call = body.timeline.find((a: { type: string }) => a.type === 'call');
      expect(call).toMatchObject({
        captureId: res.body.id, occurredAt: '2025-06-01T12:00:00.000Z', body: 'Discussed the migration.', actorId: sales.id,
        details: { phone: '+4722123456', direction: 'inbound', durationSeconds: 754, recordingRef: 'pbx://recordings/2025/06/01/call-0042.wav' },
      });
    });

    it('a call with a bad number, direction or duration is 422; for an unknown person 404', async () => {
      const before = await attached(personId);
      for (const [patch, field] of [[{ phone: '12' }, 'phone'], [{ direction: 'sideways' }, 'direction'], [{ durationSeconds: -1 }, 'durationSeconds']] as const) {
        const res = await t.http().post(`/api/persons/${personId}/calls`).set(as(sales.token)).send({ phone: '+4722123456', direction: 'outbound', durationSeconds: 5, ...patch });
        expect(res.status).toBe(422);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      await t.http().post('/api/persons/3f1c2a9e-8b7d-4c6e-9f00-1234567890ab/calls').set(as(sales.token)).send({ phone: '+4722123456', direction: 'outbound', durationSeconds: 5 }).expect(404);
      expect(await attached(personId)).toEqual(before);
    });

    it('[SRC-MAIL][RET-MAIL] a chat is a messenger capture with the transcript on the timeline', async () => {
      const transcript = 'Tor: Hi, are you free Tuesday?\nSales: Yes, 10:00 works.';
      const res = await t.http().post(`/api/persons/${personId}/chats`).set(as(sales.token)).send({ service: ' whatsapp ', handle: '+4791234567', transcript, occurredAt: '2025-07-02T08:30:00.000Z' }).expect(201);
      const body = await detail(personId);
      expect(body.captures.find((c: { id: string }) => c.id === res.body.id)).toMatchObject({
        source: 'messenger', payload: { service: 'whatsapp', handle: '+4791234567', transcript }, retentionAnchor: 'collection', retentionDueAt: '2031-07-02T08:30:00.000Z',
      });
      expect(body.timeline.find((a: { type: string }) => a.type === 'chat')).toMatchObject({ captureId: res.body.id, body: transcript, details: { service: 'whatsapp', handle: '+4791234567' } });
      await t.http().post(`/api/persons/${personId}/chats`).set(as(sales.token)).send({ service: 'whatsapp', handle: 'x' }).expect(422);
    });
  });

  describe('merge', () => {
    let winnerId: string;
    let loserId: string;

    beforeAll(async () => {
      // Known only by phone from a call; then a web form with an e-mail arrived as a second record.
      ({ personId: winnerId } = await seed({ firstName: 'Mona', phone: '+4798765432', source: 'phone', inquiryType: null }));
      ({ personId: loserId } = await seed({ firstName: 'Monica', lastName: 'Merge', email: 'mona.merge@example.test', phone: '+4798765433', companyName: 'Merge AS', source: 'web_form', inquiryType: 'services', consents: ['service_updates'] }));
      await t.http().post(`/api/persons/${loserId}/notes`).set(as(sales.token)).send({ text: 'Same person as the caller?' }).expect(201);
    });

    it('a dry run (the default) reports what would move, fill and conflict, and changes nothing', async () => {
      const before = { winner: await personRow(winnerId), loser: await personRow(loserId), w: await attached(winnerId), l: await attached(loserId) };
      const res = await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId, loserId }).expect(200);
      expect(res.body).toEqual({
        applied: false, winnerId, loserId,
        moves: { captures: 1, consentEvents: 1, activities: 2, eventRegistrations: 0, disclosures: 0 },
        fieldsFilled: ['lastName', 'email', 'companyName'],
        conflicts: ['firstName', 'phone'],
      });
      expect({ winner: await personRow(winnerId), loser: await personRow(loserId), w: await attached(winnerId), l: await attached(loserId) }).toEqual(before);
      expect((await auditFor(winnerId)).map((e) => e.action)).not.toContain('person.merged');
    });

    it('merging a person with itself is 422; an unknown person is 404', async () => {
      const res = await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId, loserId: winnerId, dryRun: false }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'loserId', message: expect.any(String) }]);
      await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId, loserId: '3f1c2a9e-8b7d-4c6e-9f00-1234567890ab', dryRun: false }).expect(404);
      await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId, loserId: 'x' }).expect(422);
      expect(await personRow(loserId)).toBeDefined();
    });

    it('[CONSENT-PROOF][RET-MULTI] dryRun false: the winner gets every capture, consent event and activity, blanks filled (the loser’s e-mail too), the loser is gone', async () => {
      const w = await attached(winnerId);
      const l = await attached(loserId);
      const loserCaptures = (await db.query(`SELECT id FROM capture WHERE person_id = $1`, [loserId])).map((r: { id: string }) => r.id);
      const res = await t.http().post('/api/persons/merge').set(as(admin.token)).send({ winnerId, loserId, dryRun: false }).expect(200);
      expect(res.body).toMatchObject({ applied: true, moves: { captures: 1, consentEvents: 1, activities: 2 }, fieldsFilled: ['lastName', 'email', 'companyName'], conflicts: ['firstName', 'phone'] });

      await t.http().get(`/api/persons/${loserId}`).set(as(sales.token)).expect(404);
      expect(await attached(loserId)).toEqual({ captures: 0, consentEvents: 0, activities: 0 });
      expect(await attached(winnerId)).toEqual({ captures: w.captures + l.captures, consentEvents: w.consentEvents + l.consentEvents, activities: w.activities + l.activities + 1 });

      const body = await detail(winnerId);
      expect(body).toMatchObject({ firstName: 'Mona', lastName: 'Merge', email: 'mona.merge@example.test', phone: '+4798765432', companyName: 'Merge AS' });
      expect(body.captures.map((c: { source: string }) => c.source).sort()).toEqual(['phone', 'web_form']);
      expect(body.captures.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(loserCaptures));
      expect(body.consentEvents).toEqual([expect.objectContaining({ purpose: 'service_updates', action: 'granted', source: 'web_form', captureId: loserCaptures[0], wording: policy.consentWording('service_updates', 'en-1') })]);
      expect(body.consents).toEqual([expect.objectContaining({ purpose: 'service_updates', state: 'granted' })]);
      expect(body.legalBases.handle_request).toEqual(['contract']);
      expect(body.retention.keptUntil).toBe(body.captures.find((c: { source: string }) => c.source === 'web_form').retentionDueAt); // 8 years beats the call's 6
      expect(body.timeline.map((a: { type: string }) => a.type).sort()).toEqual(['capture', 'capture', 'merge', 'note']);
      expect(body.timeline.find((a: { type: string }) => a.type === 'merge')).toMatchObject({
        actorId: admin.id, details: { mergedPersonId: loserId, captures: 1, consentEvents: 1, activities: 2, fieldsFilled: ['lastName', 'email', 'companyName'] },
      });

      const [merged] = (await auditFor(winnerId)).filter((e) => e.action === 'person.merged');
      expect(merged).toMatchObject({ actorId: admin.id, changes: { mergedPersonId: { before: null, after: loserId }, email: { before: null, after: MASKED }, lastName: { before: null, after: MASKED } } });
      const [away] = (await auditFor(loserId)).filter((e) => e.action === 'person.merged_away');
      expect(away).toMatchObject({ actorId: admin.id, changes: { mergedInto: { before: null, after: winnerId } } });
      expect(JSON.stringify([merged, away])).not.toMatch(/mona\.merge|Merge AS/);

      // The loser's e-mail now finds the winner.
      expect((await t.http().get('/api/persons?q=mona.merge').set(as(sales.token)).expect(200)).body.items.map((i: Item) => i.id)).toEqual([winnerId]);
      await t.http().post('/api/persons/merge').set(as(admin.token)).send({ winnerId, loserId, dryRun: false }).expect(404);
    });

    it('[RET-EVENT][RIGHT-ACCESS] event registrations and the disclosure log move to the winner; one registration per event; the event clock runs from the later event', async () => {
      const event = async (name: string, date: string) => (await t.http().post('/api/events').set(as(eventStaff.token)).send({ name, date, place: 'Oslo', organiserName: 'Org', organiserContact: 'org@events.example' }).expect(201)).body.id as string;
      const imported = (eventId: string, csv: string) => importAttendees(t, eventStaff.token, eventId, csv);
      const attendees = async (eventId: string) => (await t.http().get(`/api/events/${eventId}/attendees.csv`).set(as(eventStaff.token)).expect(200)).text.trim().split(/\r?\n/).slice(1);
      const early = await event('Merge Meetup 2024', '2024-03-01');
      const late = await event('Merge Summit 2025', '2025-06-01');
      await imported(early, 'First Name,Last Name,Email\r\nEvy,Early,evy@merge-events.example\r\nEvy,Early,evy.early@home.example\r\n');
      await imported(late, 'First Name,Last Name,Email\r\nEvy,Early,evy.early@home.example\r\n');
      const [winnerId, loserId] = await Promise.all(['evy@merge-events.example', 'evy.early@home.example'].map(async (email) => (await db.query(`SELECT id FROM person WHERE email = $1`, [email]))[0].id as string));
      await attendees(late); // a disclosure to the organiser of the later event, of the loser
      const disclosed = (await db.query(`SELECT id FROM disclosure WHERE person_id = $1`, [loserId])).map((r: { id: string }) => r.id);
      expect(disclosed).toHaveLength(1);

      const dry = await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId, loserId }).expect(200);
      expect(dry.body.moves).toMatchObject({ captures: 2, eventRegistrations: 2, disclosures: 1 });
      await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId, loserId, dryRun: false }).expect(200);

      const registrations = await db.query(`SELECT event_id, person_id FROM event_registration WHERE person_id IN ($1, $2) ORDER BY event_id`, [winnerId, loserId]);
      expect(registrations.map((r: { event_id: string; person_id: string }) => [r.event_id, r.person_id]).sort()).toEqual([[early, winnerId], [late, winnerId]].sort());
      expect(await attendees(early)).toHaveLength(1);
      expect((await attendees(late))[0]).toContain('evy@merge-events.example');
      expect((await db.query(`SELECT id FROM disclosure WHERE person_id = $1 AND id = ANY($2)`, [winnerId, disclosed])).length).toBe(1);
      // The record shows staff (and the person, on an access request) which events, and to whom their data went.
      const record = await detail(winnerId);
      expect(record.eventRegistrations).toEqual([
        { eventId: late, name: 'Merge Summit 2025', date: '2025-06-01', ticketType: null, registeredAt: expect.any(String) },
        { eventId: early, name: 'Merge Meetup 2024', date: '2024-03-01', ticketType: null, registeredAt: expect.any(String) },
      ]);
      // The list of the later event went out before the merge (the loser's) and after it; the earlier event's once.
      expect(record.recipients).toEqual([
        { recipient: `event_organiser:${late}`, kind: 'attendee_list', times: 2, firstAt: expect.any(String), lastAt: expect.any(String) },
        { recipient: `event_organiser:${early}`, kind: 'attendee_list', times: 1, firstAt: expect.any(String), lastAt: expect.any(String) },
      ]);

      const captures = await db.query(`SELECT retention_anchor_at, retention_due_at FROM capture WHERE person_id = $1 AND source = 'event'`, [winnerId]);
      expect(captures).toHaveLength(3);
      const lateAnchor = captures.map((c: { retention_anchor_at: Date }) => c.retention_anchor_at.toISOString()).sort().at(-1);
      expect(lateAnchor.slice(0, 10)).toBe('2025-06-01');
      for (const c of captures) {
        expect(c.retention_anchor_at.toISOString()).toBe(lateAnchor);
        expect(c.retention_due_at.toISOString()).toBe(plusYears(lateAnchor, 6));
      }
    });

    it('[RIGHT-OBJECT][RIGHT-RESTRICT] an objection to direct marketing or a restriction on the loser binds the merged person', async () => {
      const { personId: keep } = await seed({ firstName: 'Oda', lastName: 'Objects', email: 'oda@objects.example' });
      const { personId: gone } = await seed({ firstName: 'Oda', lastName: 'Objects', email: 'oda.objects@private.example' });
      await db.query(`UPDATE person SET marketing_objection_at = '2025-05-05T05:05:05Z', restricted_at = '2025-05-06T06:06:06Z' WHERE id = $1`, [gone]);
      await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId: keep, loserId: gone, dryRun: false }).expect(200);
      const body = await detail(keep);
      expect(body).toMatchObject({ marketingObjectionAt: '2025-05-05T05:05:05.000Z', restrictedAt: '2025-05-06T06:06:06.000Z', email: 'oda@objects.example' });
    });
  });
});

function setOfIds(items: Item[]): string[] {
  return items.map((i) => i.id).sort();
}
