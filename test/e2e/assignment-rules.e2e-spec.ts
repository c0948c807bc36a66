import { DataSource } from 'typeorm';
import { runAsSystem } from '../../src/access/access-context';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import type { IntakeSource } from '../../src/domain/purposes';
import { LeadsService } from '../../src/leads/leads.service';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestSmtpServer } from '../helpers/smtp';

/** Issue 16, item 15: how new leads get an owner, per form and per channel. */
describe('assignment rules', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  let n = 0;
  const smtp = new TestSmtpServer();

  beforeAll(async () => {
    const { url } = await smtp.start();
    t = await startTestApp({ env: { SMTP_URL: url, SALES_INBOX: 'sales@firm.example' } });
    db = t.owner;
    admin = (await t.userWith('admin')).token;
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const as = { Authorization: '' };
  const bearer = () => ({ ...as, Authorization: `Bearer ${admin}` });
  const setRule = (body: Record<string, unknown>) => t.http().put('/api/assignment-rules').set(bearer()).send(body);
  const salesUser = async () => (await t.userWith('sales')).id;
  const capture = (source: IntakeSource, extra: { formId?: string; email?: string; ownerId?: string } = {}) =>
    runAsSystem('test', () =>
      t.app.get(LeadsService).capture(SYSTEM_ACTOR, {
        source, formId: extra.formId ?? null, receivedAt: new Date(), payload: {}, person: { email: extra.email ?? `lead${++n}.${Date.now()}@example.no` }, consents: [], ownerId: extra.ownerId ?? null,
      }),
    );
  const ownerOf = async (id: string) => (await db.query(`SELECT owner_id FROM person WHERE id = $1`, [id]))[0].owner_id;

  it('round-robin takes turns among active sales users, fairly under concurrent intake, in the capture’s transaction', async () => {
    const users = [await salesUser(), await salesUser(), await salesUser(), await salesUser()];
    await setRule({ channel: 'chatbot', mode: 'round_robin', userIds: users }).expect(200);
    const sequential = [];
    for (let i = 0; i < 4; i++) sequential.push(await ownerOf((await capture('chatbot')).person.id));
    expect(sequential).toEqual(users);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => capture('chatbot')));
    const owners = await Promise.all(concurrent.map((r) => ownerOf(r.person.id)));
    expect(users.map((u) => owners.filter((o) => o === u).length)).toEqual([5, 5, 5, 5]);
  });

  it('least-busy gives a new lead to whoever has the fewest open leads', async () => {
    const [busy, free] = [await salesUser(), await salesUser()];
    for (let i = 0; i < 2; i++) await capture('manual', { ownerId: busy });
    await setRule({ channel: 'phone', mode: 'least_busy', userIds: [busy, free] }).expect(200);
    const owners = [];
    for (let i = 0; i < 3; i++) owners.push(await ownerOf((await capture('phone')).person.id));
    expect(owners).toEqual([free, free, busy]);
  });

  it('a form’s rule wins over its channel’s; nobody leaves the lead unowned; a known person keeps their owner; a deactivated user is passed over', async () => {
    const [fixed, channelOwner, gone] = [await salesUser(), await salesUser(), await salesUser()];
    const form = await t.http().post('/api/intake-forms').set(bearer()).send({ key: `rules-${Date.now()}`, name: 'Rules', allowedOrigins: ['https://www.example.com'], fieldMapping: { name: 'name', email: 'email', message: 'request' }, defaultInquiryType: 'other' }).expect(201);
    await setRule({ channel: 'web_form', mode: 'round_robin', userIds: [gone, channelOwner] }).expect(200);
    await setRule({ formId: form.body.id, mode: 'fixed', userIds: [fixed] }).expect(200);
    expect(await ownerOf((await capture('web_form', { formId: form.body.id })).person.id)).toBe(fixed);
    await t.http().patch(`/api/users/${gone}`).set(bearer()).send({ active: false }).expect(200);
    expect(await ownerOf((await capture('web_form')).person.id)).toBe(channelOwner);

    const known = await capture('web_form');
    const before = await ownerOf(known.person.id);
    await capture('web_form', { email: known.person.email! });
    expect(await ownerOf(known.person.id)).toBe(before);

    await setRule({ channel: 'web_form', mode: 'nobody', userIds: [] }).expect(200);
    expect(await ownerOf((await capture('web_form')).person.id)).toBeNull();
    const rules = (await t.http().get('/api/assignment-rules').set(bearer()).expect(200)).body;
    expect(rules.filter((r: { channel: string }) => r.channel === 'web_form')).toEqual([expect.objectContaining({ mode: 'nobody', userIds: [] })]);
    const [audit] = await db.query(`SELECT changes FROM audit_log WHERE action = 'assignment_rule.set' AND entity_id = $1`, [rules.find((r: { channel: string }) => r.channel === 'web_form').id]);
    expect(audit.changes).toMatchObject({ mode: { after: 'nobody' }, channel: { after: 'web_form' } });

    // Removed, the form's channel has no rule: nobody again, and the removal is audited.
    const formRule = rules.find((r: { formId: string }) => r.formId === form.body.id);
    await t.http().delete(`/api/assignment-rules/${formRule.id}`).set(bearer()).expect(204);
    expect(await ownerOf((await capture('web_form', { formId: form.body.id })).person.id)).toBeNull();
    expect((await db.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'assignment_rule.removed' AND entity_id = $1`, [formRule.id]))[0].n).toBe(1);
    await t.http().delete(`/api/assignment-rules/${formRule.id}`).set(bearer()).expect(404);
  });

  it('the owner a rule gives a web-form lead is the one told of it', async () => {
    const owner = await t.userWith('sales');
    const form = await t.http().post('/api/intake-forms').set(bearer()).send({ key: `told-${Date.now()}`, name: 'Told', allowedOrigins: ['https://www.example.com'], fieldMapping: { name: 'name', email: 'email', message: 'request' }, defaultInquiryType: 'other' }).expect(201);
    await setRule({ formId: form.body.id, mode: 'fixed', userIds: [owner.id] }).expect(200);
    smtp.clear();
    await t.http().post(`/api/intake/forms/${form.body.key}`).set('Origin', 'https://www.example.com').send({ name: 'Ola Nordmann', email: `ola.${Date.now()}@example.no`, message: 'We need a partner for a data platform migration.' }).expect(202);
    const mails = await smtp.waitForMessages(1);
    expect(mails.map((m) => m.to)).toEqual([[owner.email]]);
  });

  it('a new lead from the mail inbox is told to the owner its channel’s rule gave it', async () => {
    const owner = await t.userWith('sales');
    await setRule({ channel: 'email', mode: 'fixed', userIds: [owner.id] }).expect(200);
    const key = (await t.http().post('/api/api-keys').set(bearer()).send({ name: 'Mail relay', channel: 'email' }).expect(201)).body.key;
    smtp.clear();
    const raw = [
      'From: Siri Dahl <siri.dahl.' + Date.now() + '@tindefjell.example>', 'To: sales@firm.example', 'Subject: Booking app for our huts',
      `Message-ID: <owner-${Date.now()}@tindefjell.example>`, 'Date: Fri, 04 Dec 2026 10:00:00 +0100', 'Content-Type: text/plain; charset=utf-8', '',
      'We would like an offline booking app for our mountain huts. Could you call me next week?', '',
    ].join('\r\n');
    const res = await t.http().post('/api/intake/email').set('X-Api-Key', key).set('Content-Type', 'message/rfc822').send(raw).expect(202);
    expect(res.body.status).toBe('accepted');
    const mails = await smtp.waitForMessages(1);
    expect(mails.map((m) => m.to)).toEqual([[owner.email]]);
  });

  it('a rule names active sales users only, the right number for its mode, and one form or one channel; admins only', async () => {
    const sales = await salesUser();
    const events = (await t.userWith('event_staff')).id;
    expect((await setRule({ channel: 'email', mode: 'round_robin', userIds: [events] }).expect(422)).body.errors[0]).toMatchObject({ field: 'userIds', message: expect.stringContaining('not an active sales user') });
    await setRule({ channel: 'email', mode: 'fixed', userIds: [sales, await salesUser()] }).expect(422);
    await setRule({ channel: 'email', mode: 'round_robin', userIds: [] }).expect(422);
    await setRule({ mode: 'nobody', userIds: [] }).expect(422);
    await setRule({ channel: 'fax', mode: 'nobody', userIds: [] }).expect(422);
    await t.http().put('/api/assignment-rules').set('Authorization', `Bearer ${(await t.userWith('sales')).token}`).send({ channel: 'email', mode: 'nobody', userIds: [] }).expect(403);
  });
});
