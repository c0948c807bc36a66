import { runAsSystem } from '../../src/access/access-context';
import { DataSource } from 'typeorm';
import { HubspotSyncService } from '../../src/hubspot/hubspot-sync.service';
import { LeadsService } from '../../src/leads/leads.service';
import type { IntakeSource } from '../../src/domain/purposes';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import { HS_LEGAL_BASIS_VALUES } from '../hubspot-fake/fake-hubspot';
import { FakeHubSpot } from '../hubspot-fake/fake-hubspot';
import { startTestApp, type TestApp } from '../helpers/app';

/** The fake's clock; the sync's sleep moves it instead of waiting. */
let now = Date.now();
const sleeps: number[] = [];

describe('[DISCLOSE-HUBSPOT] HubSpot sync through the real SDK, against the fake', () => {
  const fake = new FakeHubSpot({ now: () => now, rateLimit: { perTenSeconds: 1000 } });
  let t: TestApp;
  let db: DataSource;
  let sync: HubspotSyncService;
  let admin: string;
  let dpo: string;
  let n = 0;

  beforeAll(async () => {
    const { url } = await fake.start();
    t = await startTestApp({
      env: { HUBSPOT_ACCESS_TOKEN: 'test-token', HUBSPOT_BASE_URL: url, HUBSPOT_RATE_LIMIT_PER_10S: '1000', HUBSPOT_REQUEST_TIMEOUT_MS: '300' },
      hubspotSleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    db = t.owner;
    sync = t.app.get(HubspotSyncService);
    admin = (await t.userWith('admin')).token;
    dpo = (await t.userWith('dpo')).token;
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(async () => {
    now += 60_000; // past every earlier test's rate-limit window
    fake.clearFaults();
    fake.setRateLimit({ perTenSeconds: 1000, daily: 1_000_000 });
    sleeps.length = 0;
    // No test inherits another's pause (an outage or the daily limit).
    await db.query(`UPDATE hubspot_sync_control SET paused_until = NULL, pause_reason = NULL, access_failures = 0`);
  });

  const capture = (overrides: { email?: string; source?: IntakeSource; consents?: ('service_updates' | 'request_contact')[] } = {}) =>
    runAsSystem('test seed', () =>
      t.app.get(LeadsService).capture(SYSTEM_ACTOR, {
        source: overrides.source ?? 'web_form',
        receivedAt: new Date(),
        payload: {},
        person: { firstName: 'Kari', lastName: `Nordmann ${++n}`, email: overrides.email ?? `kari${n}.${Date.now()}@example.no`, position: 'CTO', companyName: 'Fjord AS' },
        inquiryType: 'expert_take',
        consents: overrides.consents ?? ['service_updates'],
      }),
    );
  const upsertRequests = () => fake.requests.filter((r) => r.path.endsWith('/batch/upsert'));
  const person = async (id: string) => (await db.query(`SELECT * FROM person WHERE id = $1`, [id]))[0];
  const drainAll = async () => {
    const report = await sync.drain();
    return report;
  };

  it('creates our property group and properties, reads hs_legal_basis options, and sends a person with legal basis and consent', async () => {
    const { person: p } = await capture({ consents: ['service_updates'] });
    const report = await drainAll();
    expect(report.upserted).toBeGreaterThanOrEqual(1);
    expect(fake.propertyGroups().map((g) => g.name)).toContain('lead_intake_crm');
    for (const name of ['crm_consent_service_updates', 'crm_consent_service_updates_at', 'crm_policy_version', 'crm_restricted', 'crm_source_channel']) {
      expect({ name, exists: Boolean(fake.property(name)) }).toEqual({ name, exists: true });
    }
    const contact = fake.contactByEmail(p.email!)!;
    expect(contact.properties).toMatchObject({
      firstname: 'Kari', jobtitle: 'CTO', company: 'Fjord AS', lifecyclestage: 'lead',
      crm_consent_service_updates: 'granted', crm_policy_version: 'en-1', crm_source_channel: 'web_form', crm_restricted: 'false',
    });
    const bases = contact.properties.hs_legal_basis.split(';');
    expect(bases).toEqual(expect.arrayContaining([HS_LEGAL_BASIS_VALUES.find((v) => /consent/i.test(v))!, HS_LEGAL_BASIS_VALUES.find((v) => /contract/i.test(v))!]));
    const row = await person(p.id);
    expect(row).toMatchObject({ sync_state: 'synced', hubspot_id: contact.id, sync_error: null });
  });

  it('batches of at most 100, the newest state per person, nothing sent twice', async () => {
    const before = upsertRequests().length;
    const people = [];
    for (let i = 0; i < 230; i++) people.push((await capture()).person);
    // Three changes to one person before the drain: one input, with the last state.
    await t.http().patch(`/api/persons/${people[0].id}`).set('Authorization', `Bearer ${admin}`).send({ position: 'CEO' }).expect(200);
    await t.http().patch(`/api/persons/${people[0].id}`).set('Authorization', `Bearer ${admin}`).send({ position: 'Chair' }).expect(200);
    const report = await drainAll();
    expect(report.upserted).toBe(230);
    const requests = upsertRequests().slice(before);
    const sizes = requests.map((r) => (r.body as { inputs: unknown[] }).inputs.length);
    expect(sizes.every((s) => s <= 100)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(230);
    expect(fake.contactByEmail(people[0].email!)!.properties.jobtitle).toBe('Chair');
    const [{ pending }] = await db.query(`SELECT count(*)::int AS pending FROM hubspot_outbox WHERE done_at IS NULL`);
    expect(pending).toBe(0);
  });

  it('two drains at once send every person exactly once', async () => {
    const before = upsertRequests().length;
    const emails = new Set<string>();
    for (let i = 0; i < 300; i++) emails.add((await capture()).person.email!);
    const [a, b] = await Promise.all([sync.drain(), sync.drain()]);
    expect(a.upserted + b.upserted).toBe(300);
    const sent = upsertRequests().slice(before).flatMap((r) => (r.body as { inputs: { id: string }[] }).inputs.map((i) => i.id));
    expect(sent.length).toBe(300);
    expect(new Set(sent)).toEqual(emails);
  });

  it('a 207 marks only the refused contact failed, with HubSpot’s message; staff re-queue it', async () => {
    const good = (await capture()).person;
    const bad = (await capture()).person;
    fake.failEmail(bad.email!, 'Email address is on a blocklist');
    await drainAll();
    expect(await person(good.id)).toMatchObject({ sync_state: 'synced' });
    expect(await person(bad.id)).toMatchObject({ sync_state: 'failed', sync_error: 'Email address is on a blocklist' });
    const failures = await t.http().get('/api/hubspot/failures').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(failures.body).toEqual(expect.arrayContaining([expect.objectContaining({ personId: bad.id, error: 'Email address is on a blocklist' })]));
    fake.clearFaults();
    const requeued = await t.http().post(`/api/hubspot/failures/${bad.id}/requeue`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(requeued.body).toEqual({ requeued: 1 });
    await drainAll();
    expect(await person(bad.id)).toMatchObject({ sync_state: 'synced', sync_error: null });
    expect(fake.contactByEmail(bad.email!)).toBeDefined();
  });

  it('a ten-secondly 429 waits for the window and goes on; nothing is lost', async () => {
    fake.setRateLimit({ perTenSeconds: 2 });
    const people = [];
    for (let i = 0; i < 5; i++) people.push((await capture()).person);
    await t.http().patch(`/api/persons/${people[0].id}`).set('Authorization', `Bearer ${admin}`).send({ location: 'Oslo' }).expect(200);
    const report = await drainAll();
    expect(report.rateLimited).toBe(0); // one batch: under the window
    fake.setRateLimit({ perTenSeconds: 1 });
    for (const p of people) await t.http().patch(`/api/persons/${p.id}`).set('Authorization', `Bearer ${admin}`).send({ location: 'Bergen' }).expect(200);
    fake.failNext(1, 429); // an injected 429 carries no policy: treated as the rolling window
    const second = await drainAll();
    expect(second.rateLimited).toBeGreaterThanOrEqual(1);
    expect(sleeps).toContain(10_000);
    for (const p of people) expect(fake.contactByEmail(p.email!)!.properties.city).toBe('Bergen');
  });

  it('the daily limit pauses the sync until the reset, and status and health say so', async () => {
    const p = (await capture()).person;
    fake.setRateLimit({ daily: 0 });
    const report = await drainAll();
    expect(report.paused).toBe(true);
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
    const status = await t.http().get('/api/hubspot/status').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(status.body).toMatchObject({ configured: true, paused: true, pauseReason: expect.stringMatching(/daily/i), backlog: expect.any(Number) });
    expect(new Date(status.body.pausedUntil).getTime()).toBeGreaterThan(Date.now());
    const health = await t.http().get('/health/ready').expect(200);
    expect(health.body.details.hubspot).toEqual({ status: 'up', sync: 'paused' });
    const requests = fake.requests.length;
    expect((await drainAll()).paused).toBe(true);
    expect(fake.requests.length).toBe(requests); // paused: nothing sent
    await db.query(`UPDATE hubspot_sync_control SET paused_until = now() - interval '1 second'`); // the day is over
    fake.setRateLimit({ daily: 1_000_000 });
    await drainAll();
    expect(fake.contactByEmail(p.email!)).toBeDefined();
  });

  it('5xx, a timeout and a dropped connection are retried later with backoff; no contact is duplicated', async () => {
    const p = (await capture()).person;
    // The row's backoff and the sync's pause are over.
    const again = async () => {
      await db.query(`UPDATE hubspot_outbox SET available_at = now() WHERE person_id = $1`, [p.id]);
      await db.query(`UPDATE hubspot_sync_control SET paused_until = now()`);
    };
    fake.failNext(1, 503);
    const report = await drainAll();
    expect(report).toMatchObject({ retried: 1, paused: false }); // one failure is a blip, not an outage
    const [row] = await db.query(`SELECT attempts, last_error, available_at > now() AS later FROM hubspot_outbox WHERE person_id = $1 AND done_at IS NULL`, [p.id]);
    expect(row).toMatchObject({ attempts: 1, later: true, last_error: expect.stringContaining('503') });

    fake.delayNext(1, 2000); // longer than HUBSPOT_REQUEST_TIMEOUT_MS (300)
    await again();
    expect((await drainAll()).retried).toBe(1);
    const [timedOut] = await db.query(`SELECT attempts, last_error FROM hubspot_outbox WHERE person_id = $1 AND done_at IS NULL`, [p.id]);
    expect(timedOut).toMatchObject({ attempts: 2, last_error: expect.stringMatching(/did not answer within 300 ms/) });
    fake.releaseDelayed(); // the abandoned request lands after all

    fake.dropNext(1);
    await again();
    expect((await drainAll()).retried).toBe(1);

    await again();
    await drainAll();
    expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
    expect(fake.contacts().filter((c) => c.properties.email === p.email)).toHaveLength(1);
  });

  it('[RIGHT-RESTRICT] restriction stops all further syncing and sets our restriction flag in HubSpot, recorded as a disclosure', async () => {
    const p = (await capture()).person;
    await drainAll();
    await t.http().post(`/api/persons/${p.id}/restriction`).set('Authorization', `Bearer ${dpo}`).send({ reason: 'The person disputes the data' }).expect(200);
    await drainAll();
    expect(fake.contactByEmail(p.email!)!.properties.crm_restricted).toBe('true');
    expect(await person(p.id)).toMatchObject({ sync_state: 'restricted' });
    const disclosures = await db.query(`SELECT recipient, kind FROM disclosure WHERE person_id = $1`, [p.id]);
    expect(disclosures).toEqual([{ recipient: 'hubspot', kind: 'restriction' }]);
    // A later arrival of the same person's data is stored, but not sent.
    await capture({ email: p.email! });
    const [{ waiting }] = await db.query(`SELECT count(*)::int AS waiting FROM hubspot_outbox WHERE person_id = $1 AND done_at IS NULL`, [p.id]);
    expect(waiting).toBe(0);
  });

  it('[RIGHT-OBJECT] an objection to direct marketing withdraws marketing consent and unsubscribes the address from all e-mail', async () => {
    const p = (await capture({ consents: ['service_updates', 'request_contact'] })).person;
    await t.http().post(`/api/persons/${p.id}/marketing-objection`).set('Authorization', `Bearer ${admin}`).send({}).expect(200);
    const consents = await db.query(`SELECT purpose, action FROM consent_event WHERE person_id = $1 ORDER BY id`, [p.id]);
    expect(consents).toEqual([
      { purpose: 'service_updates', action: 'granted' },
      { purpose: 'request_contact', action: 'granted' },
      { purpose: 'service_updates', action: 'withdrawn' },
    ]);
    await drainAll();
    expect(fake.unsubscribed()).toContain(p.email);
    expect(fake.contactByEmail(p.email!)!.properties.crm_consent_service_updates).toBe('withdrawn');
    const kinds = (await db.query(`SELECT kind FROM disclosure WHERE person_id = $1`, [p.id])).map((r: { kind: string }) => r.kind);
    expect(kinds).toEqual(['unsubscribe_all']);
    const [{ email }] = await db.query(`SELECT email FROM hubspot_outbox WHERE person_id = $1 AND kind = 'unsubscribe'`, [p.id]);
    expect(email).toBeNull(); // the address is not kept once HubSpot has it
  });

  it('[ACCESS-AM] a failed unsubscribe leaves no address in the sync status sales see; HubSpot’s message stays on the outbox row, without the address', async () => {
    const p = (await capture({ consents: ['service_updates'] })).person;
    await t.http().post(`/api/persons/${p.id}/marketing-objection`).set('Authorization', `Bearer ${admin}`).send({}).expect(200);
    fake.failNext(1, 400, { path: /unsubscribe-all/ }, `Cannot unsubscribe ${p.email}: contact has no subscription record`);
    await drainAll();
    fake.clearFaults();
    const sales = (await t.userWith('sales')).token;
    const status = await t.http().get('/api/hubspot/status').set('Authorization', `Bearer ${sales}`).expect(200);
    expect(status.body.lastError).toBe('HubSpot refused a request (HTTP 400)');
    expect(JSON.stringify(status.body)).not.toContain(p.email!);
    const [row] = await db.query(`SELECT last_error FROM hubspot_outbox WHERE person_id = $1 AND kind = 'unsubscribe'`, [p.id]);
    expect(row.last_error).toBe('Cannot unsubscribe [address]: contact has no subscription record');

    // A connection dropped: the network error quotes the request's URL, which names the address (URL-encoded); only its code is kept.
    await db.query(`UPDATE hubspot_outbox SET available_at = now() WHERE person_id = $1 AND kind = 'unsubscribe'`, [p.id]);
    fake.dropNext(1, { path: /unsubscribe-all/ });
    await drainAll();
    const [dropped] = await db.query(`SELECT last_error FROM hubspot_outbox WHERE person_id = $1 AND kind = 'unsubscribe'`, [p.id]);
    expect(dropped.last_error).toMatch(/^no answer from HubSpot/);
    const local = p.email!.split('@')[0];
    for (const text of [dropped.last_error, JSON.stringify((await t.http().get('/api/hubspot/status').set('Authorization', `Bearer ${sales}`).expect(200)).body)]) {
      expect(text).not.toContain(local);
      expect(text).not.toContain('%40');
    }
  });

  it('[RIGHT-ERASE] erasure purges the contact in HubSpot and a suppression keeps it from coming back until the person gives new data', async () => {
    const p = (await capture({ consents: [] })).person;
    await drainAll();
    expect(fake.contactByEmail(p.email!)).toBeDefined();
    await runAsSystem('test erasure', () => t.app.get(LeadsService).erase(SYSTEM_ACTOR, [p.id], 'test'));
    await drainAll();
    expect(fake.purged().map((x) => x.email)).toContain(p.email);
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
    const [suppression] = await db.query(`SELECT email_hash FROM hubspot_suppression`);
    expect(suppression.email_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await db.query(`SELECT * FROM hubspot_suppression`))).not.toContain(p.email);

    // The same address arrives again, typed in by staff from an old list: stored, never sent.
    const again = (await capture({ email: p.email!, source: 'event', consents: [] })).person;
    await drainAll();
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
    expect(await person(again.id)).toMatchObject({ sync_state: 'suppressed' });

    // The person gives new data themselves: the suppression is lifted and the contact comes back.
    await capture({ email: p.email!, source: 'web_form', consents: ['request_contact'] });
    await drainAll();
    expect(fake.contactByEmail(p.email!)).toBeDefined();
    expect(await db.query(`SELECT * FROM hubspot_suppression`)).toEqual([]);
  });
});
