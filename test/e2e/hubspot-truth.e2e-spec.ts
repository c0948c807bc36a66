import { runAsSystem } from '../../src/access/access-context';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config/app-config';
import { APP_CONFIG } from '../../src/config/config.module';
import { createHubspotClient, type Sleep } from '../../src/hubspot/hubspot.client';
import { HubspotLimiter } from '../../src/hubspot/hubspot-limiter';
import { CUSTOM_PROPERTIES } from '../../src/hubspot/hubspot.mapper';
import { HubspotRepository } from '../../src/hubspot/hubspot.repository';
import { PersonSyncService } from '../../src/leads/person-sync.service';
import { NotificationsService } from '../../src/notifications/notifications.service';
import { HubspotSyncService, MAX_ATTEMPTS, OUTAGE_AFTER } from '../../src/hubspot/hubspot-sync.service';
import { LeadsService } from '../../src/leads/leads.service';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import { FakeHubSpot, HS_LEGAL_BASIS_VALUES } from '../hubspot-fake/fake-hubspot';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestSmtpServer } from '../helpers/smtp';

/** The fake's clock; the sync's sleep moves it instead of waiting. */
let now = Date.now();
const DPO = 'dpo@firm.example';
const basis = (pattern: RegExp) => HS_LEGAL_BASIS_VALUES.find((v) => pattern.test(v))!;

/**
 * Issue 14: what the sync sends is all HubSpot gets (whole property objects compared), one
 * contact per person, and every answer read for what it says.
 */
