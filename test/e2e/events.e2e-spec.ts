import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../helpers/app';
import { importAttendees } from '../helpers/events';

type User = { id: string; email: string; token: string };
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
const EVENT = { name: 'Cloud Native Oslo', date: '2025-09-10', place: 'Oslo Spektrum', organiserName: 'Oslo Tech Forum', organiserContact: 'events@otf.example' };

describe('events (/api/events) and the organiser’s attendee list', () => {
  let t: TestApp;
  let db: DataSource;
  let staff: User;
  let admin: User;
  let sales: User;
  let manager: User;
  let dpo: User;

  beforeAll(async () => {
    t = await startTestApp({ env: { JOBS_ENABLED: 'true' } }); // imports run as pg-boss jobs
    db = t.owner;
    [staff, admin, sales, manager, dpo] = [await t.userWith('event_staff'), await t.userWith('admin'), await t.userWith('sales'), await t.userWith('account_manager'), await t.userWith('dpo')];
  });
  afterAll(() => t.close());

  const create = (body: Record<string, unknown>, token = staff.token) => t.http().post('/api/events').set(as(token)).send(body);

  const imported = (eventId: string, csv: string) => importAttendees(t, staff.token, eventId, csv);

  it('[SEC-ACCESS] event staff and admins create events; sales may read them; account managers and the DPO may not', async () => {
    await t.http().get('/api/events').expect(401);
    const created = await create(EVENT).expect(201);
    expect(created.body).toMatchObject({ ...EVENT, createdBy: staff.id, id: expect.any(String) });
    await create({ ...EVENT, name: 'By an admin' }, admin.token).expect(201);
    await create(EVENT, sales.token).expect(403);
    for (const user of [staff, admin, sales]) {
      await t.http().get('/api/events').set(as(user.token)).expect(200);
      await t.http().get(`/api/events/${created.body.id}`).set(as(user.token)).expect(200);
    }
    for (const user of [manager, dpo]) {
      await t.http().get('/api/events').set(as(user.token)).expect(403);
      await t.http().get(`/api/events/${created.body.id}/attendees.csv`).set(as(user.token)).expect(403);
    }
    await t.http().get(`/api/events/${created.body.id}/attendees.csv`).set(as(sales.token)).expect(403);
    const [audit] = await db.query(`SELECT * FROM audit_log WHERE action = 'event.created' AND entity_id = $1`, [created.body.id]);
    expect(audit.changes).toMatchObject({ name: { before: null, after: EVENT.name }, organiserContact: { before: null, after: '[personal data]' } });
  });

  it('refuses an event with missing or invalid fields, naming each, and stores nothing', async () => {
    const before = (await db.query(`SELECT count(*)::int AS n FROM event`))[0].n;
    const res = await create({ ...EVENT, name: '', date: '10.09.2025', organiserContact: undefined, extra: 1 }).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual(['date', 'extra', 'name', 'organiserContact']);
    await create({ ...EVENT, date: '2025-02-30' }).expect(422);
    await t.http().get('/api/events/not-a-uuid').set(as(staff.token)).expect(400);
    await t.http().get('/api/events/00000000-0000-4000-8000-000000000000').set(as(staff.token)).expect(404);
    expect((await db.query(`SELECT count(*)::int AS n FROM event`))[0].n).toBe(before);
  });

  it('lists events newest first with cursor pagination and filters', async () => {
    for (const [name, date] of [['Bergen Meetup', '2024-03-01'], ['Trondheim Summit', '2024-11-15'], ['Stavanger Days', '2024-06-20']]) await create({ ...EVENT, name, date, place: name.split(' ')[0] }).expect(201);
    const first = await t.http().get('/api/events?from=2024-01-01&to=2025-01-01&limit=2').set(as(sales.token)).expect(200);
    expect(first.body.items.map((e: { name: string }) => e.name)).toEqual(['Trondheim Summit', 'Stavanger Days']);
    const second = await t.http().get(`/api/events?from=2024-01-01&to=2025-01-01&limit=2&cursor=${first.body.nextCursor}`).set(as(sales.token)).expect(200);
    expect(second.body).toEqual({ items: [expect.objectContaining({ name: 'Bergen Meetup' })], nextCursor: null });
    const search = await t.http().get('/api/events?q=bergen').set(as(staff.token)).expect(200);
    expect(search.body.items.map((e: { name: string }) => e.name)).toEqual(['Bergen Meetup']);
    await t.http().get('/api/events?cursor=nonsense').set(as(staff.token)).expect(400);
    await t.http().get('/api/events?from=2024').set(as(staff.token)).expect(422);
  });

  describe('[DISCLOSE-EVENT] the attendee list goes to the organiser', () => {
    let eventId: string;

    beforeAll(async () => {
      eventId = (await create({ ...EVENT, name: 'Disclosure Day' }).expect(201)).body.id;
      await imported(eventId, crlf(
        'First Name,Last Name,Email,Cell Phone,Company,Job Title,Ticket Type',
        '"=HYPERLINK(""http://evil.example"",""click"")",Injected,inject@list.example,,+cmd|calc,@SUM(1+1),-2+3',
        'Kari,Nordmann,kari@list.example,+47 912 34 567,Fjord AS,CTO,VIP',
        'Cora,Customer,cora@customer.example,,Big Customer AS,CIO,Standard',
        'Rita,Restricted,rita@list.example,,,,Standard',
      ));
      // Cora's company becomes an active customer (only its account managers see her); Rita restricted processing.
      const [company] = await db.query(`INSERT INTO company (name, is_customer) VALUES ('Big Customer AS', true) RETURNING id`);
      await db.query(`UPDATE person SET company_id = $1 WHERE email = 'cora@customer.example'`, [company.id]);
      await db.query(`UPDATE person SET restricted_at = now() WHERE email = 'rita@list.example'`);
    });

    it('as CSV for spreadsheets, every cell a spreadsheet would run as a formula neutralised', async () => {
      const res = await t.http().get(`/api/events/${eventId}/attendees.csv`).set(as(staff.token)).expect(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="attendees-2025-09-10-/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text.startsWith('\uFEFF')).toBe(true);
      const lines = res.text.slice(1).trim().split('\r\n');
      expect(lines[0]).toBe('First Name,Last Name,Email,Phone,Company,Job Title,Ticket Type,Registered At');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(/^"'=HYPERLINK\(""http:\/\/evil\.example"",""click""\)",Injected,inject@list\.example,,'\+cmd\|calc,'@SUM\(1\+1\),'-2\+3,/);
      expect(lines[2]).toMatch(/^Kari,Nordmann,kari@list\.example,'\+4791234567,Fjord AS,CTO,VIP,\d{4}-/);
    });

    it('each download is recorded in the disclosure log: recipient, kind, who, when, one row per person listed', async () => {
      await db.query(`DELETE FROM disclosure`);
      await t.http().get(`/api/events/${eventId}/attendees.csv`).set(as(staff.token)).expect(200);
      await t.http().get(`/api/events/${eventId}/attendees.csv`).set(as(staff.token)).expect(200);
      const rows = await db.query(`SELECT d.*, p.email FROM disclosure d JOIN person p ON p.id = d.person_id ORDER BY d.id`);
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        expect(row).toMatchObject({ recipient: `event_organiser:${eventId}`, kind: 'attendee_list', actor_type: 'user', actor_id: staff.id });
        expect(row.details).toMatchObject({ eventId, exportId: expect.any(String) });
        expect(row.occurred_at).toBeInstanceOf(Date);
      }
      expect(rows.map((r: { email: string }) => r.email).sort()).toEqual(['inject@list.example', 'inject@list.example', 'kari@list.example', 'kari@list.example']);
      expect(new Set(rows.map((r: { details: { exportId: string } }) => r.details.exportId)).size).toBe(2);
      const audits = await db.query(`SELECT * FROM audit_log WHERE action = 'event.attendee_list_disclosed' AND entity_id = $1`, [eventId]);
      expect(audits.length).toBeGreaterThanOrEqual(2);
      expect(audits[audits.length - 1].changes.persons).toEqual({ before: null, after: 2 });
    });

    it('[ACCESS-AM] [RIGHT-RESTRICT] lists only whom the downloader may see, and never a restricted person', async () => {
      await db.query(`DELETE FROM disclosure`);
      const res = await t.http().get(`/api/events/${eventId}/attendees.csv`).set(as(admin.token)).expect(200);
      expect(res.text).toContain('cora@customer.example');
      expect(res.text).not.toContain('rita@list.example');
      const disclosed = await db.query(`SELECT p.email FROM disclosure d JOIN person p ON p.id = d.person_id WHERE d.actor_id = $1 ORDER BY p.email`, [admin.id]);
      expect(disclosed.map((r: { email: string }) => r.email)).toEqual(['cora@customer.example', 'inject@list.example', 'kari@list.example']);
      // The event staff member sees the customer's contact neither in the list nor in the count.
      const staffList = await t.http().get(`/api/events/${eventId}/attendees.csv`).set(as(staff.token)).expect(200);
      expect(staffList.text).not.toContain('cora@customer.example');
      expect((await t.http().get(`/api/events/${eventId}`).set(as(staff.token)).expect(200)).body.registrations).toBe(3);
      expect((await t.http().get(`/api/events/${eventId}`).set(as(admin.token)).expect(200)).body.registrations).toBe(4);
    });

    it('an unknown event is a 404 and records nothing', async () => {
      await db.query(`DELETE FROM disclosure`);
      await t.http().get('/api/events/00000000-0000-4000-8000-000000000000/attendees.csv').set(as(staff.token)).expect(404);
      expect(await db.query(`SELECT * FROM disclosure`)).toEqual([]);
    });
  });
});
