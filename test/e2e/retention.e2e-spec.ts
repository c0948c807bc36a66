/**
 * Retention over HTTP: the preview changes nothing; each real sweep's report is in the audit log and listed as a run.
 */
import { RetentionService } from '../../src/leads/retention.service';
import { startTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
let admin: { token: string };
let dpo: { token: string };
let sales: { token: string };

beforeAll(async () => {
  t = await startTestApp();
  [admin, dpo, sales] = [await t.userWith('admin'), await t.userWith('dpo'), await t.userWith('sales')];
});
afterAll(() => t.close());

describe('GET /api/retention/preview and /api/retention/runs', () => {
  it('[RET-ACTION] previews what a sweep on a date would remove by channel and action, without changing anything; the sweep then does it and reports it', async () => {
    const { personId } = await t.make.person({ source: 'web_form', receivedAt: '2010-05-01T00:00:00Z', email: 'preview@retention.test' });
    const res = await t.http().get('/api/retention/preview?asOf=2019-01-01T00:00:00Z').set('Authorization', `Bearer ${dpo.token}`).expect(200);
    // The person has no running clock: erased, their capture with them (capture_emptied counts the captures of persons another clock keeps).
    expect(res.body.items).toEqual([{ channel: 'web_form', action: 'person_erased', count: 1 }]);
    const person = await t.http().get(`/api/persons/${personId}`).set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(person.body.email).toBe('preview@retention.test');

    await t.app.get(RetentionService).sweep({ asOf: new Date('2019-01-01T00:00:00Z') });
    const after = await t.http().get('/api/retention/preview?asOf=2019-01-01T00:00:00Z').set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(after.body.items).toEqual([]);
    const runs = await t.http().get('/api/retention/runs').set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(runs.body.items[0].changes.personsErased.after).toEqual({ web_form: 1 });
    expect(runs.body.items[0].changes.capturesEmptied.after).toEqual({});
  });

  it('is for admins and the DPO only, and names a bad date', async () => {
    await t.http().get('/api/retention/preview?asOf=2019-01-01').set('Authorization', `Bearer ${sales.token}`).expect(403);
    await t.http().get('/api/retention/runs').set('Authorization', `Bearer ${sales.token}`).expect(403);
    const bad = await t.http().get('/api/retention/preview?asOf=soon').set('Authorization', `Bearer ${admin.token}`).expect(422);
    expect(JSON.stringify(bad.body)).toContain('asOf');
  });
});

describe('legal holds', () => {
  const DAY = 86_400_000;
  const bearer = (u: { token: string }) => ({ Authorization: `Bearer ${u.token}` });
  const emailOf = async (id: string) => (await t.owner.query(`SELECT email FROM person WHERE id = $1`, [id]))[0].email;

  it('[RET-ACTION] a held person, and a held company’s people, are kept past their clocks and reported "retained, with reason"; when the hold ends, the next sweep removes them', async () => {
    const { personId: held } = await t.make.person({ source: 'web_form', receivedAt: '2010-05-01T00:00:00Z', email: 'held@retention.test' });
    const { personId: staffMember } = await t.make.person({ source: 'email', receivedAt: '2010-05-01T00:00:00Z', email: 'colleague@held-company.test' });
    const { personId: free } = await t.make.person({ source: 'web_form', receivedAt: '2010-05-01T00:00:00Z', email: 'free@retention.test' });
    const [{ id: companyId }] = await t.owner.query(`INSERT INTO company (name) VALUES ('Held Company AS') RETURNING id`);
    await t.owner.query(`UPDATE person SET company_id = $2 WHERE id = $1`, [staffMember, companyId]);
    const until = new Date(Date.now() + 30 * DAY);
    const personHold = await t.http().post('/api/retention/holds').set(bearer(dpo)).send({ personId: held, reason: 'Dispute 2026-114 over the delivery', until }).expect(201);
    await t.http().post('/api/retention/holds').set(bearer(admin)).send({ companyId, reason: 'Bokføringsloven § 13 (five years)', until }).expect(201);

    const soon = new Date(Date.now() + 10 * DAY).toISOString();
    const preview = (await t.http().get(`/api/retention/preview?asOf=${soon}`).set(bearer(dpo)).expect(200)).body;
    expect(preview.retained).toEqual(expect.arrayContaining([
      expect.objectContaining({ reason: 'Dispute 2026-114 over the delivery', persons: 1 }),
      expect.objectContaining({ reason: 'Bokføringsloven § 13 (five years)', persons: 1 }),
    ]));
    const report = await t.app.get(RetentionService).sweep({ asOf: new Date(soon) });
    expect(report.retained.map((r) => [r.reason, r.persons])).toEqual(expect.arrayContaining([['Dispute 2026-114 over the delivery', 1], ['Bokføringsloven § 13 (five years)', 1]]));
    expect(await emailOf(held)).toBe('held@retention.test');
    expect(await emailOf(staffMember)).toBe('colleague@held-company.test');
    expect(await emailOf(free)).toBeNull();

    // The dispute settles early: that hold ends; the company's runs to its date.
    await t.http().delete(`/api/retention/holds/${personHold.body.id}`).set(bearer(dpo)).expect(200);
    await t.app.get(RetentionService).sweep({ asOf: new Date(soon) });
    expect(await emailOf(held)).toBeNull();
    expect(await emailOf(staffMember)).toBe('colleague@held-company.test');
    await t.app.get(RetentionService).sweep({ asOf: new Date(until.getTime() + DAY) });
    expect(await emailOf(staffMember)).toBeNull();
    const listed = (await t.http().get('/api/retention/holds?all=true').set(bearer(admin)).expect(200)).body;
    expect(listed.find((h: { id: string }) => h.id === personHold.body.id).endedAt).not.toBeNull();
    const audit = await t.owner.query(`SELECT action FROM audit_log WHERE action LIKE 'legal_hold.%' ORDER BY id`);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['legal_hold.placed', 'legal_hold.placed', 'legal_hold.ended']);
  });

  it('holds are for admins and the DPO; a hold names one person or one company, in the future', async () => {
    const { personId } = await t.make.person();
    const until = new Date(Date.now() + DAY).toISOString();
    await t.http().post('/api/retention/holds').set(bearer(sales)).send({ personId, reason: 'A legal claim', until }).expect(403);
    await t.http().get('/api/retention/holds').set(bearer(sales)).expect(403);
    await t.http().post('/api/retention/holds').set(bearer(admin)).send({ reason: 'A legal claim', until }).expect(422);
    await t.http().post('/api/retention/holds').set(bearer(admin)).send({ personId, reason: 'A legal claim', until: '2020-01-01T00:00:00Z' }).expect(422);
    await t.http().post('/api/retention/holds').set(bearer(admin)).send({ personId: '00000000-0000-4000-8000-000000000000', reason: 'A legal claim', until }).expect(422);
    await t.http().delete('/api/retention/holds/00000000-0000-4000-8000-000000000000').set(bearer(admin)).expect(404);
  });
});

