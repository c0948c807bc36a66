import { runAsSystem } from '../../src/access/access-context';
import { HubspotSyncService } from '../../src/hubspot/hubspot-sync.service';
import { LeadsService } from '../../src/leads/leads.service';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import { FakeHubSpot } from '../hubspot-fake/fake-hubspot';
import { startTestApp } from '../helpers/app';

const captureOf = (email: string) => ({
  source: 'web_form' as const,
  receivedAt: new Date(),
  payload: {},
  person: { firstName: 'Ola', lastName: 'Nordmann', email },
  inquiryType: 'demo' as const,
  consents: [],
});

describe('the HubSpot sync as a background job', () => {
  it('without HUBSPOT_ACCESS_TOKEN the outbox fills and waits; health says the sync is not configured; nothing fails', async () => {
    const t = await startTestApp({ env: { JOBS_ENABLED: 'true' } });
    try {
      const { person } = await runAsSystem('test seed', () => t.app.get(LeadsService).capture(SYSTEM_ACTOR, captureOf('waiting@example.no')));
      const [{ n }] = await t.owner.query(`SELECT count(*)::int AS n FROM hubspot_outbox WHERE person_id = $1 AND done_at IS NULL`, [person.id]);
      expect(n).toBe(1);
      expect(await t.app.get(HubspotSyncService).drain()).toMatchObject({ upserted: 0, paused: false });
      const health = await t.http().get('/health/ready').expect(200);
      expect(health.body.details.hubspot).toEqual({ status: 'up', sync: 'not configured' });
      const admin = await t.userWith('admin');
      const status = await t.http().get('/api/hubspot/status').set('Authorization', `Bearer ${admin.token}`).expect(200);
      expect(status.body).toMatchObject({ configured: false, paused: false, backlog: 1 });
    } finally {
      await t.close();
    }
  });

  it('with a token, the pg-boss job drains the outbox on its own', async () => {
    const fake = new FakeHubSpot();
    const { url } = await fake.start();
    const t = await startTestApp({ env: { JOBS_ENABLED: 'true', HUBSPOT_ACCESS_TOKEN: 'token', HUBSPOT_BASE_URL: url } });
    try {
      await runAsSystem('test seed', () => t.app.get(LeadsService).capture(SYSTEM_ACTOR, captureOf('by-the-job@example.no')));
      const deadline = Date.now() + 30_000;
      while (!fake.contactByEmail('by-the-job@example.no') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(fake.contactByEmail('by-the-job@example.no')?.properties).toMatchObject({ firstname: 'Ola', lifecyclestage: 'lead' });
    } finally {
      await t.close();
      await fake.stop();
    }
  });
});