describe('[DISCLOSE-HUBSPOT] the HubSpot sync tells the truth', () => {
  const fake = new FakeHubSpot({ now: () => now, rateLimit: { perTenSeconds: 1000 } });
  const smtp = new TestSmtpServer();
  let t: TestApp;
  let db: DataSource;
  let sync: HubspotSyncService;
  let admin: string;
  let dpo: string;
  let n = 0;

  beforeAll(async () => {
    const { url } = await fake.start();
    const { url: smtpUrl } = await smtp.start();
    t = await startTestApp({
      env: { HUBSPOT_ACCESS_TOKEN: 'test-token', HUBSPOT_BASE_URL: url, HUBSPOT_RATE_LIMIT_PER_10S: '1000', HUBSPOT_REQUEST_TIMEOUT_MS: '2000', SMTP_URL: smtpUrl, DPO_EMAIL: DPO },
      hubspotSleep: async (ms) => {
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
    await smtp.stop();
    await fake.stop();
  });
  beforeEach(async () => {
    now += 60_000;
    fake.clearFaults();
    smtp.clear();
    await db.query(`UPDATE hubspot_sync_control SET paused_until = NULL, pause_reason = NULL, access_failures = 0`);
  });

  const capture = (overrides: { email?: string; consents?: ('service_updates' | 'request_contact' | 'other_services_ask')[]; request?: string } = {}) =>
    runAsSystem('test seed', () =>
      t.app.get(LeadsService).capture(SYSTEM_ACTOR, {
        source: 'web_form',
        receivedAt: new Date(),
        payload: {},
        person: { firstName: 'Kari', lastName: `Nordmann ${++n}`, email: overrides.email ?? `kari${n}.${Date.now()}@example.no`, position: 'CTO', companyName: 'Fjord AS' },
        inquiryType: 'expert_take',
        request: overrides.request ?? null,
        consents: overrides.consents ?? ['service_updates'],
      }),
    );
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const person = async (id: string) => (await db.query(`SELECT * FROM person WHERE id = $1`, [id]))[0];
  /** Every property object sent for this contact (by its address on an upsert, by its id on an update), in order. */
  const sentFor = (key: { email?: string; hubspotId?: string }) =>
    fake.requests
      .filter((r) => r.status < 300 && /\/batch\/(upsert|update)$/.test(r.path))
      .flatMap((r) => (r.body as { inputs: { id: string; properties: Record<string, string> }[] }).inputs)
      .filter((i) => i.id === key.email || i.id === key.hubspotId)
      .map((i) => i.properties);
  const dueNow = () => db.query(`UPDATE hubspot_outbox SET available_at = now() WHERE done_at IS NULL`);
  /** The sync as another process runs it: its own client (to `url`, by default the fake's), sleep and number of senders. */
  const anotherSync = (options: { url?: string; sleep?: Sleep; senders?: number } = {}) => {
    const config: AppConfig = { ...t.app.get<AppConfig>(APP_CONFIG), ...(options.url ? { HUBSPOT_BASE_URL: options.url } : {}), ...(options.senders ? { HUBSPOT_SENDERS: options.senders } : {}) };
    const sleep: Sleep = options.sleep ?? (async (ms) => void (now += ms));
    return new HubspotSyncService(t.app.get(HubspotRepository), t.app.get(PersonSyncService), t.app.get(HubspotLimiter), t.app.get(NotificationsService), createHubspotClient(config), sleep, config);
  };
  /** A portal of its own, for tests of what the sync finds there at start. */
  const withPortal = async (work: (portal: FakeHubSpot, url: string) => Promise<void>) => {
    const portal = new FakeHubSpot({ now: () => now, rateLimit: { perTenSeconds: 1000 } });
    const { url } = await portal.start();
    try {
      await work(portal, url);
    } finally {
      await portal.stop();
    }
  };

  it('a failed start-up backs off instead of asking again at once; health says degraded; the first request that works resumes the sync', async () => {
    fake.failNext(1, 503, { path: /\/crm\/v3\/properties/ });
    const { person: p } = await capture();
    expect((await sync.drain()).paused).toBe(true);
    const asked = fake.counters.requests;
    expect(asked).toBe(1);
    expect((await sync.drain()).paused).toBe(true); // within the backoff: not one more request
    expect(fake.counters.requests).toBe(asked);
    const status = await t.http().get('/api/hubspot/status').set(as(admin)).expect(200);
    expect(status.body).toMatchObject({ state: 'degraded', paused: true, pauseReason: 'HubSpot could not be prepared (HTTP 503); trying again later' });
    expect((await t.http().get('/health/ready').expect(200)).body.info.hubspot).toEqual({ status: 'up', sync: 'degraded' });

    await db.query(`UPDATE hubspot_sync_control SET paused_until = now()`); // the backoff has passed
    await sync.drain();
    expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
    expect((await t.http().get('/api/hubspot/status').set(as(admin)).expect(200)).body).toMatchObject({ state: 'running', paused: false });
  });

  it('a new lead sends exactly what we hold: no empty value that would wipe what sales typed, no free text', async () => {
    const { person: p } = await capture({ request: 'PRIVATE-REQUEST-TEXT: please call me about the audit' });
    await t.http().post(`/api/persons/${p.id}/notes`).set(as(admin)).send({ text: 'PRIVATE-NOTE-TEXT' }).expect(201);
    await sync.drain();
    const [properties] = sentFor({ email: p.email! });
    expect(properties).toEqual({
      email: p.email,
      firstname: 'Kari',
      lastname: p.lastName,
      jobtitle: 'CTO',
      company: 'Fjord AS',
      lifecyclestage: 'lead',
      hs_lead_status: 'NEW',
      hs_legal_basis: expect.any(String),
      crm_source_channel: 'web_form',
      crm_policy_version: 'en-1',
      crm_restricted: 'false',
      crm_consent_service_updates: 'granted',
      crm_consent_service_updates_at: expect.stringMatching(/^\d+$/),
    });
    expect(properties.hs_legal_basis.split(';').sort()).toEqual([basis(/consent/i), basis(/contract/i), basis(/prospect/i)].sort());
    const everything = JSON.stringify(fake.requests.map((r) => r.body));
    expect(everything).not.toContain('PRIVATE-REQUEST-TEXT');
    expect(everything).not.toContain('PRIVATE-NOTE-TEXT');
  });

  it('what sales typed in HubSpot stays; only a field staff cleared on purpose is sent empty, once', async () => {
    const email = `sales-typed.${Date.now()}@example.no`;
    const seeded = fake.seedContact({ email, phone: '+47 22 00 00 00', city: 'Bergen', jobtitle: 'Head of IT' });
    const { person: p } = await capture({ email });
    await sync.drain();
    expect(fake.contactById(seeded.id)!.properties).toMatchObject({ phone: '+47 22 00 00 00', city: 'Bergen', jobtitle: 'CTO' });
    expect(fake.counters.blanked).toBe(0);
    expect(await person(p.id)).toMatchObject({ hubspot_id: seeded.id, hubspot_ids: [seeded.id] });

    await t.http().patch(`/api/persons/${p.id}`).set(as(admin)).send({ position: '' }).expect(200);
    await sync.drain();
    const updates = sentFor({ hubspotId: seeded.id });
    expect(updates.at(-1)).toMatchObject({ jobtitle: '' });
    expect(fake.contactById(seeded.id)!.properties.jobtitle).toBeUndefined();
    expect(fake.contactById(seeded.id)!.properties).toMatchObject({ phone: '+47 22 00 00 00', city: 'Bergen' });
    expect((await person(p.id)).hubspot_clears).toEqual([]);

    // Sales type a job title again in HubSpot; our next change leaves it alone.
    fake.editContact(seeded.id, { jobtitle: 'CIO' });
    await t.http().post(`/api/persons/${p.id}/status`).set(as(admin)).send({ status: 'contacted' }).expect(200);
    await sync.drain();
    expect(sentFor({ hubspotId: seeded.id }).at(-1)).not.toHaveProperty('jobtitle');
    expect(fake.contactById(seeded.id)!.properties.jobtitle).toBe('CIO');
  });

  it('[RIGHT-RESTRICT] a restricted person sends only our restriction flag, once, and nothing more after', async () => {
    const { person: p } = await capture();
    await sync.drain();
    const { hubspot_id: id } = await person(p.id);
    await t.http().post(`/api/persons/${p.id}/restriction`).set(as(dpo)).send({ reason: 'The person disputes the data' }).expect(200);
    await sync.drain();
    expect(sentFor({ hubspotId: id })).toEqual([{ crm_restricted: 'true' }]);
    await capture({ email: p.email! });
    await t.http().post(`/api/persons/${p.id}/status`).set(as(admin)).send({ status: 'qualified' }).expect(409); // processed no further
    await sync.drain();
    expect(sentFor({ hubspotId: id })).toHaveLength(1);
    expect(sentFor({ email: p.email! })).toHaveLength(1); // the first upsert only
    expect(await person(p.id)).toMatchObject({ sync_state: 'restricted' });
  });

  it('[CONSENT-WITHDRAW] a withdrawn consent removes its basis from hs_legal_basis and turns its purpose off', async () => {
    const { person: p } = await capture({ consents: ['service_updates'] });
    await sync.drain();
    const { hubspot_id: id } = await person(p.id);
    await db.query(
      `INSERT INTO consent_event (person_id, purpose, action, source, policy_version, wording, actor_type) VALUES ($1, 'service_updates', 'withdrawn', 'manual', 'en-1', 'withdrawn by e-mail', 'system')`,
      [p.id],
    );
    await db.query(`INSERT INTO hubspot_outbox (person_id, kind) VALUES ($1, 'upsert')`, [p.id]);
    await sync.drain();
    const properties = sentFor({ hubspotId: id }).at(-1)!;
    expect(properties).toEqual({
      email: p.email, firstname: 'Kari', lastname: p.lastName, jobtitle: 'CTO', company: 'Fjord AS', hs_lead_status: 'NEW',
      hs_legal_basis: expect.any(String), crm_source_channel: 'web_form', crm_policy_version: 'en-1', crm_restricted: 'false',
      crm_consent_service_updates: 'withdrawn', crm_consent_service_updates_at: expect.stringMatching(/^\d+$/),
    });
    expect(properties.hs_legal_basis.split(';').sort()).toEqual([basis(/contract/i), basis(/prospect/i)].sort());
  });

  it('[RIGHT-OBJECT] an objection withdraws both marketing purposes and sends unsubscribe-all; the person is not left pending', async () => {
    const { person: p } = await capture({ consents: ['service_updates', 'other_services_ask'] });
    await sync.drain();
    const { hubspot_id: id } = await person(p.id);
    // The unsubscribe is refused once for a scope the app lacks: its row stays open while the contact's update goes through.
    fake.failNext(1, 403, { path: /unsubscribe-all/ });
    await t.http().post(`/api/persons/${p.id}/marketing-objection`).set(as(admin)).send({}).expect(200);
    await sync.drain();
    const properties = sentFor({ hubspotId: id }).at(-1)!;
    expect(properties).toEqual({
      email: p.email, firstname: 'Kari', lastname: p.lastName, jobtitle: 'CTO', company: 'Fjord AS', hs_lead_status: 'NEW',
      hs_legal_basis: expect.any(String), crm_source_channel: 'web_form', crm_policy_version: 'en-1', crm_restricted: 'false',
      crm_consent_service_updates: 'withdrawn', crm_consent_service_updates_at: expect.stringMatching(/^\d+$/),
      crm_consent_other_services_ask: 'withdrawn', crm_consent_other_services_ask_at: expect.stringMatching(/^\d+$/),
    });
    const [open] = await db.query(`SELECT attempts FROM hubspot_outbox WHERE person_id = $1 AND kind = 'unsubscribe' AND done_at IS NULL`, [p.id]);
    expect(open).toEqual({ attempts: 1 });
    expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
    await dueNow();
    await sync.drain();
    expect(fake.unsubscribed()).toContain(p.email!.toLowerCase());
    expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
  });

  it('lead status maps to hs_lead_status; the lifecycle stage only moves forward and disqualifying never overwrites a later stage', async () => {
    const { person: p } = await capture();
    await sync.drain();
    const { hubspot_id: id } = await person(p.id);
    const moves: [string, Record<string, unknown>][] = [
      ['qualified', { lifecyclestage: 'salesqualifiedlead', hs_lead_status: 'IN_PROGRESS' }],
      ['contacted', { hs_lead_status: 'ATTEMPTED_TO_CONTACT' }],
      ['disqualified', { hs_lead_status: 'UNQUALIFIED' }],
      ['qualified', { hs_lead_status: 'IN_PROGRESS' }],
    ];
    for (const [status, expected] of moves) {
      if (status === 'disqualified') fake.editContact(id, { lifecyclestage: 'opportunity' }); // sales moved it on in HubSpot
      await t.http().post(`/api/persons/${p.id}/status`).set(as(admin)).send({ status }).expect(200);
      await sync.drain();
      const sent = sentFor({ hubspotId: id }).at(-1)!;
      expect({ status, sent: { lifecyclestage: sent.lifecyclestage, hs_lead_status: sent.hs_lead_status } }).toEqual({ status, sent: { lifecyclestage: undefined, ...expected } });
    }
    expect(fake.contactById(id)!.properties.lifecyclestage).toBe('opportunity');
    expect(fake.counters.backwardLifecycleMoves).toBe(0);
    expect(await person(p.id)).toMatchObject({ hubspot_stage: 'salesqualifiedlead' });
  });

  it('one contact per person: a changed address updates the same contact by id; a merge merges the contacts; erasure deletes every id and address', async () => {
    const first = (await capture()).person;
    const second = (await capture()).person;
    await sync.drain();
    const firstId = (await person(first.id)).hubspot_id;
    const secondId = (await person(second.id)).hubspot_id;
    const contactsBefore = fake.contacts().length;

    const newAddress = `moved.${Date.now()}@example.no`;
    await t.http().patch(`/api/persons/${first.id}`).set(as(admin)).send({ email: newAddress }).expect(200);
    await sync.drain();
    expect(fake.contacts()).toHaveLength(contactsBefore);
    expect(fake.contactByEmail(newAddress)!.id).toBe(firstId);

    await t.http().post('/api/persons/merge').set(as(admin)).send({ winnerId: first.id, loserId: second.id, dryRun: false }).expect(200);
    await sync.drain();
    const merges = fake.requests.filter((r) => r.path.endsWith('/contacts/merge'));
    expect(merges.map((r) => r.body)).toEqual([{ primaryObjectId: firstId, objectIdToMerge: secondId }]);
    expect(fake.contacts()).toHaveLength(contactsBefore - 1);
    // HubSpot gives the merged record a new id: the person keeps it, and their update goes to it.
    const mergedId = (await person(first.id)).hubspot_id;
    expect([firstId, secondId]).not.toContain(mergedId);
    expect(fake.contactById(mergedId)!.properties.email).toBe(newAddress);
    expect(await person(first.id)).toMatchObject({ hubspot_ids: expect.arrayContaining([firstId, secondId, mergedId]), sync_state: 'synced' });
    expect(sentFor({ hubspotId: mergedId }).length).toBeGreaterThanOrEqual(1); // the merged person's update went by the new id, after the merge
    expect(fake.requests.findIndex((r) => r.path.endsWith('/contacts/merge'))).toBeLessThan(fake.requests.findLastIndex((r) => r.path.endsWith('/batch/update')));

    await runAsSystem('test erasure', () => t.app.get(LeadsService).erase(SYSTEM_ACTOR, [first.id], 'test'));
    await sync.drain();
    const purgeBodies = fake.requests.filter((r) => r.path.endsWith('/gdpr-delete')).map((r) => r.body as { objectId: string; idProperty?: string });
    expect(purgeBodies).toEqual(expect.arrayContaining([{ objectId: mergedId }, { objectId: firstId }, { objectId: secondId }, { objectId: newAddress, idProperty: 'email' }, { objectId: first.email, idProperty: 'email' }]));
    for (const address of [first.email!, second.email!, newAddress]) expect(fake.contactByEmail(address)).toBeUndefined();
    expect(fake.contactById(mergedId)).toBeUndefined();
  });

  it('a 401 pauses the sync and marks nothing failed; status and health say degraded; a token that works resumes it', async () => {
    const people = [(await capture()).person, (await capture()).person];
    fake.failNext(1, 401, { path: /\/batch\// }, 'The OAuth token used to make this call is invalid or has been revoked.');
    const report = await sync.drain();
    expect(report).toMatchObject({ paused: true, failed: 0 });
    const rows = await db.query(`SELECT attempts, done_at, failed_at FROM hubspot_outbox WHERE person_id = ANY($1::uuid[])`, [people.map((p) => p.id)]);
    expect(rows).toEqual(people.map(() => ({ attempts: 0, done_at: null, failed_at: null })));
    for (const p of people) expect(await person(p.id)).toMatchObject({ sync_state: 'pending', sync_error: null });
    const status = (await t.http().get('/api/hubspot/status').set(as(admin)).expect(200)).body;
    expect(status).toMatchObject({ state: 'degraded', paused: true, failed: 0, pauseReason: 'HubSpot refused our access token (HTTP 401); paused until it works again' });
    expect((await t.http().get('/health/ready').expect(200)).body.info.hubspot).toEqual({ status: 'up', sync: 'degraded' });
    const asked = fake.counters.requests;
    await sync.drain();
    expect(fake.counters.requests).toBe(asked);

    await db.query(`UPDATE hubspot_sync_control SET paused_until = now()`);
    await sync.drain();
    for (const p of people) expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
    expect((await t.http().get('/api/hubspot/status').set(as(admin)).expect(200)).body).toMatchObject({ state: 'running' });
  });

  it('a 207 whose error names no input: the person stays pending and is sent again, then fails visibly; nothing is marked done unconfirmed', async () => {
    const { person: p } = await capture();
    fake.failEmail(p.email!, 'Something went wrong with one input', 'VALIDATION_ERROR', { named: false });
    await sync.drain();
    const open = async () => (await db.query(`SELECT attempts FROM hubspot_outbox WHERE person_id = $1 AND done_at IS NULL`, [p.id])).map((r: { attempts: number }) => r.attempts);
    expect(await open()).toEqual([1]);
    expect(await person(p.id)).toMatchObject({ sync_state: 'pending' });
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      await dueNow();
      await sync.drain();
    }
    expect(await open()).toEqual([]);
    expect(await person(p.id)).toMatchObject({ sync_state: 'failed', sync_error: `HubSpot neither confirmed nor refused this contact (${MAX_ATTEMPTS} attempts)` });
    const failures = (await t.http().get('/api/hubspot/failures').set(as(admin)).expect(200)).body;
    expect(failures).toEqual(expect.arrayContaining([expect.objectContaining({ personId: p.id, kind: 'upsert' })]));
    fake.clearFaults();
    await t.http().post(`/api/hubspot/failures/${p.id}/requeue`).set(as(admin)).expect(200, { requeued: 1 });
    await sync.drain();
    expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
  });

  it('[RIGHT-ERASE] a GDPR delete HubSpot refuses is retried with backoff, then shown with HubSpot’s message, the DPO is told, and staff requeue it', async () => {
    const { person: p } = await capture();
    await sync.drain();
    fake.failNext(MAX_ATTEMPTS * 2, 400, { path: /gdpr-delete/ }, `Cannot delete ${p.email}: the portal refuses GDPR deletes`);
    await runAsSystem('test erasure', () => t.app.get(LeadsService).erase(SYSTEM_ACTOR, [p.id], 'test'));
    await sync.drain();
    const rows = async () => db.query(`SELECT attempts, failed_at IS NOT NULL AS failed, last_error FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge' ORDER BY id`, [p.id]);
    // By id and by address (HubSpot had every update: no purge again later).
    expect((await rows()).map((r: { attempts: number }) => r.attempts)).toEqual([1, 1]);
    const available = await db.query(`SELECT available_at > now() AS later FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge'`, [p.id]);
    expect(available.every((r: { later: boolean }) => r.later)).toBe(true); // backing off, not every 5 minutes forever
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      await dueNow();
      await sync.drain();
    }
    const refused = { failed: true, last_error: 'Cannot delete [address]: the portal refuses GDPR deletes' };
    expect(await rows()).toEqual([{ attempts: MAX_ATTEMPTS, ...refused }, { attempts: MAX_ATTEMPTS, ...refused }]);
    const failures = (await t.http().get('/api/hubspot/failures').set(as(admin)).expect(200)).body;
    expect(failures.filter((f: { personId: string }) => f.personId === p.id)).toEqual(
      [1, 2].map(() => expect.objectContaining({ kind: 'purge', error: 'Cannot delete [address]: the portal refuses GDPR deletes' })),
    );
    // One notice for both, given up in the same run.
    const mails = await smtp.waitForMessages(1);
    expect(mails.map((m) => m.to)).toEqual([[DPO]]);
    expect(mails[0].raw.split(p.id).length - 1).toBeGreaterThanOrEqual(2);
    expect(mails[0].raw).not.toContain(p.email!);

    fake.clearFaults();
    expect((await t.http().post(`/api/hubspot/failures/${p.id}/requeue`).set(as(admin)).expect(200)).body).toEqual({ requeued: 2 });
    await sync.drain();
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
    expect((await rows()).map((r: { failed: boolean }) => r.failed)).toEqual([false, false]);
  });
  it('an outage (3 unanswered requests in a row) pauses the whole sync (one request per try, longer each time); a row fails only after 5 attempts and a day in the outbox', async () => {
    const people = [(await capture()).person, (await capture()).person];
    const due = () => db.query(`UPDATE hubspot_outbox SET available_at = now() WHERE person_id = ANY($1::uuid[]) AND done_at IS NULL`, [people.map((p) => p.id)]);
    fake.failNext(1000, 503, { path: /\/batch\// });
    const sends = () => fake.requests.filter((r) => /\/batch\//.test(r.path)).length;
    const before = sends();
    let report = await sync.drain();
    expect(report).toMatchObject({ paused: false, retried: 1, failed: 0 }); // one failure is a blip
    for (let i = 2; i <= OUTAGE_AFTER; i++) {
      await due();
      report = await sync.drain();
    }
    expect(report).toMatchObject({ paused: true, failed: 0 });
    expect(sends() - before).toBe(OUTAGE_AFTER);
    await due();
    await sync.drain();
    expect(sends() - before).toBe(OUTAGE_AFTER); // paused: nothing sent, not every row's attempts in seconds
    const status = (await t.http().get('/api/hubspot/status').set(as(admin)).expect(200)).body;
    expect(status).toMatchObject({ state: 'degraded', paused: true, pauseReason: 'HubSpot or the network failed; paused, trying again later' });
    const { paused_until: first } = (await db.query(`SELECT paused_until FROM hubspot_sync_control`))[0];
    expect(first.getTime()).toBeGreaterThan(Date.now());
    const rows = () => db.query(`SELECT attempts, failed_at IS NOT NULL AS failed FROM hubspot_outbox WHERE person_id = ANY($1::uuid[]) AND done_at IS NULL ORDER BY id`, [people.map((p) => p.id)]);

    for (let attempt = OUTAGE_AFTER + 1; attempt <= MAX_ATTEMPTS + 2; attempt++) {
      await due();
      await db.query(`UPDATE hubspot_sync_control SET paused_until = now()`);
      await sync.drain();
    }
    // Young rows: still waiting, however many attempts.
    expect((await rows()).every((r: { attempts: number; failed: boolean }) => r.attempts > MAX_ATTEMPTS && !r.failed)).toBe(true);
    for (const p of people) expect(await person(p.id)).toMatchObject({ sync_state: 'pending' });
    // A day later, still down: shown as failed, for staff to requeue.
    await db.query(`UPDATE hubspot_outbox SET created_at = now() - interval '25 hours' WHERE person_id = ANY($1::uuid[])`, [people.map((p) => p.id)]);
    await due();
    await db.query(`UPDATE hubspot_sync_control SET paused_until = now()`);
    await sync.drain();
    for (const p of people) expect(await person(p.id)).toMatchObject({ sync_state: 'failed', sync_error: expect.stringMatching(/^HTTP 503/) });
    // HubSpot is back: the first request that works ends the pause.
    fake.clearFaults();
    await db.query(`UPDATE hubspot_sync_control SET paused_until = now()`);
    await t.http().post('/api/hubspot/failures/requeue').set(as(admin)).expect(200);
    await sync.drain();
    for (const p of people) expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
    expect((await t.http().get('/api/hubspot/status').set(as(admin)).expect(200)).body).toMatchObject({ state: 'running', paused: false });
    expect(smtp.messages).toHaveLength(0); // contact updates carry no legal deadline: no DPO notice
  });

  it('[RIGHT-ERASE] a contact deleted in HubSpot is not created again on its own: shown as failed with its id forgotten; a requeue creates it', async () => {
    const { person: p } = await capture();
    await sync.drain();
    const { hubspot_id: id } = await person(p.id);
    const purged = await fetch(`${fake.url}/crm/v3/objects/contacts/gdpr-delete`, { method: 'POST', headers: { Authorization: 'Bearer test-token', 'Content-Type': 'application/json' }, body: JSON.stringify({ objectId: id }) });
    expect(purged.status).toBe(204);
    await t.http().patch(`/api/persons/${p.id}`).set(as(admin)).send({ location: 'Tromsø' }).expect(200);
    await sync.drain();
    expect(await person(p.id)).toMatchObject({ sync_state: 'failed', hubspot_id: null, sync_error: expect.stringMatching(/no longer has this contact/) });
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
    await t.http().post(`/api/hubspot/failures/${p.id}/requeue`).set(as(admin)).expect(200);
    await sync.drain();
    expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
    expect(fake.contactByEmail(p.email!)!.properties.city).toBe('Tromsø');
  });

  it('a 404 that is not HubSpot’s “no such object” (a wrong path or base URL) does not count as a GDPR delete done', async () => {
    const { person: p } = await capture();
    await sync.drain();
    fake.failNext(1, 404, { path: /gdpr-delete/ }, 'Not Found');
    await runAsSystem('test erasure', () => t.app.get(LeadsService).erase(SYSTEM_ACTOR, [p.id], 'test'));
    await sync.drain();
    const rows = await db.query(`SELECT attempts, done_at IS NOT NULL AS done FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge' ORDER BY id`, [p.id]);
    expect(rows).toContainEqual({ attempts: 1, done: false });
    await dueNow();
    await sync.drain();
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
  });

  it('a batch HubSpot refuses whole for one bad contact (a 400, as its batch validation is all or nothing) is sent again one by one: the bad one fails alone', async () => {
    const people = [(await capture()).person, (await capture()).person, (await capture()).person];
    fake.failEmail(people[1].email!, `Property values were not valid: email ${people[1].email} is invalid`, 'VALIDATION_ERROR', { wholeBatch: true });
    const before = fake.requests.filter((r) => r.path.endsWith('/batch/upsert')).length;
    await sync.drain();
    expect(fake.requests.filter((r) => r.path.endsWith('/batch/upsert')).length - before).toBe(1 + people.length);
    expect(await person(people[0].id)).toMatchObject({ sync_state: 'synced' });
    expect(await person(people[2].id)).toMatchObject({ sync_state: 'synced' });
    expect(await person(people[1].id)).toMatchObject({ sync_state: 'failed', sync_error: expect.stringMatching(/^Property values were not valid/) });
    expect((await t.http().get('/api/hubspot/status').set(as(admin)).expect(200)).body).toMatchObject({ paused: false });
  });

  it('a changed address another HubSpot contact already has (409 CONFLICT): the person fails saying what staff can do, with the other contact’s id', async () => {
    const { person: p } = await capture();
    await sync.drain();
    const taken = `taken.${Date.now()}@example.no`;
    const other = fake.seedContact({ email: taken }); // sales created it in HubSpot
    await t.http().patch(`/api/persons/${p.id}`).set(as(admin)).send({ email: taken }).expect(200);
    await sync.drain();
    const advice = (id: string) => `HubSpot already has another contact with this address (id ${id}): merge the two in HubSpot or correct the address here, then requeue`;
    expect(await person(p.id)).toMatchObject({ sync_state: 'failed', sync_error: advice(other.id) });
    const failures = (await t.http().get('/api/hubspot/failures').set(as(admin)).expect(200)).body;
    expect(failures).toEqual(expect.arrayContaining([expect.objectContaining({ personId: p.id, kind: 'upsert', error: advice(other.id) })]));

    // The same refusal as a whole-request 409 (a single update), not inside a 207.
    fake.failNext(1, 409, { path: /\/batch\/update$/ }, 'Contact already exists. Existing ID: 4242');
    await t.http().post(`/api/hubspot/failures/${p.id}/requeue`).set(as(admin)).expect(200);
    await sync.drain();
    expect(await person(p.id)).toMatchObject({ sync_state: 'failed', sync_error: advice('4242') });
  });

  it('persons in one batch retrying for different reasons each keep their own reason on their rows', async () => {
    const known = (await capture()).person;
    await sync.drain();
    await t.http().patch(`/api/persons/${known.id}`).set(as(admin)).send({ location: 'Molde' }).expect(200); // updated by id
    const fresh = (await capture()).person; // upserted by e-mail
    fake.failNext(1, 503, { path: /\/batch\/update$/ });
    fake.failEmail(fresh.email!, 'Something went wrong with one input', 'VALIDATION_ERROR', { named: false });
    await anotherSync({ senders: 1 }).drain(); // one sender: both persons in one batch
    const rows = await db.query(`SELECT person_id, attempts, last_error FROM hubspot_outbox WHERE person_id = ANY($1::uuid[]) AND done_at IS NULL ORDER BY id`, [[known.id, fresh.id]]);
    expect(rows).toEqual([
      { person_id: known.id, attempts: 1, last_error: 'HTTP 503: Service Unavailable' },
      { person_id: fresh.id, attempts: 1, last_error: 'HubSpot neither confirmed nor refused this contact' },
    ]);
    fake.clearFaults();
    await dueNow();
    await sync.drain();
  });

  it('a ten-secondly 429 is waited out after the batch is rolled back: its rows are locked by no one meanwhile, and then each is sent once', async () => {
    const people = [(await capture()).person, (await capture()).person];
    const ids = people.map((p) => p.id);
    let asleep!: (ms: number) => void;
    const slept = new Promise<number>((resolve) => (asleep = resolve));
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const other = anotherSync({ senders: 1, sleep: (ms) => (asleep(ms), (now += ms), woken) });
    await other.prepare(); // so that the 429 falls on the batch
    fake.failNext(1, 429, { path: /\/batch\// });
    const drained = other.drain();
    try {
      expect(await slept).toBe(10_000);
      // While the sync waits for the window: another connection takes the rows and the persons' locks at once.
      const runner = db.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        const rows = await runner.query(`SELECT attempts FROM hubspot_outbox WHERE person_id = ANY($1::uuid[]) AND done_at IS NULL FOR UPDATE NOWAIT`, [ids]);
        expect(rows).toEqual([{ attempts: 0 }, { attempts: 0 }]); // untouched
        const [{ free }] = await runner.query(`SELECT bool_and(pg_try_advisory_xact_lock(hashtextextended('hubspot:' || id::text, 0))) AS free FROM unnest($1::uuid[]) AS id`, [ids]);
        expect(free).toBe(true);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    } finally {
      wake();
    }
    expect(await drained).toMatchObject({ rateLimited: 1, upserted: 2 });
    for (const p of people) {
      expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
      expect(sentFor({ email: p.email! })).toHaveLength(1);
    }
  });

  it('two instances preparing a fresh portal at once: HubSpot’s 409 “already exists” on the second’s creates counts as done, not as a failed start', async () => {
    await withPortal(async (portal, url) => {
      const [a, b] = [anotherSync({ url }), anotherSync({ url })];
      // b prepares the whole portal between a's reading it and a's first create: each of a's creates then meets b's.
      portal.beforeNext({ method: 'POST', path: '/crm/v3/properties/contacts/groups' }, () => b.prepare());
      await expect(a.prepare()).resolves.toMatchObject({ unusable: [] });
      const creates = portal.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/crm/v3/properties/contacts'));
      expect(creates.filter((r) => r.status === 201)).toHaveLength(1 + CUSTOM_PROPERTIES.length);
      expect(creates.filter((r) => r.status === 409)).toHaveLength(1 + CUSTOM_PROPERTIES.length);
      expect(portal.property('crm_restricted')).toMatchObject({ groupName: 'lead_intake_crm' });
    });
  });

  it('our properties as someone else made them: a missing option of ours is added (theirs kept); one of another type is named in a warning and the status, and not sent', async () => {
    await withPortal(async (portal, url) => {
      const option = (value: string, displayOrder: number) => ({ label: value, value, description: '', displayOrder, hidden: false });
      portal.seedProperty({ name: 'crm_consent_service_updates', type: 'bool', fieldType: 'booleancheckbox', options: [option('true', 0), option('false', 1)] });
      portal.seedProperty({ name: 'crm_consent_request_contact', type: 'enumeration', fieldType: 'select', options: [option('granted', 0), option('unknown', 1)] });
      const warn = jest.spyOn(Logger.prototype, 'warn');
      try {
        const other = anotherSync({ url });
        await expect(other.prepare()).resolves.toMatchObject({ unusable: ['crm_consent_service_updates'] });
        expect(portal.property('crm_consent_request_contact')!.options.map((o) => o.value)).toEqual(['granted', 'unknown', 'withdrawn']);
        expect(portal.property('crm_consent_service_updates')).toMatchObject({ type: 'bool', fieldType: 'booleancheckbox' }); // not ours to change
        const said = 'HubSpot property crm_consent_service_updates is bool/booleancheckbox, not enumeration/select: not sent until fixed in HubSpot';
        expect(warn.mock.calls.map((c) => c[0])).toContain(said);
        expect((await t.http().get('/api/hubspot/status').set(as(admin)).expect(200)).body).toMatchObject({ lastError: said });

        // Every contact still goes, without that one property (HubSpot would refuse "granted" for a bool).
        const { person: p } = await capture({ consents: ['service_updates', 'request_contact'] });
        await other.drain();
        const contact = portal.contactByEmail(p.email!)!;
        expect(contact.properties).toMatchObject({ crm_consent_request_contact: 'granted', crm_restricted: 'false' });
        expect(contact.properties).not.toHaveProperty('crm_consent_service_updates');
        expect(contact.properties).toHaveProperty('crm_consent_service_updates_at');
        expect(await person(p.id)).toMatchObject({ sync_state: 'synced' });
      } finally {
        warn.mockRestore();
      }
    });
  });

  it('[RIGHT-ERASE] an update in flight at the erasure (sent, its answer timed out) that lands after the purge is purged once more ten minutes later', async () => {
    const { person: p } = await capture();
    // Longer than the request timeout: answered only when released (a retry within the same drain too).
    fake.delayNext(5, 60_000, { path: /\/batch\/upsert$/ });
    await sync.drain();
    expect((await db.query(`SELECT attempts FROM hubspot_outbox WHERE person_id = $1 AND kind = 'upsert' AND done_at IS NULL`, [p.id]))[0].attempts).toBeGreaterThanOrEqual(1);
    await runAsSystem('test erasure', () => t.app.get(LeadsService).erase(SYSTEM_ACTOR, [p.id], 'test'));
    await db.query(`UPDATE hubspot_sync_control SET paused_until = NULL, access_failures = 0`); // HubSpot answers again
    await sync.drain();
    const purged = await db.query(`SELECT count(*)::int AS n FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge' AND done_at IS NOT NULL`, [p.id]);
    expect(purged[0].n).toBe(1); // the first purge by address went
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
    fake.releaseDelayed(); // the abandoned upsert lands after all, after the purge
    const landed = Date.now() + 10_000;
    while (!fake.contactByEmail(p.email!) && Date.now() < landed) await new Promise((resolve) => setImmediate(resolve));
    expect(fake.contactByEmail(p.email!)).toBeDefined();
    const late = await db.query(`SELECT email IS NOT NULL AS by_address, available_at > now() + interval '9 minutes' AS late FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge' AND done_at IS NULL`, [p.id]);
    expect(late).toEqual([{ by_address: true, late: true }]);
    await db.query(`UPDATE hubspot_outbox SET available_at = now() WHERE person_id = $1 AND done_at IS NULL`, [p.id]);
    await sync.drain();
    expect(fake.contactByEmail(p.email!)).toBeUndefined();
  });
});
