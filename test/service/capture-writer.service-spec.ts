/**
 * Leads' one writer of arrivals (LeadsService.captureMany and its micro-batched captureSoon),
 * run as a service on this file's own database, without HTTP.
 */
import { runAsSystem } from '../../src/access/access-context';
import type { Actor } from '../../src/domain/actor';
import { LeadsService, type NewCapture } from '../../src/leads/leads.service';
import { PolicyService } from '../../src/policy/policy.service';
import { startServices, type ServiceContext } from './harness';

const actor: Actor = { type: 'anonymous', id: null, roles: [], requestId: null, ip: '192.0.2.1' };
let t: ServiceContext;
let leads: LeadsService;
let counter = 0;

const arrival = (over: Partial<NewCapture> = {}): NewCapture => ({
  source: 'web_form', receivedAt: new Date(), payload: { n: ++counter }, person: {}, consents: [], inquiryType: 'other', ...over,
});

/** Writes captures in one transaction of their own, as the intake does. */
async function captureBatch(inputs: NewCapture[]) {
  return runAsSystem('test', async () => {
    const session = await leads.session();
    try {
      const results = await leads.captureMany(session, inputs.map((input) => ({ actor, input })));
      await session.client.query('COMMIT');
      return results;
    } catch (err) {
      await session.client.query('ROLLBACK');
      throw err;
    } finally {
      session.release();
    }
  });
}
const rows = (sql: string, params: unknown[] = []) => t.owner.query(sql, params);

beforeAll(async () => {
  t = await startServices();
  leads = t.app.get(LeadsService);
});
afterAll(() => t.close());

describe('leads’ one writer of arrivals', () => {
  it('[CONSENT-PROOF] writes a batch in one go: one person per identity, blanks filled never overwritten, and per capture its consents, timeline entry, audit line and outbox row', async () => {
    const [a, b, c] = await captureBatch([
      arrival({ person: { email: 'kari@batch.test', firstName: 'Kari' }, consents: ['service_updates'] }),
      arrival({ person: { email: 'kari@batch.test', firstName: 'Karianne', lastName: 'Nordmann' } }),
      arrival({ person: { phone: '+4791234567', firstName: 'Ola' } }),
    ]);
    expect(a.personCreated).toBe(true);
    expect(b.personCreated).toBe(false);
    expect(b.person.id).toBe(a.person.id);
    expect(c.person.id).not.toBe(a.person.id);
    const [kari] = await rows(`SELECT first_name, last_name, sync_state FROM person WHERE id = $1`, [a.person.id]);
    expect(kari).toEqual({ first_name: 'Kari', last_name: 'Nordmann', sync_state: 'pending' });
    const per = async (table: string, column = 'person_id') => (await rows(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [a.person.id]))[0].n;
    expect(await per('capture')).toBe(2);
    expect(await per('activity')).toBe(2);
    expect(await per('hubspot_outbox')).toBe(2);
    expect(await per('audit_log', 'entity_id')).toBe(2);
    const consents = await rows(`SELECT purpose, action, capture_id, wording FROM consent_event WHERE person_id = $1`, [a.person.id]);
    expect(consents).toEqual([{ purpose: 'service_updates', action: 'granted', capture_id: a.captureId, wording: t.app.get(PolicyService).consentWording('service_updates') }]);
    const audit = await rows(`SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id`, [a.person.id]);
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['person.created', 'person.captured']);
  });

  it('[RIGHT-RESTRICT] owes HubSpot nothing for a restricted person, and makes a synced person pending again', async () => {
    const [restricted, synced] = await captureBatch([arrival({ person: { email: 'restricted@batch.test' } }), arrival({ person: { email: 'synced@batch.test' } })]);
    await rows(`UPDATE person SET restricted_at = now(), sync_state = 'restricted' WHERE id = $1`, [restricted.person.id]);
    await rows(`UPDATE person SET sync_state = 'synced' WHERE id = $1`, [synced.person.id]);
    await rows(`DELETE FROM hubspot_outbox`);
    await captureBatch([arrival({ person: { email: 'restricted@batch.test', lastName: 'Late' } }), arrival({ person: { email: 'synced@batch.test' } })]);
    const state = await rows(`SELECT p.email, p.sync_state, (SELECT count(*)::int FROM hubspot_outbox o WHERE o.person_id = p.id) AS owed FROM person p WHERE p.id = ANY($1) ORDER BY p.email`, [
      [restricted.person.id, synced.person.id],
    ]);
    expect(state).toEqual([
      { email: 'restricted@batch.test', sync_state: 'restricted', owed: 0 },
      { email: 'synced@batch.test', sync_state: 'pending', owed: 1 },
    ]);
  });

  it('[RET-EVENT] runs the event clock from the last event: a later one moves every event capture, an earlier one never shortens it', async () => {
    const event = (day: string) => arrival({ source: 'event', person: { email: 'attendee@batch.test' }, retentionAnchorAt: new Date(`${day}T00:00:00Z`), inquiryType: null });
    await captureBatch([event('2025-03-01')]);
    await captureBatch([event('2026-05-01')]);
    await captureBatch([event('2024-01-01')]);
    const clocks = await rows(
      `SELECT c.retention_anchor_at::date::text AS anchor, c.retention_due_at::date::text AS due FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'attendee@batch.test'`,
    );
    expect(clocks).toEqual(Array(3).fill({ anchor: '2026-05-01', due: '2032-05-01' }));

    // Within one batch too: the later registration moves the earlier one written beside it.
    const sameBatch = (day: string) => ({ ...event(day), person: { email: 'twice@batch.test' } });
    await captureBatch([sameBatch('2025-02-01'), sameBatch('2025-08-01'), sameBatch('2025-03-01')]);
    const twice = await rows(
      `SELECT c.retention_anchor_at::date::text AS anchor, c.retention_due_at::date::text AS due FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'twice@batch.test'`,
    );
    expect(twice).toEqual(Array(3).fill({ anchor: '2025-08-01', due: '2031-08-01' }));
  });

  it('micro-batches concurrent arrivals: one person per identity however many arrive at once, and a bad arrival fails alone', async () => {
    const results = await runAsSystem('test', () =>
      Promise.allSettled([
        ...Array.from({ length: 12 }, (_, i) => leads.captureSoon(actor, arrival({ person: { email: 'flood@batch.test', phone: `+479100000${i % 10}` } }))),
        leads.captureSoon(actor, arrival({ personId: '00000000-0000-4000-8000-000000000000' })),
        ...Array.from({ length: 5 }, (_, i) => leads.captureSoon(actor, arrival({ person: { email: `other${i}@batch.test` } }))),
      ]),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((results[12] as PromiseRejectedResult).reason).toMatchObject({ status: 404 });
    const [flood] = await rows(`SELECT count(DISTINCT p.id)::int AS persons, count(c.id)::int AS captures FROM person p JOIN capture c ON c.person_id = p.id WHERE p.email = 'flood@batch.test'`);
    expect(flood).toEqual({ persons: 1, captures: 12 });
    const [others] = await rows(`SELECT count(*)::int AS n FROM person WHERE email LIKE 'other%@batch.test'`);
    expect(others.n).toBe(5);
  });
});
