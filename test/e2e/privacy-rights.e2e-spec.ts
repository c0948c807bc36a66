import { parse } from 'csv-parse/sync';
import { pdfjs } from '../helpers/pdfjs';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { runAsSystem } from '../../src/access/access-context';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import type { ConsentPurpose, IntakeSource } from '../../src/domain/purposes';
import { LeadsService } from '../../src/leads/leads.service';
import { PrivacyRequestsService } from '../../src/privacy/privacy-requests.service';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestSmtpServer } from '../helpers/smtp';

const DPO_ADDRESS = 'dpo@firm.example';
/** A supertest parser keeping the body as bytes. */
const binary = (res: Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
};
const DAY = 86_400_000;

/** Data subjects' rights (issue 18), end to end through the API, counting what each changed. */
describe('data-subject requests', () => {
  const smtp = new TestSmtpServer();
  let t: TestApp;
  let db: DataSource;
  let dpo: string;
  let sales: string;
  let n = 0;

  beforeAll(async () => {
    const { url } = await smtp.start();
    t = await startTestApp({ env: { SMTP_URL: url, DPO_EMAIL: DPO_ADDRESS, PUBLIC_BASE_URL: 'https://crm.firm.example' } });
    db = t.owner;
    dpo = (await t.userWith('dpo')).token;
    sales = (await t.userWith('sales')).token;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });
  beforeEach(() => smtp.clear());

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const capture = (overrides: { email?: string; lastName?: string; consents?: ConsentPurpose[]; source?: IntakeSource; receivedAt?: Date } = {}) =>
    runAsSystem('test seed', () =>
      t.app.get(LeadsService).capture(SYSTEM_ACTOR, {
        source: overrides.source ?? 'web_form',
        receivedAt: overrides.receivedAt ?? new Date(),
        payload: { name: 'Ola Nordmann', message: 'Please call me' },
        person: { firstName: 'Ola', lastName: overrides.lastName ?? 'Nordmann', email: overrides.email ?? `ola${++n}.${Date.now()}@example.no` },
        inquiryType: 'expert_take',
        request: 'Please call me',
        consents: overrides.consents ?? ['service_updates'],
      }),
    );
  const open = (body: Record<string, unknown>) => t.http().post('/api/privacy-requests').set(as(dpo)).send({ channel: 'email', ...body });
  const verify = (id: string) => t.http().post(`/api/privacy-requests/${id}/identity`).set(as(dpo)).send({ method: 'Video call, ID shown', documents: ['passport', 'bank_id'] }).expect(200);
  const fulfil = (id: string, body: Record<string, unknown> = {}) => t.http().post(`/api/privacy-requests/${id}/fulfilment`).set(as(dpo)).send(body);
  const counts = async (personId: string) =>
    (
      await db.query(
        `SELECT (SELECT count(*)::int FROM capture WHERE person_id = $1 AND payload <> '{}') AS captures,
                (SELECT count(*)::int FROM consent_event WHERE person_id = $1) AS consents,
                (SELECT count(*)::int FROM activity WHERE person_id = $1 AND body IS NOT NULL) AS activities,
                (SELECT email FROM person WHERE id = $1) AS email`,
        [personId],
      )
    )[0];

  it('only the DPO handles requests', async () => {
    await t.http().get('/api/privacy-requests').set(as(sales)).expect(403);
    await t.http().post('/api/privacy-requests').set(as(sales)).send({ type: 'access', identifier: 'x@example.no', channel: 'email' }).expect(403);
  });

  it('[RIGHT-ACCESS] a request by an address the person gave once finds them; nothing is done before identity is verified; the copy holds everything; every step is recorded', async () => {
    const { person } = await capture({ consents: ['service_updates', 'request_contact'] });
    const oldAddress = person.email!;
    const currentAddress = `renamed.${Date.now()}@example.no`;
    await db.query(`UPDATE person SET email = $2 WHERE id = $1`, [person.id, currentAddress]);
    const opened = await open({ type: 'access', identifier: oldAddress.toUpperCase() }).expect(201);
    expect(opened.body).toMatchObject({ personId: person.id, status: 'received', overdue: false });
    expect(new Date(opened.body.dueAt).getUTCMonth()).toBe((new Date(opened.body.receivedAt).getUTCMonth() + 1) % 12);
    const id = opened.body.id;
    expect((await fulfil(id).expect(409)).body.detail).toMatch(/Verify the person’s identity first/);
    const pending = await t.http().post(`/api/privacy-requests/${id}/identity-request`).set(as(dpo)).send({ how: 'Asked to reply from the known address' }).expect(200);
    expect(pending.body.status).toBe('identity_pending');
    await fulfil(id).expect(409);
    await t.http().get(`/api/privacy-requests/${id}/access-copy`).set(as(dpo)).expect(409);
    await verify(id);
    const copy = await t.http().get(`/api/privacy-requests/${id}/access-copy`).set(as(dpo)).expect(200);
    expect(copy.body.person).toMatchObject({ id: person.id, captures: [expect.objectContaining({ payload: { name: 'Ola Nordmann', message: 'Please call me' } })] });
    expect(copy.body.person.consentEvents).toHaveLength(2);
    // The PDF: encrypted, its password given this once; it opens with it (and shows the person's address), not without.
    const pdf = await t.http().get(`/api/privacy-requests/${id}/access-copy.pdf`).set(as(dpo)).buffer(true).parse(binary).expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const password = pdf.headers['x-pdf-password'];
    expect(password).toMatch(/^\w{20}$/);
    const document = await pdfjs.getDocument({ data: new Uint8Array(pdf.body), password, isEvalSupported: false, verbosity: 0 }).promise;
    const text = (await (await document.getPage(1)).getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ');
    expect(text).toContain(currentAddress);
    await document.destroy();
    await expect(pdfjs.getDocument({ data: new Uint8Array(pdf.body), isEvalSupported: false, verbosity: 0 }).promise).rejects.toMatchObject({ name: 'PasswordException' });
    expect(JSON.stringify(await db.query(`SELECT details FROM privacy_request_action WHERE request_id = $1`, [id]))).not.toContain(password);

    const done = await fulfil(id).expect(200);
    expect(done.body).toMatchObject({ status: 'completed', outcome: { captures: 1, consentEvents: 2 } });
    const steps = (await t.http().get(`/api/privacy-requests/${id}`).set(as(dpo)).expect(200)).body.actions.map((a: { action: string }) => a.action);
    expect(steps).toEqual(['received', 'identity_requested', 'identity_verified', 'copy_made', 'copy_made', 'completed']);
    const [identity] = await db.query(`SELECT identity_documents, identity_verified_by IS NOT NULL AS by FROM privacy_request WHERE id = $1`, [id]);
    expect(identity).toEqual({ identity_documents: ['passport', 'bank_id'], by: true });
    const audit = await db.query(`SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id`, [id]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['privacy_request.identity_requested', 'privacy_request.identity_verified', 'privacy_request.completed']);
  });

  it('deadlines: a month from receipt, overdue after; one extension of at most two months, decided and told within the first month', async () => {
    const { person } = await capture();
    const late = await open({ type: 'access', personId: person.id, receivedAt: new Date(Date.now() - 40 * DAY).toISOString() }).expect(201);
    const overdue = (await t.http().get('/api/privacy-requests?state=overdue').set(as(dpo)).expect(200)).body;
    expect(overdue.map((r: { id: string }) => r.id)).toContain(late.body.id);
    expect(overdue.find((r: { id: string }) => r.id === late.body.id).overdue).toBe(true);
    const tooLate = await t.http().post(`/api/privacy-requests/${late.body.id}/extension`).set(as(dpo)).send({ months: 1, reason: 'Many requests at once', toldAt: new Date().toISOString() }).expect(409);
    expect(tooLate.body.detail).toMatch(/within the first month/);

    const receivedAt = new Date(Date.now() - 10 * DAY);
    const fresh = await open({ type: 'access', personId: person.id, receivedAt: receivedAt.toISOString() }).expect(201);
    await t.http().post(`/api/privacy-requests/${fresh.body.id}/extension`).set(as(dpo)).send({ months: 3, reason: 'The request is complex', toldAt: new Date().toISOString() }).expect(422);
    await t.http().post(`/api/privacy-requests/${fresh.body.id}/extension`).set(as(dpo)).send({ months: 2, reason: 'The request is complex', toldAt: new Date(Date.now() + 40 * DAY).toISOString() }).expect(422);
    const extended = await t.http().post(`/api/privacy-requests/${fresh.body.id}/extension`).set(as(dpo)).send({ months: 2, reason: 'The request is complex', toldAt: new Date().toISOString() }).expect(200);
    const due = new Date(extended.body.dueAt);
    expect((due.getUTCFullYear() - receivedAt.getUTCFullYear()) * 12 + due.getUTCMonth() - receivedAt.getUTCMonth()).toBe(3);
    await t.http().post(`/api/privacy-requests/${fresh.body.id}/extension`).set(as(dpo)).send({ months: 1, reason: 'Still more to do here', toldAt: new Date().toISOString() }).expect(409);
  });

  it('a refusal keeps its reason and the person’s options; nothing is done after it', async () => {
    const { person } = await capture();
    const r = await open({ type: 'erasure', personId: person.id }).expect(201);
    const refused = await t.http().post(`/api/privacy-requests/${r.body.id}/refusal`).set(as(dpo)).send({ reason: 'Identity could not be established', options: 'Complain to Datatilsynet, or go to court' }).expect(200);
    expect(refused.body).toMatchObject({ status: 'refused', refusalReason: 'Identity could not be established', refusalOptions: 'Complain to Datatilsynet, or go to court' });
    await t.http().post(`/api/privacy-requests/${r.body.id}/identity`).set(as(dpo)).send({ method: 'Video call, ID shown', documents: ['passport', 'bank_id'] }).expect(409);
    expect((await counts(person.id)).email).toBe(person.email);
  });

  it('[RIGHT-ERASE] an erasure removes the person’s data and nobody else’s: a person with the same name and a similar address is untouched', async () => {
    const stamp = Date.now();
    const { person } = await capture({ email: `ola.nordmann.${stamp}@example.no`, consents: ['service_updates', 'request_contact'] });
    const { person: twin } = await capture({ email: `ola.nordmann.${stamp}1@example.no`, consents: ['service_updates'] });
    await capture({ email: twin.email!, source: 'email', consents: [] });
    const twinBefore = await counts(twin.id);
    await db.query(`INSERT INTO disclosure (recipient, kind, person_id, actor_type) VALUES ('hubspot', 'contact_upsert', $1, 'system')`, [person.id]);
    const r = await open({ type: 'erasure', identifier: person.email }).expect(201);
    expect(r.body.personId).toBe(person.id);
    await verify(r.body.id);
    const done = await fulfil(r.body.id).expect(200);
    expect(done.body.outcome).toMatchObject({ erased: 1, captures: 1, consentEvents: 2, recipientsToNotify: ['hubspot'] });
    // The consent ledger stays as anonymous counts (purpose, action, policy version): no personal value.
    expect(await counts(person.id)).toEqual({ captures: 0, consents: 2, activities: 0, email: null });
    expect(await counts(twin.id)).toEqual(twinBefore);
    const [request] = await db.query(`SELECT identifier, status, outcome FROM privacy_request WHERE id = $1`, [r.body.id]);
    expect(request).toMatchObject({ identifier: null, status: 'completed', outcome: expect.objectContaining({ erased: 1 }) });
    const purges = await db.query(`SELECT email FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge'`, [person.id]);
    expect(purges.map((p: { email: string }) => p.email)).toContain(person.email);
  });

  it('[RIGHT-ACCESS] after a merge, the merged-away address still finds the merged person; the DPO can look anyone up, customers included, audited', async () => {
    const { person: kept } = await capture();
    const { person: gone } = await capture();
    const admin = (await t.userWith('admin')).token;
    await t.http().post('/api/persons/merge').set(as(admin)).send({ winnerId: kept.id, loserId: gone.id, dryRun: false }).expect(200);
    const r = await open({ type: 'access', identifier: gone.email }).expect(201);
    expect(r.body.personId).toBe(kept.id);
    const found = await t.http().get(`/api/privacy-requests/lookup?identifier=${encodeURIComponent(gone.email!)}`).set(as(dpo)).expect(200);
    expect(found.body).toEqual([expect.objectContaining({ id: kept.id, firstName: 'Ola', email: kept.email })]);
    await t.http().get(`/api/privacy-requests/lookup?identifier=not-an-identifier`).set(as(dpo)).expect(422);
    await t.http().get(`/api/privacy-requests/lookup?identifier=${encodeURIComponent(gone.email!)}`).set(as(sales)).expect(403);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'person.privacy_request_search'`);
    expect(n).toBeGreaterThanOrEqual(2);
  });

  it('[RIGHT-ERASE] an erasure does not reach what a legal hold keeps: refused naming the hold, and done once the hold ends', async () => {
    const { person } = await capture();
    const hold = await t.http().post('/api/retention/holds').set(as(dpo)).send({ personId: person.id, reason: 'Dispute 2026-201 over an invoice', until: new Date(Date.now() + 30 * DAY) }).expect(201);
    const r = await open({ type: 'erasure', personId: person.id }).expect(201);
    await verify(r.body.id);
    const refused = await fulfil(r.body.id).expect(409);
    expect(refused.body.detail).toContain('Dispute 2026-201 over an invoice');
    await t.http().post(`/api/persons/${person.id}/under-16`).set(as(sales)).send({ reason: 'Said so on the phone' }).expect(409);
    expect((await counts(person.id)).email).toBe(person.email);
    await t.http().delete(`/api/retention/holds/${hold.body.id}`).set(as(dpo)).expect(200);
    expect((await fulfil(r.body.id).expect(200)).body.outcome).toMatchObject({ erased: 1 });
  });

  it('several persons named by one identifier are listed for the DPO to choose from', async () => {
    const shared = `shared.${Date.now()}@example.no`;
    const { person: a } = await capture({ email: shared });
    const { person: b } = await capture();
    await runAsSystem('test', () => t.app.get(LeadsService).capture(SYSTEM_ACTOR, { source: 'event', receivedAt: new Date(), payload: {}, person: { email: b.email! }, consents: [] }));
    await db.query(`UPDATE capture SET mapped = jsonb_set(mapped, '{email}', to_jsonb($2::text)) WHERE person_id = $1`, [b.id, shared]);
    const r = await open({ type: 'access', identifier: shared }).expect(201);
    expect(r.body).toMatchObject({ personId: null, candidates: expect.arrayContaining([a.id, b.id]) });
    await verify(r.body.id);
    expect((await fulfil(r.body.id).expect(200)).body.outcome).toEqual({ held: 'nothing' });
    const second = await open({ type: 'erasure', identifier: shared }).expect(201);
    await t.http().post(`/api/privacy-requests/${second.body.id}/person`).set(as(dpo)).send({ personId: (await capture()).person.id }).expect(422);
    const chosen = await t.http().post(`/api/privacy-requests/${second.body.id}/person`).set(as(dpo)).send({ personId: a.id }).expect(200);
    expect(chosen.body).toMatchObject({ personId: a.id, candidates: [] });
  });

  it('[RIGHT-RESTRICT] a restriction refuses every other processing, naming it; lifting it needs a reason and the person told first', async () => {
    const { person } = await capture();
    const r = await open({ type: 'restriction', personId: person.id }).expect(201);
    await verify(r.body.id);
    await fulfil(r.body.id).expect(200);
    const refused = await t.http().post(`/api/persons/${person.id}/notes`).set(as(sales)).send({ text: 'Called again' }).expect(409);
    expect(refused.body.detail).toMatch(/restricted \(policy 9\.4\)/);
    await t.http().post(`/api/persons/${person.id}/status`).set(as(sales)).send({ status: 'qualified' }).expect(409);
    await t.http().patch(`/api/persons/${person.id}`).set(as(sales)).send({ position: 'CTO' }).expect(409);
    await t.http().post(`/api/persons/${person.id}/calls`).set(as(sales)).send({ phone: '+4740000001', direction: 'outbound', durationSeconds: 60 }).expect(409);
    await t.http().post(`/api/persons/${person.id}/restriction/lift`).set(as(dpo)).send({ reason: 'Accuracy verified', personInformedAt: new Date(Date.now() + DAY).toISOString() }).expect(422);
    const lifted = await t.http().post(`/api/persons/${person.id}/restriction/lift`).set(as(dpo)).send({ reason: 'Accuracy verified', personInformedAt: new Date().toISOString() }).expect(200);
    expect(lifted.body.restrictedAt).toBeNull();
    await t.http().post(`/api/persons/${person.id}/notes`).set(as(sales)).send({ text: 'Called again' }).expect(201);
  });

  it('[RIGHT-OBJECT] an objection to processing on legitimate interest stops it unless the DPO records compelling grounds', async () => {
    const { person } = await capture();
    const r = await open({ type: 'objection', personId: person.id, scope: 'legitimate_interest' }).expect(201);
    await verify(r.body.id);
    expect((await fulfil(r.body.id).expect(200)).body.outcome).toEqual({ scope: 'legitimate_interest', continued: false, restricted: true });
    expect((await db.query(`SELECT restricted_at IS NOT NULL AS r FROM person WHERE id = $1`, [person.id]))[0].r).toBe(true);

    const { person: other } = await capture();
    const kept = await open({ type: 'objection', personId: other.id, scope: 'legitimate_interest' }).expect(201);
    await verify(kept.body.id);
    const grounds = 'An open legal claim about the delivered project requires the records';
    expect((await fulfil(kept.body.id, { compellingGrounds: grounds }).expect(200)).body.outcome).toEqual({ scope: 'legitimate_interest', continued: true, compellingGrounds: grounds });
    expect((await db.query(`SELECT restricted_at FROM person WHERE id = $1`, [other.id]))[0].restricted_at).toBeNull();
  });

  it('[CONSENT-WITHDRAW][RIGHT-WITHDRAW] one purpose withdrawn through a request appends to the ledger and is owed to HubSpot; the others stay', async () => {
    const { person } = await capture({ consents: ['service_updates', 'request_contact'] });
    await open({ type: 'consent_withdrawal', personId: person.id, scope: 'marketing' }).expect(422);
    const r = await open({ type: 'consent_withdrawal', personId: person.id, scope: 'request_contact' }).expect(201);
    await verify(r.body.id);
    expect((await fulfil(r.body.id).expect(200)).body.outcome).toEqual({ purpose: 'request_contact', withdrawn: true, wasGranted: true });
    const ledger = await db.query(`SELECT purpose, action FROM consent_event WHERE person_id = $1 ORDER BY id`, [person.id]);
    expect(ledger).toEqual([
      { purpose: 'service_updates', action: 'granted' },
      { purpose: 'request_contact', action: 'granted' },
      { purpose: 'request_contact', action: 'withdrawn' },
    ]);
    const [{ owed }] = await db.query(`SELECT count(*)::int AS owed FROM hubspot_outbox WHERE person_id = $1 AND kind = 'upsert' AND done_at IS NULL`, [person.id]);
    expect(owed).toBeGreaterThanOrEqual(1);
  });

  it('[CONSENT-WITHDRAW][RIGHT-WITHDRAW] a signed link withdraws as easily as the consent was given; opening it changes nothing, a forged one nothing at all', async () => {
    const { person } = await capture({ consents: ['service_updates'] });
    const links = (await t.http().get(`/api/persons/${person.id}/withdrawal-links`).set(as(sales)).expect(200)).body;
    const url = new URL(links.service_updates);
    expect(url.origin).toBe('https://crm.firm.example');
    expect(url.searchParams.get('person')).toBe(person.id);
    const ledger = async () => (await db.query(`SELECT action, source FROM consent_event WHERE person_id = $1 AND purpose = 'service_updates' ORDER BY id`, [person.id]));
    const opened = await t.http().get(`${url.pathname}${url.search}`).expect(200);
    expect(opened.headers['content-type']).toMatch(/text\/html/);
    expect(opened.text).toContain('Withdraw my consent');
    expect(await ledger()).toHaveLength(1);

    const forged = { person: person.id, purpose: 'service_updates', sig: `${url.searchParams.get('sig')!.slice(0, -2)}AA` };
    const refused = await t.http().post('/api/consent-withdrawal').type('form').send(forged).expect(200);
    expect(refused.text).toContain('not valid');
    const otherPurpose = { person: person.id, purpose: 'request_contact', sig: url.searchParams.get('sig')! };
    expect((await t.http().post('/api/consent-withdrawal').type('form').send(otherPurpose).expect(200)).text).toContain('not valid');
    expect(await ledger()).toHaveLength(1);

    const done = await t.http().post('/api/consent-withdrawal').type('form').send({ person: person.id, purpose: 'service_updates', sig: url.searchParams.get('sig') }).expect(200);
    expect(done.text).toContain('is withdrawn');
    expect(await ledger()).toEqual([{ action: 'granted', source: 'web_form' }, { action: 'withdrawn', source: 'web_form' }]);
  });

  it('[RIGHT-PORT] what the person provided, as JSON and as CSV of the same rows', async () => {
    const { person } = await capture({ consents: ['service_updates'] });
    const r = await open({ type: 'portability', personId: person.id }).expect(201);
    await verify(r.body.id);
    const json = (await t.http().get(`/api/privacy-requests/${r.body.id}/portable-copy`).set(as(dpo)).expect(200)).body;
    expect(json).toMatchObject({
      schema: 'lead-intake-crm/portability/1',
      person: { firstName: 'Ola', lastName: 'Nordmann', email: person.email },
      submissions: [{ channel: 'web_form', fields: { name: 'Ola Nordmann', message: 'Please call me' } }],
      consents: [{ purpose: 'service_updates', action: 'granted' }],
    });
    const csv = await t.http().get(`/api/privacy-requests/${r.body.id}/portable-copy?format=csv`).set(as(dpo)).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows).toEqual(expect.arrayContaining([
      expect.objectContaining({ section: 'person', field: 'email', value: person.email }),
      expect.objectContaining({ section: 'submission:web_form', field: 'message', value: 'Please call me' }),
      expect.objectContaining({ section: 'consent', field: 'service_updates', value: 'granted' }),
    ]));
    expect((await fulfil(r.body.id).expect(200)).body.status).toBe('completed');
  });

  it('[RIGHT-RECTIFY] a correction through a request is audited, owed to HubSpot, and names the recipients to tell', async () => {
    const { person } = await capture();
    await db.query(`INSERT INTO disclosure (recipient, kind, person_id, actor_type) VALUES ('hubspot', 'contact_upsert', $1, 'system')`, [person.id]);
    const r = await open({ type: 'rectification', personId: person.id }).expect(201);
    await verify(r.body.id);
    await fulfil(r.body.id, {}).expect(422);
    const done = await fulfil(r.body.id, { changes: { lastName: 'Nordmann-Berg' } }).expect(200);
    expect(done.body.outcome).toEqual({ fields: ['lastName'], recipientsToNotify: ['hubspot'] });
    expect((await db.query(`SELECT last_name FROM person WHERE id = $1`, [person.id]))[0].last_name).toBe('Nordmann-Berg');
    const [audit] = await db.query(`SELECT changes FROM audit_log WHERE action = 'person.rectified' AND entity_id = $1`, [person.id]);
    expect(audit).toBeDefined();
  });

  it('[AGE-16] staff mark a person under 16: erased everywhere with the reason, HubSpot purge queued', async () => {
    const { person } = await capture({ consents: ['service_updates'] });
    const done = await t.http().post(`/api/persons/${person.id}/under-16`).set(as(sales)).send({ reason: 'Said on the phone she is 15' }).expect(200);
    expect(done.body).toEqual({ erased: true, hubspotPurges: 1 });
    expect(await counts(person.id)).toEqual({ captures: 0, consents: 1, activities: 0, email: null });
    const [audit] = await db.query(`SELECT changes FROM audit_log WHERE action = 'person.erased' AND entity_id = $1`, [person.id]);
    expect(JSON.stringify(audit.changes)).toContain('under 16: Said on the phone she is 15');
  });

  it('[CONSENT-PROOF] the ledger’s time is when the person consented (the arrival), not when it was processed', async () => {
    const arrived = new Date(Date.now() - 3 * 3_600_000);
    const { person } = await capture({ receivedAt: arrived, consents: ['service_updates'] });
    const [event] = await db.query(`SELECT occurred_at FROM consent_event WHERE person_id = $1`, [person.id]);
    expect(new Date(event.occurred_at).toISOString()).toBe(arrived.toISOString());
  });

  it('the DPO is e-mailed a week before a request falls due, once', async () => {
    const { person } = await capture();
    const r = await open({ type: 'access', personId: person.id, receivedAt: new Date(Date.now() - 25 * DAY).toISOString() }).expect(201);
    const service = t.app.get(PrivacyRequestsService);
    expect(await service.remindDueSoon()).toBeGreaterThanOrEqual(1);
    const mails = await smtp.waitForMessages(1);
    expect(mails.some((m) => m.to.includes(DPO_ADDRESS) && m.raw.includes(r.body.id))).toBe(true);
    expect(mails.map((m) => m.raw).join('')).not.toContain(person.email!);
    expect(await service.remindDueSoon()).toBe(0);
  });
});
