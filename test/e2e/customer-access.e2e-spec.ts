import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { runAsStaff } from '../../src/access/access-context';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import { MailIntakeService } from '../../src/intake/mail/mail-intake.service';
import { startTestApp, type TestApp } from '../helpers/app';
import { importAttendees } from '../helpers/events';
import { controllerRoutes } from '../helpers/routes';

type Viewer = { name: string; id: string; token: string; roles: string[]; sees: ('A' | 'B')[] };

/*
 * Time limits from what the slow tests do, for a machine with both cores busy (Jest's fixed 60 s
 * was too little there). A staff GET may take REQUEST_MS there (about 4 ms idle), a 200-row search
 * page PAGE_MS (about 25 ms idle). The sweep asks each of the VIEWERS at most
 * SWEEP_URLS_PER_VIEWER URLs (about 230 today) and fails, saying so, when the routes outgrow that.
 */
const REQUEST_MS = 40;
const PAGE_MS = 400;
const VIEWERS = 11;
const SWEEP_URLS_PER_VIEWER = 400;
const SWEEP_MS = VIEWERS * SWEEP_URLS_PER_VIEWER * REQUEST_MS;
/** The search test's pages: four sort orders for two users over 5,100 (5,101) matches, then the single searches. */
const pages = (matches: number) => Math.ceil(matches / 200) + 1;
const SEARCH_MS = (4 * (pages(5100) + pages(5101)) + pages(5100) + 4 + pages(3000)) * PAGE_MS;

/**
 * [ACCESS-AM] Data about active customers only for their account managers, the employees
 * concerned and admins: proven over every staff GET route, for every kind of user.
 */
