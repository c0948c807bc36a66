import { AuditService, MASKED } from '../../src/audit/audit.service';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import { startTestApp, type TestApp } from '../helpers/app';

describe('[SEC-ACCESS] the audit log', () => {
  let t: TestApp;
  let admin: { id: string; token: string };
  let dpo: { token: string };
  let sales: { token: string };

  beforeAll(async () => {
    t = await startTestApp();
    [admin, dpo, sales] = [await t.userWith('admin'), await t.userWith('dpo'), await t.userWith('sales')];
  });
  afterAll(() => t.close());

  it('is append-only: the application connection cannot UPDATE, DELETE or TRUNCATE audit rows', async () => {
    await t.app.get(AuditService).record(SYSTEM_ACTOR, { action: 'probe.written', entityType: 'probe', entityId: '1' });
    const db = t.owner;
    await expect(db.query(`UPDATE audit_log SET action = 'probe.rewritten' WHERE action = 'probe.written'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_log WHERE action = 'probe.written'`)).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'probe.written'`);
    expect(n).toBe(1);
  });

  it('records who changed which fields of a user, with personal values masked and the request id kept', async () => {
    const created = await t.http().post('/api/users').set('Authorization', `Bearer ${admin.token}`).send({ email: 'audited@example.test', name: 'Audited Person', roles: ['sales'], password: 'a-long-enough-password' }).expect(201);
    await t.http().patch(`/api/users/${created.body.id}`).set('Authorization', `Bearer ${admin.token}`).set('X-Request-Id', 'req-audit-1').send({ name: 'Renamed Person', roles: ['sales', 'dpo'] }).expect(200);

    const res = await t.http().get(`/api/audit?entityType=staff_user&entityId=${created.body.id}`).set('Authorization', `Bearer ${dpo.token}`).expect(200);
    expect(res.body.items.map((e: { action: string }) => e.action)).toEqual(['user.updated', 'user.created']);
    const [updated] = res.body.items;
    expect(updated).toMatchObject({ actorType: 'user', actorId: admin.id, requestId: 'req-audit-1', ip: expect.stringMatching(/127\.0\.0\.1/) });
    expect(updated.changes).toEqual({
      name: { before: MASKED, after: MASKED },
      roles: { before: ['sales'], after: ['sales', 'dpo'] },
      updatedAt: expect.any(Object),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/Audited Person|Renamed Person|audited@example\.test/);
  });

  it('admins and the DPO query it by actor and time range; other roles may not', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const byActor = await t.http().get(`/api/audit?actorId=${admin.id}&from=${from}&limit=1`).set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(byActor.body.items).toHaveLength(1);
    expect(byActor.body.items[0].actorId).toBe(admin.id);
    const next = await t.http().get(`/api/audit?actorId=${admin.id}&from=${from}&limit=1&cursor=${byActor.body.nextCursor}`).set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(Number(next.body.items[0].id)).toBeLessThan(Number(byActor.body.items[0].id));

    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await t.http().get(`/api/audit?from=${future}`).set('Authorization', `Bearer ${admin.token}`).expect(200);
    expect(none.body.items).toEqual([]);
    await t.http().get('/api/audit').set('Authorization', `Bearer ${sales.token}`).expect(403);
    await t.http().get(`/api/audit?from=${future}&to=${from}`).set('Authorization', `Bearer ${admin.token}`).expect(422);
  });
});
