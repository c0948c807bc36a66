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
    expect(res.body.items).toEqual(expect.arrayContaining([
      { channel: 'web_form', action: 'capture_emptied', count: 1 },
      { channel: 'web_form', action: 'person_erased', count: 1 },
    ]));
    const person = await t.http().get(`/api/persons/${personId}`).set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(person.body.email).toBe('preview@retention.test');

    await t.app.get(RetentionService).sweep({ asOf: new Date('2019-01-01T00:00:00Z') });
    const after = await t.http().get('/api/retention/preview?asOf=2019-01-01T00:00:00Z').set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(after.body.items).toEqual([]);
    const runs = await t.http().get('/api/retention/runs').set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(runs.body.items[0].changes.personsErased.after).toEqual({ web_form: 1 });
    expect(runs.body.items[0].changes.capturesEmptied.after).toEqual({ web_form: 1 });
  });

  it('is for admins and the DPO only, and names a bad date', async () => {
    await t.http().get('/api/retention/preview?asOf=2019-01-01').set('Authorization', `Bearer ${sales.token}`).expect(403);
    await t.http().get('/api/retention/runs').set('Authorization', `Bearer ${sales.token}`).expect(403);
    const bad = await t.http().get('/api/retention/preview?asOf=soon').set('Authorization', `Bearer ${admin.token}`).expect(422);
    expect(JSON.stringify(bad.body)).toContain('asOf');
  });
});