describe('[ACCESS-AM] active customers’ data: account managers, employees concerned and admins only', () => {
  let t: TestApp;
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const viewers: Record<string, Viewer> = {};
  const ids: Record<string, string> = {};
  /** Values tried for each route parameter (anything else: every record id). */
  const paramValues: Record<string, string[]> = {};
  /** Strings that must never reach a user who may not see customer A (or B). */
  const markers: Record<'A' | 'B', string[]> = { A: [], B: [] };

  const capture = (firstName: string, lastName: string, email: string) =>
    t.make.person({ firstName, lastName, email, companyName: `${lastName} Holding`, request: `Project for ${lastName}`, inquiryType: 'services', consents: ['service_updates'] });

  beforeAll(async () => {
    t = await startTestApp({ env: { JOBS_ENABLED: 'true' } }); // imports run as pg-boss jobs
    const user = async (name: string, roles: string[], sees: ('A' | 'B')[]) => {
      const u = await t.userWith(...(roles as never[]));
      viewers[name] = { name, id: u.id, token: u.token, roles, sees };
    };
    await user('admin', ['admin'], ['A', 'B']);
    await user('dpo', ['dpo'], []);
    await user('sales', ['sales'], []);
    await user('eventStaff', ['event_staff'], []);
    await user('am1', ['account_manager'], ['A']);
    await user('am2', ['account_manager'], ['B']);
    await user('amOfNone', ['account_manager'], []);
    await user('granted', ['sales'], ['A']);
    await user('expired', ['sales'], []);
    await user('revoked', ['sales'], []);
    await user('amAndSales', ['sales', 'account_manager'], ['B']);
    const admin = viewers.admin.token;

    ids.a1 = (await capture('Astrid', 'Hemmeligsen', 'astrid@aurora-secret.example')).person.id;
    ids.a2 = (await capture('Arne', 'Skjultvik', 'arne@aurora-secret.example')).person.id;
    ids.b1 = (await capture('Bodil', 'Usynligsen', 'bodil@borealis-hidden.example')).person.id;
    ids.c1 = (await capture('Cecilie', 'Synligsen', 'cecilie@open-lead.example')).person.id;
    const converted = await t.http().post(`/api/persons/${ids.a1}/convert`).set(as(admin)).send({ company: { name: 'Aurora Secret AS', domain: 'aurora-secret.example' } }).expect(200);
    ids.A = converted.body.companyId;
    await t.http().post(`/api/persons/${ids.a2}/convert`).set(as(admin)).send({ companyId: ids.A }).expect(200);
    ids.B = (await t.http().post(`/api/persons/${ids.b1}/convert`).set(as(admin)).send({ company: { name: 'Borealis Hidden AS', domain: 'borealis-hidden.example' } }).expect(200)).body.companyId;
    await t.http().put(`/api/companies/${ids.A}/account-managers`).set(as(admin)).send({ userIds: [viewers.am1.id] }).expect(200);
    await t.http().put(`/api/companies/${ids.B}/account-managers`).set(as(admin)).send({ userIds: [viewers.am2.id, viewers.amAndSales.id] }).expect(200);

    const am1 = viewers.am1.token;
    await t.http().post(`/api/companies/${ids.A}/access-grants`).set(as(am1)).send({ userId: viewers.granted.id, reason: 'Covers the account during the audit' }).expect(201);
    const expiring = await t.http().post(`/api/companies/${ids.A}/access-grants`).set(as(am1)).send({ userId: viewers.expired.id, reason: 'Helped with one delivery', expiresAt: new Date(Date.now() + 60_000) }).expect(201);
    // Time passes for this grant (the rule compares with now() on every statement).
    await t.owner.query(`UPDATE customer_access_grant SET expires_at = now() - interval '1 second' WHERE id = $1`, [expiring.body.id]);
    const revoking = await t.http().post(`/api/companies/${ids.A}/access-grants`).set(as(am1)).send({ userId: viewers.revoked.id, reason: 'Short-term help' }).expect(201);
    await t.http().delete(`/api/companies/${ids.A}/access-grants/${revoking.body.id}`).set(as(am1)).expect(204);

    // Work on the customer's record leaves traces everywhere: timeline, calls, audit, outbox, quarantine.
    await t.http().post(`/api/persons/${ids.a1}/notes`).set(as(am1)).send({ text: 'Renewal talk with Hemmeligsen' }).expect(201);
    await t.http().post(`/api/persons/${ids.a1}/calls`).set(as(am1)).send({ phone: '+47 912 34 567', direction: 'outbound', durationSeconds: 120, summary: 'Hemmeligsen call' }).expect(201);
    await t.http().get(`/api/persons/${ids.a1}`).set(as(am1)).expect(200);
    await t.http().get(`/api/persons/${ids.b1}`).set(as(viewers.am2.token)).expect(200);
    ids.heldA = randomUUID();
    await t.owner.query(
      `INSERT INTO intake_submission (id, channel, fields, sender_email, status, verdict) VALUES ($1, 'web_form', $2, 'astrid@aurora-secret.example', 'held', $3)`,
      [ids.heldA, { message: 'QUARANTINED-HEMMELIGSEN-TEXT' }, { ruleSetVersion: 'x', outcome: 'held', reasons: [{ code: 'links', evidence: {} }] }],
    );

    // A mail with a file from the customer's person, and a reply with another: captures, timeline and attachments.
    const mailFrom = (messageId: string, subject: string, file: string, inReplyTo?: string) =>
      Buffer.from(
        [
          'From: Astrid Hemmeligsen <astrid@aurora-secret.example>', 'To: sales@firm.example', `Subject: ${subject}`, `Message-ID: ${messageId}`,
          ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`, `References: ${inReplyTo}`] : []),
          'Date: Tue, 10 Mar 2026 09:00:00 +0100', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
          '--b', 'Content-Type: text/plain; charset=utf-8', '', `${subject}: see the file.`, '',
          '--b', `Content-Type: application/pdf; name="${file}"`, `Content-Disposition: attachment; filename="${file}"`, 'Content-Transfer-Encoding: base64', '',
          Buffer.from(`%PDF-1.4 ${file}`).toString('base64'), '--b--', '',
        ].join('\r\n'),
      );
    const mailIntake = t.app.get(MailIntakeService);
    ids.mailCapture = (await mailIntake.ingest(SYSTEM_ACTOR, mailFrom('<hemmelig-1@aurora-secret.example>', 'Hemmeligsen contract renewal', 'hemmeligsen-contract.pdf'), 'api')).reference;
    await mailIntake.ingest(SYSTEM_ACTOR, mailFrom('<hemmelig-2@aurora-secret.example>', 'Re: Hemmeligsen contract renewal', 'hemmeligsen-signed.pdf', '<hemmelig-1@aurora-secret.example>'), 'api');
    const attachments = await t.owner.query(`SELECT id, capture_id, activity_id FROM mail_attachment WHERE filename LIKE 'hemmeligsen-%' ORDER BY filename`);
    expect(attachments).toEqual([expect.objectContaining({ capture_id: expect.any(String) }), expect.objectContaining({ activity_id: expect.any(String) })]);
    [ids.mailCapture, ids.replyActivity] = [attachments[0].capture_id, attachments[1].activity_id];

    // An event both the customer's person and an open lead attended, imported by event staff.
    const staff = viewers.eventStaff.token;
    ids.event = (await t.http().post('/api/events').set(as(staff)).send({ name: 'Access Day', date: '2026-02-02', place: 'Oslo', organiserName: 'Org', organiserContact: 'org@events.example' }).expect(201)).body.id;
    const csv = 'First Name,Last Name,Email\r\nAstrid,Hemmeligsen,astrid@aurora-secret.example\r\nCecilie,Synligsen,cecilie@open-lead.example\r\n';
    ids.import = await importAttendees(t, staff, ids.event, csv);

    paramValues.importId = [ids.import];
    paramValues.captureId = [ids.mailCapture];
    paramValues.activityId = [ids.replyActivity];
    paramValues.attachmentId = attachments.map((a: { id: string }) => a.id);
    markers.A = [ids.a1, ids.a2, ids.A, ids.heldA, ids.mailCapture, ids.replyActivity, ...paramValues.attachmentId, 'hemmeligsen-contract', 'hemmeligsen-signed', 'contract renewal', 'astrid@aurora-secret.example', 'arne@aurora-secret.example', 'Hemmeligsen', 'Skjultvik', 'Aurora Secret', 'aurora-secret.example', 'QUARANTINED-HEMMELIGSEN'];
    markers.B = [ids.b1, ids.B, 'bodil@borealis-hidden.example', 'Usynligsen', 'Borealis Hidden', 'borealis-hidden.example'];
  });

  afterAll(() => t?.close());

  const hidden = (v: Viewer) => (['A', 'B'] as const).filter((c) => !v.sees.includes(c)).flatMap((c) => markers[c]);

  it('walks every staff GET route for every kind of user: no hidden customer in any body or header; hidden records are 404, not 403', async () => {
    const routes = controllerRoutes(t).filter((r) => r.key.startsWith('GET ') && !r.isPublic && !r.apiKeyChannels && r.roles?.length);
    expect(routes.length).toBeGreaterThan(10);
    const recordIds = [ids.a1, ids.a2, ids.b1, ids.A, ids.B, ids.heldA, ids.c1, ids.event];
    /** Every combination of the values tried for each parameter of the path. */
    const urlsFor = (path: string): string[] =>
      (path.match(/:[A-Za-z]+/g) ?? []).reduce(
        (urls, param) => urls.flatMap((url) => (paramValues[param.slice(1)] ?? recordIds).map((value) => url.replace(param, value))),
        [path],
      );
    const queries = ['', `?q=Hemmeligsen`, `?q=aurora`, `?companyId=${ids.A}`, `?entityType=person&entityId=${ids.a1}`, `?entityId=${ids.A}`, `?customer=true`, `?limit=200`, `?status=held`];
    let requests = 0;
    const leaks: string[] = [];
    for (const viewer of Object.values(viewers)) {
      const forbidden = hidden(viewer);
      for (const route of routes) {
        const path = route.key.slice(4);
        const params = path.match(/:[A-Za-z]+/g) ?? [];
        const urls = params.length ? urlsFor(path) : queries.map((q) => `${path}${q}`);
        for (const url of urls) {
          const res = await t.http().get(url).set(as(viewer.token));
          requests++;
          // A problem document names the URL asked for: what the caller sent is no disclosure.
          const seen = (JSON.stringify(res.headers) + (res.text ?? '')).split(url.split('?')[0]).join('');
          for (const marker of forbidden) if (seen.includes(marker)) leaks.push(`${viewer.name} GET ${url} (${res.status}) shows ${marker}`);
          // Allowed to use the route, but not to see the record: it does not exist for them.
          const allowedRoute = route.roles!.some((r) => viewer.roles.includes(r));
          const targetsHidden = params.length > 0 && forbidden.some((m) => url.split('/').includes(m));
          if (allowedRoute && targetsHidden && res.status === 403) leaks.push(`${viewer.name} GET ${url} is 403 (a hint that it exists), not 404`);
          if (allowedRoute && targetsHidden && /^\/api\/(persons|companies)\/[^/]+$/.test(url) && res.status !== 404) leaks.push(`${viewer.name} GET ${url} is ${res.status}, not 404`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect(requests).toBeGreaterThan(1000);
    expect({ viewers: Object.keys(viewers).length, withinTimeBudget: requests <= VIEWERS * SWEEP_URLS_PER_VIEWER }).toEqual({ viewers: VIEWERS, withinTimeBudget: true });
  }, SWEEP_MS);

  it('the same sweep sees what it should: account managers, granted employees and admins get their customers (the sweep can fail)', async () => {
    const person = async (v: Viewer, id: string) => (await t.http().get(`/api/persons/${id}`).set(as(v.token))).status;
    expect(await person(viewers.am1, ids.a1)).toBe(200);
    expect(await person(viewers.granted, ids.a2)).toBe(200);
    expect(await person(viewers.admin, ids.b1)).toBe(200);
    expect(await person(viewers.am2, ids.b1)).toBe(200);
    expect(await person(viewers.amAndSales, ids.b1)).toBe(200);
    expect(await person(viewers.am1, ids.b1)).toBe(404);
    const detail = (await t.http().get(`/api/persons/${ids.a1}`).set(as(viewers.am1.token)).expect(200)).body;
    expect(detail.email).toBe('astrid@aurora-secret.example');
    expect(detail.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['note', 'call', 'conversion']));
    const file = `/api/persons/${ids.a1}/captures/${ids.mailCapture}/attachments/${paramValues.attachmentId[0]}`;
    expect((await t.http().get(file).set(as(viewers.am1.token)).expect(200)).headers['content-disposition']).toContain('hemmeligsen-contract.pdf');
    await t.http().get(file).set(as(viewers.sales.token)).expect(404);
    const attendees = async (v: Viewer) => (await t.http().get(`/api/events/${ids.event}/attendees.csv`).set(as(v.token)).expect(200)).text;
    expect(await attendees(viewers.admin)).toContain('astrid@aurora-secret.example');
    expect(await attendees(viewers.eventStaff)).toContain('cecilie@open-lead.example');
    expect(await attendees(viewers.eventStaff)).not.toContain('astrid@aurora-secret.example');
    const held = (await t.http().get('/api/quarantine').set(as(viewers.admin.token)).expect(200)).body;
    expect(JSON.stringify(held)).toContain(ids.heldA);
  });

  it('counts: lists hold exactly the people each user may see', async () => {
    const listed = async (v: Viewer) => {
      const res = await t.http().get('/api/persons?limit=200').set(as(v.token)).expect(200);
      return (res.body.items as { id: string }[]).map((p) => p.id).filter((id) => [ids.a1, ids.a2, ids.b1, ids.c1].includes(id)).sort();
    };
    expect(await listed(viewers.sales)).toEqual([ids.c1]);
    expect(await listed(viewers.expired)).toEqual([ids.c1]);
    expect(await listed(viewers.am1)).toEqual([ids.a1, ids.a2, ids.c1].sort());
    expect(await listed(viewers.granted)).toEqual([ids.a1, ids.a2, ids.c1].sort());
    expect(await listed(viewers.admin)).toEqual([ids.a1, ids.a2, ids.b1, ids.c1].sort());
    const companies = async (v: Viewer) => ((await t.http().get('/api/companies?customer=true').set(as(v.token)).expect(200)).body.items as { id: string }[]).map((c) => c.id).sort();
    expect(await companies(viewers.sales)).toEqual([]);
    expect(await companies(viewers.am2)).toEqual([ids.B]);
    expect(await companies(viewers.admin)).toEqual([ids.A, ids.B].sort());
  });

  it('search under the rule finds common and rare terms, in every sort order, through filters and cursors, and never a hidden customer', async () => {
    // 5,100 older matches behind 3,000 newer people; three of the matches are qualified, the oldest.
    await t.owner.query(`INSERT INTO person (first_name, last_name, email, created_at) SELECT 'Vanlig', 'Vanligsen', 'vanlig' || g || '@many.example', now() - interval '1 year' + g * interval '1 second' FROM generate_series(1, 5100) g`);
    await t.owner.query(`UPDATE person SET status = 'qualified' WHERE email IN ('vanlig1@many.example', 'vanlig2@many.example', 'vanlig3@many.example')`);
    await t.owner.query(`INSERT INTO person (first_name, last_name, email) SELECT 'Fyll', 'Fyllesen', 'fyll' || g || '@many.example' FROM generate_series(1, 3000) g`);
    await t.owner.query(`UPDATE person SET last_name = 'Vanligsen-Hemmeligsen', status = 'qualified' WHERE id = $1`, [ids.a1]);
    const search = async (v: Viewer, query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.http().get(`/api/persons?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`).set(as(v.token)).expect(200);
        seen.push(...res.body.items.map((p) => p.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      return seen;
    };
    const owned = async (sql: string) => (await t.owner.query(sql)).map((r: { id: string }) => r.id);
    for (const sort of ['-createdAt', 'createdAt', 'name', '-updatedAt']) {
      const common = await search(viewers.sales, `q=vanligsen&sort=${sort}`);
      expect([sort, common.length, new Set(common).size]).toEqual([sort, 5100, 5100]);
      expect(common).not.toContain(ids.a1);
      expect(await search(viewers.am1, `q=vanligsen&sort=${sort}`)).toHaveLength(5101);
    }
    expect(await search(viewers.sales, 'q=vanligsen&sort=-createdAt')).toEqual(await owned(`SELECT id FROM person WHERE last_name = 'Vanligsen' ORDER BY created_at DESC, id DESC`));
    // A filter that keeps only the last three matches: the lookup goes further until the page is full or the matches run out.
    expect((await search(viewers.sales, 'q=vanligsen&status=qualified')).sort()).toEqual((await owned(`SELECT id FROM person WHERE email IN ('vanlig1@many.example', 'vanlig2@many.example', 'vanlig3@many.example')`)).sort());
    expect(await search(viewers.am1, 'q=vanligsen&status=qualified')).toHaveLength(4);
    expect(await search(viewers.sales, 'q=vanligsen-hemm')).toEqual([]);
    expect(await search(viewers.am1, 'q=vanligsen-hemm')).toEqual([ids.a1]);
    expect(await search(viewers.sales, 'q=fyllesen')).toHaveLength(3000);
    await t.owner.query(`UPDATE person SET last_name = 'Hemmeligsen', status = 'customer' WHERE id = $1`, [ids.a1]);
  }, SEARCH_MS);

  it('a query through the application’s own connection with no acting user returns no customer rows (nor any personal row)', async () => {
    const dataSource = t.app.get(DataSource);
    // Straight after a request by an account manager, so a pooled connection carried their identity.
    await t.http().get(`/api/persons/${ids.a1}`).set(as(viewers.am1.token)).expect(200);
    const guarded: string[] = (await t.owner.query(`SELECT relname FROM pg_class WHERE relrowsecurity AND relnamespace = 'public'::regnamespace ORDER BY relname`)).map((r: { relname: string }) => r.relname);
    expect(guarded).toEqual(expect.arrayContaining(['person', 'company', 'capture', 'consent_event', 'activity', 'hubspot_outbox', 'disclosure', 'audit_log', 'intake_submission', 'mail_attachment', 'event_registration']));
    for (const table of guarded) {
      const rows = await Promise.all(Array.from({ length: 4 }, () => dataSource.query(`SELECT count(*)::int AS n FROM ${table}`)));
      expect([table, rows.map((r) => r[0].n)]).toEqual([table, [0, 0, 0, 0]]);
    }
    const customers = await dataSource.query(`SELECT count(*)::int AS n FROM person WHERE customer_company_id IS NOT NULL`);
    expect(customers[0].n).toBe(0);
    const auditAboutCustomers = await dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE entity_id = ANY($1)`, [[ids.a1, ids.a2, ids.b1, ids.A, ids.B]]);
    expect(auditAboutCustomers[0].n).toBe(0);

    // A connection of the service role opened by hand, with nothing set.
    const raw = new Client({ connectionString: t.db.appUrl });
    await raw.connect();
    try {
      expect((await raw.query(`SELECT count(*)::int AS n FROM person`)).rows[0].n).toBe(0);
      expect((await raw.query(`SELECT count(*)::int AS n FROM company WHERE is_customer`)).rows[0].n).toBe(0);
      await expect(raw.query(`INSERT INTO person (email) VALUES ('smuggled@example.test')`)).rejects.toThrow(/row-level security/);
      await expect(raw.query(`SET ROLE postgres`)).rejects.toThrow(/permission denied/);
      await expect(raw.query(`ALTER TABLE person DISABLE ROW LEVEL SECURITY`)).rejects.toThrow(/must be owner/);
    } finally {
      await raw.end();
    }

    // The same connection, identified: a sales user sees the lead and not the customers.
    const seen = await runAsStaff(viewers.sales.id, ['sales'], () => dataSource.query(`SELECT id FROM person WHERE id = ANY($1)`, [[ids.a1, ids.b1, ids.c1]]));
    expect(seen.map((r: { id: string }) => r.id)).toEqual([ids.c1]);
    const [{ total }] = await t.owner.query(`SELECT count(*)::int AS total FROM person WHERE id = ANY($1)`, [[ids.a1, ids.b1, ids.c1]]);
    expect(total).toBe(3);
  });

  it('a grant ends on time: visible until expiresAt, a 404 from then on', async () => {
    const timed = await t.userWith('sales');
    const expiresAt = new Date(Date.now() + 2_000);
    await t.http().post(`/api/companies/${ids.A}/access-grants`).set(as(viewers.am1.token)).send({ userId: timed.id, reason: 'Two seconds of help', expiresAt }).expect(201);
    expect((await t.http().get(`/api/persons/${ids.a1}`).set(as(timed.token))).status).toBe(200);
    const deadline = Date.now() + 15_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) status = (await t.http().get(`/api/persons/${ids.a1}`).set(as(timed.token))).status;
    expect(status).toBe(404);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    const grants = (await t.http().get(`/api/companies/${ids.A}/access-grants`).set(as(viewers.am1.token)).expect(200)).body;
    expect(grants.find((g: { userId: string }) => g.userId === timed.id)).toMatchObject({ active: false, reason: 'Two seconds of help' });
  });

  it('[SEC-ACCESS] reads are audited: opening a customer’s record and listing them name who saw whom; grants and revocations too', async () => {
    await t.http().get('/api/persons?limit=200').set(as(viewers.granted.token)).expect(200);
    const audit = (sql: string, params: unknown[]) => t.owner.query(sql, params);
    expect(await audit(`SELECT action FROM audit_log WHERE actor_id = $1 AND entity_id = $2 AND action = 'person.read'`, [viewers.am1.id, ids.a1])).not.toHaveLength(0);
    const listed = await audit(`SELECT entity_id FROM audit_log WHERE actor_id = $1 AND action = 'person.listed'`, [viewers.granted.id]);
    expect(listed.map((r: { entity_id: string }) => r.entity_id)).toEqual(expect.arrayContaining([ids.a1, ids.a2, ids.c1]));
    expect(listed.map((r: { entity_id: string }) => r.entity_id)).not.toContain(ids.b1);
    const grants = await audit(`SELECT action, actor_id FROM audit_log WHERE entity_id = $1 AND action LIKE 'company.access_%' ORDER BY id`, [ids.A]);
    expect(grants.map((g: { action: string }) => g.action)).toEqual(expect.arrayContaining(['company.access_granted', 'company.access_revoked']));
    expect(grants.every((g: { actor_id: string }) => g.actor_id === viewers.am1.id)).toBe(true);
  });

  it('the DPO reaches a customer’s person only through a privacy-request action that records why', async () => {
    const dpo = viewers.dpo.token;
    await t.http().post('/api/privacy/records').set(as(dpo)).send({ email: 'astrid@aurora-secret.example' }).expect(422); // no reason
    const res = await t.http().post('/api/privacy/records').set(as(dpo)).send({ email: 'Astrid@Aurora-Secret.example', reason: 'Access request of 2026-11-20, ticket 4411' }).expect(200);
    expect(res.body).toMatchObject({ id: ids.a1, email: 'astrid@aurora-secret.example' });
    expect(res.body.captures.length).toBeGreaterThan(0);
    const [entry] = await t.owner.query(`SELECT changes FROM audit_log WHERE actor_id = $1 AND action = 'person.privacy_request_access' AND entity_id = $2`, [viewers.dpo.id, ids.a1]);
    expect(JSON.stringify(entry.changes)).toContain('ticket 4411');
    await t.http().post('/api/privacy/records').set(as(viewers.sales.token)).send({ personId: ids.a1, reason: 'I would like to look' }).expect(403);
  });

  it('only admins make customers and assign account managers; only its account managers and admins grant access', async () => {
    const sales = viewers.sales.token;
    await t.http().put(`/api/companies/${ids.A}/account-managers`).set(as(sales)).send({ userIds: [viewers.sales.id] }).expect(403);
    await t.http().put(`/api/companies/${ids.A}/account-managers`).set(as(viewers.admin.token)).send({ userIds: [viewers.sales.id] }).expect(422);
    // Granted access lets one see, not hand out access.
    await t.http().post(`/api/companies/${ids.A}/access-grants`).set(as(viewers.amAndSales.token)).send({ userId: viewers.sales.id, reason: 'Not theirs to give' }).expect(404);
    await t.http().post(`/api/companies/${ids.B}/access-grants`).set(as(viewers.am1.token)).send({ userId: viewers.sales.id, reason: 'Not theirs to give' }).expect(404);
    await t.http().post(`/api/companies/${ids.A}/access-grants`).set(as(viewers.am1.token)).send({ userId: viewers.sales.id, reason: 'Past', expiresAt: '2020-01-01T00:00:00Z' }).expect(422);
  });
});
