import ExcelJS from 'exceljs';
import PgBoss from 'pg-boss';
import { randomUUID } from 'node:crypto';
import iconv from 'iconv-lite';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { runAsSystem } from '../../src/access/access-context';
import { JOB_SCHEMA } from '../../src/common/job-queue';
import { EVENT_IMPORT_RUN } from '../../src/events/event-import.job';
import { EventImportsRepository } from '../../src/events/event-imports.repository';
import { MAX_IMPORT_FILE_BYTES } from '../../src/events/event-imports.service';
import type { PersonSeed } from '../factory';
import { importAttendees } from '../helpers/events';
import { startTestApp, type TestApp } from '../helpers/app';
import { createTestDatabase } from '../helpers/database';

type User = { id: string; email: string; token: string };
const as = (token: string) => ({ Authorization: `Bearer ${token}` });
const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'events', name));
const crlf = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

describe('attendee list import (/api/events/{id}/imports)', () => {
  let t: TestApp;
  let db: DataSource;
  let staff: User;
  let sales: User;

  beforeAll(async () => {
    t = await startTestApp({ env: { JOBS_ENABLED: 'true' } }); // imports run as pg-boss jobs
    db = t.owner;
    [staff, sales] = [await t.userWith('event_staff'), await t.userWith('sales')];
  });
  afterAll(() => t.close());

  let eventCounter = 0;
  async function newEvent(date = '2025-09-10'): Promise<string> {
    const res = await t.http().post('/api/events').set(as(staff.token))
      .send({ name: `Event ${++eventCounter}`, date, place: 'Oslo Spektrum', organiserName: 'Oslo Tech Forum', organiserContact: 'events@otf.example' }).expect(201);
    return res.body.id;
  }

  function upload(eventId: string, file: Buffer | string, opts: { name?: string; mapping?: Record<string, string>; dryRun?: boolean; token?: string } = {}) {
    const req = t.http().post(`/api/events/${eventId}/imports${opts.dryRun === false ? '?dryRun=false' : ''}`).set(as(opts.token ?? staff.token));
    if (opts.mapping) void req.field('mapping', JSON.stringify(opts.mapping));
    return req.attach('file', Buffer.isBuffer(file) ? file : Buffer.from(file, 'utf8'), opts.name ?? 'attendees.csv');
  }

  /** Polls the import until it is done or failed (a deadline, no fixed sleeps); returns every progress seen. */
  async function finished(eventId: string, importId: string): Promise<{ view: Record<string, any>; progress: { processed: number; total: number | null }[] }> {
    const progress: { processed: number; total: number | null }[] = [];
    const deadline = Date.now() + 45_000;
    for (;;) {
      const res = await t.http().get(`/api/events/${eventId}/imports/${importId}`).set(as(staff.token)).expect(200);
      progress.push(res.body.progress);
      if (res.body.status === 'done' || res.body.status === 'failed') return { view: res.body, progress };
      if (Date.now() > deadline) throw new Error(`import still ${res.body.status} at the deadline`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Polls until `probe` holds (a deadline, no fixed sleeps). */
  async function until(probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error('not by the deadline');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function importFile(eventId: string, file: Buffer | string, opts: { mapping?: Record<string, string>; name?: string } = {}) {
    const res = await upload(eventId, file, { ...opts, dryRun: false }).expect(202);
    const { view } = await finished(eventId, res.body.id);
    expect(view.status).toBe('done');
    return view;
  }

  /**
   * Sends the headers of a multipart upload declaring `declaredBytes` and only its first 64 KiB,
   * and returns the answer the service gives while the rest is still unsent (or fails at the
   * deadline): proof that the answer did not wait for the body.
   */
  async function answerBeforeBody(path: string, declaredBytes: number, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, any> }> {
    const server = t.app.getHttpServer();
    if (!server.address()) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const boundary = 'attendee-list-boundary';
    const first = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\nEmail\r\n`), Buffer.alloc(64 * 1024, 'a')]);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(declaredBytes), ...headers } });
      const deadline = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer while the body was unsent: the service waited for it'));
      }, 15_000);
      req.on('error', (err: NodeJS.ErrnoException) => {
        // The service may answer and close before it has taken even the first piece: that is the point.
        if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
        clearTimeout(deadline);
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(deadline);
          req.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
        });
      });
      req.write(first, () => undefined);
    });
  }

  /**
   * A runner in another process: it takes an import's job (not yet due, so this app's worker
   * leaves it alone), commits lines 2 and 3 with these counts, and dies; pg-boss's maintenance then
   * fails the job once it outlived its expiry and retries it, and this app's worker takes it.
   */
  async function otherRunner() {
    const boss = new PgBoss({ connectionString: t.db.url, schema: JOB_SCHEMA, max: 1, supervise: false, schedule: false });
    await boss.start();
    return {
      boss,
      async diesAfter(importId: string, counts: Record<string, number>, whileRunning?: () => Promise<void>): Promise<string> {
        const jobId = randomUUID();
        await boss.send(EVENT_IMPORT_RUN, { importId, jobId }, { id: jobId, singletonKey: importId, startAfter: 3600, expireInSeconds: 1, retryDelay: 0 });
        expect((await boss.fetch(EVENT_IMPORT_RUN, { ignoreStartAfter: true })).map((j) => j.id)).toEqual([jobId]);
        await db.query(
          `UPDATE event_import SET status = 'running', job_id = $2, runner_token = gen_random_uuid(), attempts = 1, done_through_line = 3, processed_rows = 2, outcome = $3 WHERE id = $1`,
          [importId, jobId, JSON.stringify(counts)],
        );
        await whileRunning?.();
        const deadline = Date.now() + 30_000;
        while ((await boss.getJobById(EVENT_IMPORT_RUN, jobId))?.state === 'active' && Date.now() < deadline) {
          await boss.expire();
          await new Promise((r) => setTimeout(r, 100));
        }
        return jobId;
      },
      stop: () => boss.stop({ graceful: false, wait: true }),
    };
  }

  const personByEmail = async (email: string) => (await db.query(`SELECT * FROM person WHERE email = $1`, [email]))[0];
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query(`SELECT count(*)::int AS n FROM (${sql}) s`, params))[0].n);
  const tableCounts = async () => ({
    persons: await count(`SELECT 1 FROM person`),
    captures: await count(`SELECT 1 FROM capture`),
    activities: await count(`SELECT 1 FROM activity`),
    registrations: await count(`SELECT 1 FROM event_registration`),
    audit: await count(`SELECT 1 FROM audit_log WHERE entity_type = 'person'`),
    outbox: await count(`SELECT 1 FROM hubspot_outbox`),
  });

  const seedWebForm = (person: PersonSeed) => t.make.person({ email: null, receivedAt: '2025-01-15T10:00:00Z', request: 'Hello', ...person });

  describe('an Eventbrite export', () => {
    let eventId: string;
    let importId: string;
    let eva: string;
    let siri: string;

    beforeAll(async () => {
      eventId = await newEvent('2025-09-10');
      eva = (await seedWebForm({ firstName: 'Eva', lastName: 'Known', email: 'existing@known.example' })).person.id;
      siri = (await seedWebForm({ firstName: 'Siri', phone: '+4799887766' })).person.id;
    });

    it('[SRC-EVENT] a dry run reports new, matched, not attending, duplicate and rejected lines (with line numbers) and writes no person', async () => {
      const before = await tableCounts();
      const res = await upload(eventId, fixture('eventbrite-attendees.csv')).expect(201);
      importId = res.body.id;
      expect(res.headers.location).toBe(`/api/events/${eventId}/imports/${importId}`);
      expect(res.body).toMatchObject({ status: 'analysed', format: 'csv', encoding: 'utf-8', delimiter: ',', outcome: null });
      expect(res.body.analysis).toEqual({ rows: 10, newPersons: 3, matchedPersons: 2, registrations: 5, alreadyRegistered: 0, notAttending: 2, duplicateRows: 1, rejectedRows: 2 });
      // Line numbers count physical lines: Ola's answer spans lines 3 and 4.
      expect(res.body.rejected).toEqual([
        { line: 6, reason: 'no_contact', message: expect.any(String) },
        { line: 7, reason: 'invalid_email', message: expect.any(String) },
      ]);
      expect(res.body.columns).toEqual(expect.arrayContaining([
        { header: 'First Name', target: 'firstName' }, { header: 'Email', target: 'email' }, { header: 'Cell Phone', target: 'phone' },
        { header: 'Work Phone', target: 'phone' }, { header: 'Attendee Status', target: 'attendeeStatus' }, { header: 'Order #', target: 'orderRef' },
        { header: 'What would you like to learn?', target: null },
      ]));
      expect(await tableCounts()).toEqual(before);
      // The file is kept for the import to come.
      expect(await count(`SELECT 1 FROM event_import_chunk WHERE import_id = $1`, [importId])).toBeGreaterThan(0);
    });

    it('[SRC-EVENT] [RET-EVENT] the import registers, captures with legal bases, policy version and a 6-year clock from the event day, and matches existing persons', async () => {
      const before = await tableCounts();
      const started = await t.http().post(`/api/events/${eventId}/imports/${importId}/run`).set(as(staff.token)).expect(202);
      expect(started.body.progress).toEqual({ processed: 0, total: 10 });
      const { view, progress } = await finished(eventId, importId);
      expect(view.status).toBe('done');
      expect(view.outcome).toEqual({ rows: 10, newPersons: 3, matchedPersons: 2, registrations: 5, alreadyRegistered: 0, notAttending: 2, duplicateRows: 1, rejectedRows: 2 });
      expect(progress[progress.length - 1]).toEqual({ processed: 10, total: 10 });
      expect(await tableCounts()).toEqual({
        persons: before.persons + 3,
        captures: before.captures + 5,
        activities: before.activities + 5,
        registrations: before.registrations + 5,
        audit: before.audit + 5,
        outbox: before.outbox + 5,
      });

      const kari = await personByEmail('kari.nordmann@fjord.example');
      expect(kari).toMatchObject({ first_name: 'Kari', last_name: 'Nordmann', phone: '+4791234567', company_name: 'Fjord Analytics AS', position: 'CTO', location: 'Oslo, Norway', sync_state: 'pending' });
      expect((await personByEmail('ola.hansen@bergen-data.example')).phone).toBe('+4755123456');
      expect(await count(`SELECT 1 FROM person WHERE phone = '+4741234567' AND email IS NULL`)).toBe(1);

      const [capture] = await db.query(`SELECT * FROM capture WHERE person_id = $1 AND source = 'event'`, [kari.id]);
      expect(capture).toMatchObject({
        source_ref: `event_import:${importId}:2`,
        content_type: 'text/csv',
        legal_bases: { handle_request: 'contract', communication_history: 'legitimate_interest' },
        consents_given: [],
        policy_version: 'en-1',
        retention_anchor: 'last_event_registration',
        actor_type: 'user',
        actor_id: staff.id,
      });
      expect(capture.retention_anchor_at.toISOString()).toBe('2025-09-10T00:00:00.000Z');
      expect(capture.retention_due_at.toISOString()).toBe('2031-09-10T00:00:00.000Z');
      // The columns the import knows, as received; a custom question nobody mapped is not kept (policy 7.1).
      expect(capture.payload).toMatchObject({ 'Order #': '1001', 'Ticket Type': 'Early bird' });
      expect(capture.payload).not.toHaveProperty('What would you like to learn?');
      expect(capture.payload).not.toHaveProperty('Total Paid');
      const [registration] = await db.query(`SELECT * FROM event_registration WHERE event_id = $1 AND person_id = $2`, [eventId, kari.id]);
      expect(registration).toMatchObject({ capture_id: capture.id, import_id: importId, line: 2, ticket_type: 'Early bird', order_ref: '1001', attendee_ref: '5001' });
      const [activity] = await db.query(`SELECT * FROM activity WHERE person_id = $1`, [kari.id]);
      expect(activity).toMatchObject({ type: 'event_registration', capture_id: capture.id, actor_id: staff.id });
      expect(activity.details).toMatchObject({ eventId, importId, line: 2, ticketType: 'Early bird' });
      const [audit] = await db.query(`SELECT * FROM audit_log WHERE entity_type = 'person' AND entity_id = $1`, [kari.id]);
      expect(audit).toMatchObject({ action: 'person.created', actor_type: 'user', actor_id: staff.id });
      expect(audit.changes.email).toEqual({ before: null, after: '[personal data]' });

      // Existing people: matched, not duplicated; blanks filled, nothing overwritten.
      expect(await count(`SELECT 1 FROM person WHERE email = 'existing@known.example'`)).toBe(1);
      expect(await db.query(`SELECT first_name, company_name, position FROM person WHERE id = $1`, [eva])).toEqual([{ first_name: 'Eva', company_name: 'Known Company', position: 'Head of IT' }]);
      expect(await db.query(`SELECT first_name, email, phone FROM person WHERE id = $1`, [siri])).toEqual([{ first_name: 'Siri', email: 'siri@phone-match.example', phone: '+4799887766' }]);
      const [evaAudit] = await db.query(`SELECT * FROM audit_log WHERE entity_type = 'person' AND entity_id = $1 AND action = 'person.captured'`, [eva]);
      expect(evaAudit.changes.companyName).toEqual({ before: null, after: '[personal data]' });
      expect(await count(`SELECT 1 FROM event_registration WHERE person_id = ANY($1)`, [[eva, siri]])).toBe(2);
      // Refunded and cancelled attendees are not registered, nor stored.
      expect(await personByEmail('per@olsen.example')).toBeUndefined();
      expect(await personByEmail('tor@cancelled.example')).toBeUndefined();
      // Done: the stored file is deleted; the captures hold every line taken.
      expect(await count(`SELECT 1 FROM event_import_chunk WHERE import_id = $1`, [importId])).toBe(0);
    });

    it('re-importing the same file changes nothing', async () => {
      const before = await tableCounts();
      const again = await upload(eventId, fixture('eventbrite-attendees.csv'), { dryRun: false }).expect(200);
      expect(again.body).toMatchObject({ id: importId, status: 'done' });
      const dry = await upload(eventId, fixture('eventbrite-attendees.csv')).expect(200);
      expect(dry.body.id).toBe(importId);
      await t.http().post(`/api/events/${eventId}/imports/${importId}/run`).set(as(staff.token)).expect(409);
      expect(await tableCounts()).toEqual(before);
    });

    it('an updated export of the same event registers only the new attendees', async () => {
      const before = await tableCounts();
      const updated = Buffer.concat([fixture('eventbrite-attendees.csv'), Buffer.from('1011,2025-08-11 10:00,Nina,Ny,nina@ny.example,1,Standard,5011,Free Order,NOK,0,Attending,,,,,,,,,,\r\n')]);
      const view = await importFile(eventId, updated);
      expect(view.outcome).toMatchObject({ rows: 11, newPersons: 1, registrations: 1, alreadyRegistered: 5, duplicateRows: 1, rejectedRows: 2 });
      const after = await tableCounts();
      expect(after.registrations).toBe(before.registrations + 1);
      expect(after.persons).toBe(before.persons + 1);
      expect(await count(`SELECT 1 FROM event_registration WHERE event_id = $1`, [eventId])).toBe(6);
    });

    it('the rejected lines download as CSV with line, reason, what to fix and the line as read', async () => {
      const res = await t.http().get(`/api/events/${eventId}/imports/${importId}/rejected.csv`).set(as(staff.token)).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/attachment; filename="rejected-/);
      const text = res.text.replace(/^\uFEFF/, '');
      const lines = text.trim().split('\r\n');
      expect(lines[0]).toMatch(/^Line,Reason,What to fix,Order #,Order Date,First Name,Last Name,Email,/);
      expect(lines[1]).toMatch(/^6,no_contact,.*,1004,2025-08-04 13:00,Anne,Berg,,/);
      expect(lines[2]).toMatch(/^7,invalid_email,.*,Lise,Lie,lise-at-example,/);
      expect(lines).toHaveLength(3);
    });
  });

  it('[SEC-ACCESS] sales may read events but not import; event staff may', async () => {
    const eventId = await newEvent();
    await t.http().get(`/api/events/${eventId}`).set(as(sales.token)).expect(200);
    await upload(eventId, 'Email\r\nx@y.example\r\n', { token: sales.token }).expect(403);
    await t.http().get(`/api/events/${eventId}/imports`).set(as(sales.token)).expect(403);
    await upload(eventId, 'Email\r\nx@y.example\r\n').expect(201);
  });

  it('a semicolon file with a BOM and Norwegian headers; someone under 16 is rejected and nothing of their line kept [AGE-16]', async () => {
    const eventId = await newEvent();
    const file = `\uFEFF${crlf('Fornavn;Etternavn;E-post;Firma;Stilling;Mobil;Alder', 'Åse;Ørnes;ase@fjell.example;Fjell Bedrift AS;Daglig leder;+47 913 00 001;45', 'Bjørn;Æsen;bjorn@fjell.example;"Fjell; Bedrift";Utvikler;;15')}`;
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body).toMatchObject({ encoding: 'utf-8', delimiter: ';' });
    expect(dry.body.analysis).toMatchObject({ rows: 2, newPersons: 1, rejectedRows: 1 });
    expect(dry.body.rejected).toEqual([{ line: 3, reason: 'under_16', message: expect.stringContaining('16') }]);
    expect(await db.query(`SELECT values FROM event_import_rejection WHERE import_id = $1`, [dry.body.id])).toEqual([{ values: null }]);
    // The rejected lines come back split as the upload was (Norwegian Excel opens a .csv on semicolons), after the BOM Excel needs for UTF-8.
    const rejected = await t.http().get(`/api/events/${eventId}/imports/${dry.body.id}/rejected.csv`).set(as(staff.token)).expect(200);
    expect(rejected.text.split('\r\n').slice(0, 2)).toEqual(['\uFEFFLine;Reason;What to fix;Fornavn;Etternavn;E-post;Firma;Stilling;Mobil;Alder', expect.stringMatching(/^3;under_16;[^;]*;;;;;;;$/)]);
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    expect((await finished(eventId, dry.body.id)).view.status).toBe('done');
    expect(await personByEmail('ase@fjell.example')).toMatchObject({ first_name: 'Åse', last_name: 'Ørnes', company_name: 'Fjell Bedrift AS', position: 'Daglig leder', phone: '+4791300001' });
    expect(await personByEmail('bjorn@fjell.example')).toBeUndefined();
  });

  it('[CONSENT-PROOF][SRC-EVENT] a consent question’s column, mapped to its purpose, grants it on "ja"/"yes" with the question as the wording; anything else grants nothing', async () => {
    const eventId = await newEvent();
    const question = 'Ønsker du nyheter om våre tjenester på e-post?';
    const file = crlf(`Fornavn;Etternavn;E-post;${question}`, 'Åse;Lie;ase.lie@fjell.example;Ja', 'Per;Berg;per.berg@fjell.example;Nei', 'Ola;Dal;ola.dal@fjell.example;');
    await upload(eventId, file, { mapping: { [question]: 'consent:marketing' } }).expect(422);
    const view = await importFile(eventId, file, { mapping: { [question]: 'consent:service_updates' } });
    expect(view.status).toBe('done');
    const ledger = await db.query(
      `SELECT p.email, e.purpose, e.action, e.wording, e.source FROM consent_event e JOIN person p ON p.id = e.person_id WHERE p.email LIKE '%@fjell.example' AND p.email IN ('ase.lie@fjell.example', 'per.berg@fjell.example', 'ola.dal@fjell.example')`,
    );
    expect(ledger).toEqual([{ email: 'ase.lie@fjell.example', purpose: 'service_updates', action: 'granted', wording: question, source: 'event' }]);
    const [capture] = await db.query(`SELECT c.legal_bases FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'ase.lie@fjell.example'`);
    expect(capture.legal_bases).toMatchObject({ handle_request: 'contract', service_updates: 'consent' });
  });

  it('[CONSENT-PROOF] a consent answer that opens with a clear yes grants it; one neither yes nor no grants nothing and is a warning the dry run shows', async () => {
    const eventId = await newEvent();
    const question = 'Newsletter';
    const file = crlf(`Email,First Name,${question}`, 'yes.agree@consent.example,Yes,"Yes, I agree"', 'tick@consent.example,Tick,✓', 'label@consent.example,Label,Send me the newsletter', 'no.thanks@consent.example,No,"No, thanks"');
    const mapping = { [question]: 'consent:service_updates' };
    const dry = await upload(eventId, file, { mapping }).expect(201);
    expect(dry.body.analysis).toMatchObject({ rows: 4, registrations: 4, rejectedRows: 0 });
    expect(dry.body.rejected).toEqual([{ line: 4, reason: 'consent_unclear', message: expect.stringContaining(`"${question}" is neither yes nor no`) }]);
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    expect((await finished(eventId, dry.body.id)).view.status).toBe('done');
    const granted = await db.query(`SELECT p.email FROM consent_event e JOIN person p ON p.id = e.person_id WHERE p.email LIKE '%@consent.example' AND e.action = 'granted' ORDER BY p.email`);
    expect(granted).toEqual([{ email: 'tick@consent.example' }, { email: 'yes.agree@consent.example' }]);
    const [capture] = await db.query(`SELECT c.warnings FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'label@consent.example'`);
    expect(capture.warnings).toEqual([{ field: 'consent:service_updates', message: expect.stringContaining('neither yes nor no') }]);
  });

  it('[RIGHT-RESTRICT] a line naming a restricted person is not imported: listed as rejected, the person neither registered nor filled in', async () => {
    const eventId = await newEvent();
    const [{ id }] = await db.query(`INSERT INTO person (email, status, restricted_at) VALUES ('kept.still@fjell.example', 'new', now()) RETURNING id`);
    const file = crlf('First name,Last name,Email,Company', 'Kari,Still,kept.still@fjell.example,Fjell AS', 'Per,Open,per.open@fjell.example,Fjell AS');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.analysis).toMatchObject({ rows: 2, newPersons: 1, matchedPersons: 0, rejectedRows: 1 });
    expect(dry.body.rejected).toEqual([{ line: 2, reason: 'restricted', message: expect.stringContaining('restricted') }]);
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    const { view } = await finished(eventId, dry.body.id);
    expect(view.status).toBe('done');
    expect(await personByEmail('kept.still@fjell.example')).toMatchObject({ first_name: null, company_name: null });
    expect(await db.query(`SELECT count(*)::int AS n FROM event_registration WHERE person_id = $1`, [id])).toEqual([{ n: 0 }]);
    expect(await personByEmail('per.open@fjell.example')).toMatchObject({ first_name: 'Per' });
  });

  it('a UTF-16LE tab-separated file, as Excel saves "Unicode text"', async () => {
    const eventId = await newEvent();
    const text = crlf('First Name\tLast Name\tE-mail\tCompany', 'Marit\tSæther\tmarit@tab.example\tSæther Consulting');
    const file = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]);
    const res = await upload(eventId, file, { name: 'attendees.txt' }).expect(201);
    expect(res.body).toMatchObject({ encoding: 'utf-16le', delimiter: '\t' });
    // Uploading the analysed file again with dryRun=false imports that same upload.
    expect((await importFile(eventId, file, { name: 'attendees.txt' })).id).toBe(res.body.id);
    expect(await personByEmail('marit@tab.example')).toMatchObject({ first_name: 'Marit', last_name: 'Sæther', company_name: 'Sæther Consulting' });
  });

  it('a Windows-1252 file with æøå (an "ø" only on the last line still decides the encoding)', async () => {
    const eventId = await newEvent();
    const file = iconv.encode(crlf('Navn,E-post,Bedrift', 'Per Hansen,per@w1252.example,Hansen AS', 'Gøril Håland,goril@w1252.example,Blåbær AS'), 'windows-1252');
    const view = await importFile(eventId, file);
    expect(view.encoding).toBe('windows-1252');
    expect(await personByEmail('goril@w1252.example')).toMatchObject({ first_name: 'Gøril', last_name: 'Håland', company_name: 'Blåbær AS' });
  });

  it('Mac Excel’s "CSV (Macintosh)" (MacRoman, CR line ends) and "MS-DOS CSV" (CP850) are read as such, not as Windows-1252 mojibake, and the dry run names the encoding', async () => {
    for (const [encoding, nl] of [['macintosh', '\r'], ['cp850', '\r\n']]) {
      const eventId = await newEvent();
      const file = iconv.encode(['Fornavn;Etternavn;E-post;Firma', `Bjørnar;Ødegård;bjornar@${encoding}.example;Blåbær AS`, `Åse;Kværne;ase@${encoding}.example;Fjell AS`, ''].join(nl), encoding);
      const dry = await upload(eventId, file).expect(201);
      expect(dry.body).toMatchObject({ encoding, delimiter: ';', analysis: { rows: 2, newPersons: 2 } });
      await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
      expect((await finished(eventId, dry.body.id)).view.status).toBe('done');
      expect(await personByEmail(`bjornar@${encoding}.example`)).toMatchObject({ first_name: 'Bjørnar', last_name: 'Ødegård', company_name: 'Blåbær AS' });
      expect(await personByEmail(`ase@${encoding}.example`)).toMatchObject({ first_name: 'Åse', last_name: 'Kværne' });
    }
  });

  it('quoted fields with line breaks, delimiters and quotes keep the line numbers right', async () => {
    const eventId = await newEvent();
    const file = crlf('Email,Company,Notes', 'a@quoted.example,"Acme, Inc.","line one', 'line two, with ""quotes"""', 'broken-address,Beta,x', 'b@quoted.example,"Gamma ""G""",', '', 'bad@,Delta,"multi', 'line"');
    const res = await upload(eventId, file, { mapping: { Notes: 'keep' } }).expect(201);
    expect(res.body.rejected.map((r: { line: number; reason: string }) => [r.line, r.reason])).toEqual([[4, 'invalid_email'], [7, 'invalid_email']]);
    await t.http().post(`/api/events/${eventId}/imports/${res.body.id}/run`).set(as(staff.token)).expect(202);
    await finished(eventId, res.body.id);
    expect(await personByEmail('a@quoted.example')).toMatchObject({ company_name: 'Acme, Inc.' });
    expect(await personByEmail('b@quoted.example')).toMatchObject({ company_name: 'Gamma "G"' });
    const [capture] = await db.query(`SELECT payload FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'a@quoted.example'`);
    expect(capture.payload.Notes).toBe('line one\r\nline two, with "quotes"');
  });

  it('business cards typed into a sheet: the user mapping names the columns, and an ignored column is not stored', async () => {
    const eventId = await newEvent();
    const file = crlf('Navn på kort;Kontakt;Firma på kort;Notater', 'Knut Kortsen;knut@kort.example;Kort AS;met at the stand, wants a call');
    const mapping = { 'Navn på kort': 'fullName', Kontakt: 'email', 'Firma på kort': 'company', Notater: 'ignore' };
    const view = await importFile(eventId, file, { mapping });
    expect(view.columns).toEqual([
      { header: 'Navn på kort', target: 'fullName' }, { header: 'Kontakt', target: 'email' }, { header: 'Firma på kort', target: 'companyName' }, { header: 'Notater', target: 'ignore' },
    ]);
    const knut = await personByEmail('knut@kort.example');
    expect(knut).toMatchObject({ first_name: 'Knut', last_name: 'Kortsen', company_name: 'Kort AS' });
    const [capture] = await db.query(`SELECT payload FROM capture WHERE person_id = $1`, [knut.id]);
    expect(capture.payload).toEqual({ 'Navn på kort': 'Knut Kortsen', Kontakt: 'knut@kort.example', 'Firma på kort': 'Kort AS' });
  });

  it('a mapping or a file that cannot work is a 4xx naming the problem, and nothing is stored', async () => {
    const eventId = await newEvent();
    const before = await count(`SELECT 1 FROM event_import`);
    const cards = crlf('Navn på kort;Kontakt', 'Knut;knut@kort.example');
    let res = await upload(eventId, cards).expect(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'mapping', message: expect.stringContaining('e-mail or phone') }]);
    expect(res.body.detail).toContain('Line 1 was read as the header');
    res = await upload(eventId, cards, { mapping: { 'Finnes ikke': 'email', Kontakt: 'shoeSize' } }).expect(422);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['mapping', 'mapping.Finnes ikke', 'mapping.Kontakt']);
    res = await t.http().post(`/api/events/${eventId}/imports`).set(as(staff.token)).field('mapping', '[1,2]').attach('file', Buffer.from(cards), 'a.csv').expect(422);
    expect(res.body.errors).toEqual([{ field: 'mapping', message: expect.any(String) }]);
    await t.http().post(`/api/events/${eventId}/imports`).set(as(staff.token)).field('mapping', '{}').expect(422);
    await t.http().post(`/api/events/${eventId}/imports`).set(as(staff.token)).send({ file: 'x' }).expect(415);
    res = await upload(eventId, crlf('Email,Notes', 'a@x.example,"never closed', 'b@x.example,ok')).expect(422);
    expect(res.body.detail).toMatch(/cannot be read as CSV.*quoted field is never closed/);
    await upload(eventId, crlf('Email,Notes', 'a@x.example,"never closed'), { dryRun: false }).expect(422);
    res = await upload(eventId, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), { name: 'old.xls' }).expect(415);
    expect(res.body.detail).toMatch(/\.xls/);
    await upload(eventId, Buffer.alloc(0)).expect(422);
    await upload(eventId, Buffer.from('PK\u0003\u0004 not really a zip'), { name: 'x.xlsx' }).expect(422);
    await t.http().post(`/api/events/00000000-0000-4000-8000-000000000000/imports`).set(as(staff.token)).attach('file', Buffer.from(cards), 'a.csv').expect(404);
    expect(await count(`SELECT 1 FROM event_import`)).toBe(before);
  });

  it('a Zoom registration report: its preamble is skipped and reported, the mapping names its columns, and rejected lines keep the file’s line numbers', async () => {
    const eventId = await newEvent();
    const file = crlf(
      'Registration Report',
      'Report Generated:,"Sep 12, 2025 10:15 AM"',
      'Topic,Webinar ID,Scheduled Time,# Registered,# Cancelled',
      'Datasikkerhet i praksis,812 3456 7890,"Sep 10, 2025 09:00 AM",3,0',
      '',
      'Host Details',
      'Host Name,Host Email',
      'Vera Vert,vera.vert@host.example',
      '',
      'Registrant Details',
      'First Name,Last Name,Email,Registration Time,Approval Status',
      'Ada,Lovaas,ada@zoom-reg.example,"Sep 01, 2025 08:12 AM",approved',
      'Bo,Berg,not-an-address,"Sep 02, 2025 09:00 AM",approved',
      'Cy,Dahl,cy@zoom-reg.example,"Sep 03, 2025 10:00 AM",approved',
    );
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body).toMatchObject({ headerLine: 11, skippedLines: 10 });
    expect(dry.body.analysis).toMatchObject({ rows: 3, newPersons: 2, rejectedRows: 1 });
    expect(dry.body.rejected).toEqual([{ line: 13, reason: 'invalid_email', message: expect.any(String) }]);
    const started = await upload(eventId, file, { mapping: { Email: 'email', 'Approval Status': 'ignore' }, dryRun: false }).expect(202);
    expect(started.body.progress).toEqual({ processed: 0, total: 3 });
    const { view } = await finished(eventId, started.body.id);
    expect(view).toMatchObject({ status: 'done', headerLine: 11, outcome: { rows: 3, registrations: 2, rejectedRows: 1 } });
    expect(await personByEmail('ada@zoom-reg.example')).toMatchObject({ first_name: 'Ada', last_name: 'Lovaas' });
    // The host of the webinar is in the preamble, not an attendee.
    expect(await personByEmail('vera.vert@host.example')).toBeUndefined();
  });

  it('a Zoom attendee report: the host and panelist tables (each with its own Email header) are skipped and reported, and only the attendees are imported', async () => {
    const eventId = await newEvent();
    const file = crlf(
      'Attendee Report',
      'Report Generated:,"Sep 12, 2025 10:15 AM"',
      'Topic,Webinar ID,Actual Start Time,Unique Viewers',
      'Datasikkerhet i praksis,812 3456 7890,"Sep 10, 2025 09:00 AM",2',
      '',
      'Host Details',
      'Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)',
      'Yes,Vera Vert,vera@zoom-host.example,"Sep 10, 2025 08:55 AM","Sep 10, 2025 10:02 AM",67',
      '',
      'Panelist Details',
      'Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes)',
      'Yes,Per Panel,per@zoom-host.example,"Sep 10, 2025 08:58 AM","Sep 10, 2025 10:00 AM",62',
      '',
      'Attendee Details',
      'Attended,First Name,Last Name,Email,Registration Time,Approval Status,Join Time',
      'Yes,Ada,Lovaas,ada@zoom-att.example,"Sep 01, 2025 08:12 AM",approved,"Sep 10, 2025 09:01 AM"',
      'No,Bo,Berg,bo@zoom-att.example,"Sep 02, 2025 09:00 AM",approved,',
    );
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body).toMatchObject({ headerLine: 15, skippedLines: 14 });
    expect(dry.body.analysis).toMatchObject({ rows: 2, newPersons: 2, rejectedRows: 0 });
    await importAttendees(t, staff.token, eventId, file);
    expect(await personByEmail('ada@zoom-att.example')).toMatchObject({ first_name: 'Ada', last_name: 'Lovaas' });
    expect(await count(`SELECT 1 FROM person WHERE email LIKE '%@zoom-host.example'`)).toBe(0);
  });

  it('a Microsoft Forms export: the answers to its e-mail and name questions are read, not Forms’ own Email ("anonymous") and empty Name columns', async () => {
    const eventId = await newEvent();
    const file = crlf(
      'ID,Start time,Completion time,Email,Name,Full name,Email address,Which session?',
      '1,9/1/2025 10:00:01,9/1/2025 10:01:12,anonymous,,Liv Skog,liv.skog@forms.example,Morning',
      '2,9/1/2025 11:00:01,9/1/2025 11:02:40,anonymous,,Tor Eng,tor.eng@forms.example,Afternoon',
      '3,9/2/2025 09:30:00,9/2/2025 09:31:05,anonymous,,Mia Vik,mia.vik(at)forms.example,Morning',
    );
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.columns).toEqual(expect.arrayContaining([{ header: 'Email', target: null }, { header: 'Name', target: null }, { header: 'Full name', target: 'fullName' }, { header: 'Email address', target: 'email' }]));
    expect(dry.body.analysis).toMatchObject({ rows: 3, newPersons: 2, rejectedRows: 1 });
    // The rejection names the column to fix; the value is only in the uploader's rejected-lines CSV.
    expect(dry.body.rejected).toEqual([{ line: 4, reason: 'invalid_email', message: 'The e-mail address under "Email address" is not valid.' }]);
    const csv = await t.http().get(`/api/events/${eventId}/imports/${dry.body.id}/rejected.csv`).set(as(staff.token)).expect(200);
    expect(csv.text).toContain('mia.vik(at)forms.example');
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    expect((await finished(eventId, dry.body.id)).view.outcome).toMatchObject({ registrations: 2, rejectedRows: 1 });
    expect(await personByEmail('liv.skog@forms.example')).toMatchObject({ first_name: 'Liv', last_name: 'Skog' });
  });

  it('a semicolon file whose header has commas in a question: the delimiter is the one its lines share', async () => {
    const eventId = await newEvent();
    const question = 'Hvilke sesjoner, dager, tider og rom passer best, og hvorfor?';
    const file = crlf(`Navn;E-post;${question}`, 'Kari Semikolon;kari@semikolon.example;Tirsdag, rom 2', 'Ola Semikolon;ola@semikolon.example;Alle');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body).toMatchObject({ delimiter: ';', columns: [{ header: 'Navn', target: 'fullName' }, { header: 'E-post', target: 'email' }, { header: question, target: null }] });
    expect(dry.body.analysis).toMatchObject({ rows: 2, newPersons: 2, rejectedRows: 0 });
  });

  it('a Meetup export: people who answered the RSVP "No" are not registered', async () => {
    const eventId = await newEvent();
    const file = crlf('Name,User ID,Email,RSVP,Guests', 'Ida Meetup,1001,ida@meetup.example,Yes,0', 'Jon Meetup,1002,jon@meetup.example,No,0', 'Kai Meetup,1003,kai@meetup.example,Not going,0');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.columns).toEqual(expect.arrayContaining([{ header: 'RSVP', target: 'attendeeStatus' }]));
    expect(dry.body.analysis).toMatchObject({ rows: 3, registrations: 1, notAttending: 2 });
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    expect((await finished(eventId, dry.body.id)).view.outcome).toMatchObject({ registrations: 1, notAttending: 2 });
    expect(await personByEmail('ida@meetup.example')).toBeDefined();
    expect(await personByEmail('jon@meetup.example')).toBeUndefined();
  });

  it('a file with two Email columns: the name the dry run shows for the second, "Email (2)", maps it', async () => {
    const eventId = await newEvent();
    const file = crlf('Name,Email,Company,Email', 'Rune Dobbel,booking@agency.example,Dobbel AS,rune@dobbel.example');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.columns.map((c: { header: string }) => c.header)).toEqual(['Name', 'Email', 'Company', 'Email (2)']);
    const view = await importFile(eventId, file, { mapping: { 'Email (2)': 'email', Email: 'ignore' } });
    expect(view.columns).toEqual(expect.arrayContaining([{ header: 'Email', target: 'ignore' }, { header: 'Email (2)', target: 'email' }]));
    expect(await personByEmail('rune@dobbel.example')).toMatchObject({ first_name: 'Rune', company_name: 'Dobbel AS' });
    expect(await personByEmail('booking@agency.example')).toBeUndefined();
  });

  it('[SEC-ACCESS] the upload is read only after sign-in: without a token the answer is 401 while most of the body is unsent, and nothing is stored', async () => {
    const eventId = await newEvent();
    const before = { imports: await count(`SELECT 1 FROM event_import`), chunks: await count(`SELECT 1 FROM event_import_chunk`) };
    // Declared larger than the upload limit: had the body been read before the guard, this would be a 413 (or no answer at all).
    const res = await answerBeforeBody(`/api/events/${eventId}/imports?dryRun=false`, MAX_IMPORT_FILE_BYTES + 10 * 1024 * 1024);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    // The rest of the body is not read only to be thrown away: the connection is closed.
    expect(res.headers.connection).toBe('close');
    const forbidden = await answerBeforeBody(`/api/events/${eventId}/imports`, MAX_IMPORT_FILE_BYTES + 10 * 1024 * 1024, as(sales.token));
    expect(forbidden.status).toBe(403);
    expect({ imports: await count(`SELECT 1 FROM event_import`), chunks: await count(`SELECT 1 FROM event_import_chunk`) }).toEqual(before);
  });

  it('a file over the limit is refused with 413 naming the limit, and leaves no import and no stored piece', async () => {
    const eventId = await newEvent();
    const before = { imports: await count(`SELECT 1 FROM event_import`), chunks: await count(`SELECT 1 FROM event_import_chunk`) };
    // Declared too large: refused before the body is read.
    const declared = await answerBeforeBody(`/api/events/${eventId}/imports`, MAX_IMPORT_FILE_BYTES + 2 * 1024 * 1024, as(staff.token));
    expect(declared.status).toBe(413);
    expect(declared.body.detail).toContain('50 MiB');
    expect(declared.headers.connection).toBe('close');
    // A file one byte over, its size not known until it has streamed in: stored as it came, then rolled back.
    const big = Buffer.alloc(MAX_IMPORT_FILE_BYTES + 1, 'x');
    big.write('Email\r\n');
    const res = await upload(eventId, big, { dryRun: false }).expect(413);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.detail).toContain('50 MiB');
    expect(res.body.errors).toEqual([{ field: 'file', message: `must be at most ${MAX_IMPORT_FILE_BYTES} bytes` }]);
    expect({ imports: await count(`SELECT 1 FROM event_import`), chunks: await count(`SELECT 1 FROM event_import_chunk`) }).toEqual(before);
  });

  it('the mapping may come after the file; a second file, a file under another name or an unknown field is a 422', async () => {
    const eventId = await newEvent();
    const cards = Buffer.from(crlf('Navn på kort;Kontakt', 'Kari Kort;kari@after.example'));
    const res = await t.http().post(`/api/events/${eventId}/imports`).set(as(staff.token)).attach('file', cards, 'cards.csv').field('mapping', JSON.stringify({ 'Navn på kort': 'fullName', Kontakt: 'email' })).expect(201);
    expect(res.body.columns).toEqual([{ header: 'Navn på kort', target: 'fullName' }, { header: 'Kontakt', target: 'email' }]);
    const before = await count(`SELECT 1 FROM event_import`);
    const file = Buffer.from(crlf('Email', 'one@two.example'));
    let bad = await t.http().post(`/api/events/${eventId}/imports`).set(as(staff.token)).attach('file', file, 'a.csv').attach('file', file, 'b.csv').expect(422);
    expect(bad.body.errors).toEqual([{ field: 'file', message: 'attach one file only' }]);
    bad = await t.http().post(`/api/events/${eventId}/imports`).set(as(staff.token)).attach('attendees', file, 'a.csv').expect(422);
    expect(bad.body.errors).toEqual([{ field: 'attendees', message: expect.stringContaining('not a field') }]);
    bad = await t.http().post(`/api/events/${eventId}/imports`).set(as(staff.token)).field('notes', 'x').attach('file', file, 'a.csv').expect(422);
    expect(bad.body.errors).toEqual([{ field: 'notes', message: 'is not a field of this form' }]);
    expect(await count(`SELECT 1 FROM event_import`)).toBe(before);
  });

  it('a stray CR (after a closing quote, too) is a line break, and a NUL in a cell is replaced: the direct import runs to the end', async () => {
    const eventId = await newEvent();
    // Past the first 64 KiB: the header is read from that much, and there a NUL means a binary file.
    const filler = Array.from({ length: 900 }, (_, i) => `filler${i}@cr.example,Filler,${'Padding AS '.repeat(8)}`);
    const file = `Email,First Name,Company\r\n${filler.join('\r\n')}\r\nann@cr.example,"Ann"\rbob@cr.example,"Bob",Bee AS\r\nnul@cr.example,Nu\u0000ll,Null AS\r\n`;
    const res = await upload(eventId, file, { dryRun: false }).expect(202);
    expect(res.body.progress).toEqual({ processed: 0, total: 903 });
    const { view } = await finished(eventId, res.body.id);
    expect(view).toMatchObject({ status: 'done', error: null });
    expect(view.outcome).toMatchObject({ rows: 903, newPersons: 903, rejectedRows: 0 });
    expect(await personByEmail('bob@cr.example')).toMatchObject({ first_name: 'Bob', company_name: 'Bee AS' });
    expect(await db.query(`SELECT line FROM event_registration r JOIN person p ON p.id = r.person_id WHERE p.email = 'bob@cr.example'`)).toEqual([{ line: 903 }]);
    expect((await personByEmail('nul@cr.example')).first_name).toBe('Nu\ufffdll');
  });

  it('a file whose stored copy was deleted (never imported in time) is stored again when uploaded again, and imported as that same import', async () => {
    const eventId = await newEvent();
    const file = crlf('Email,First Name', 'again@purged.example,Again');
    const dry = await upload(eventId, file).expect(201);
    // What the purge does to an upload nobody imported in time.
    await db.query(`UPDATE event_import SET file_deleted_at = now() WHERE id = $1`, [dry.body.id]);
    await db.query(`DELETE FROM event_import_chunk WHERE import_id = $1`, [dry.body.id]);
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(409);
    expect((await upload(eventId, file).expect(200)).body.id).toBe(dry.body.id);
    expect(await count(`SELECT 1 FROM event_import_chunk WHERE import_id = $1`, [dry.body.id])).toBe(0);
    const res = await upload(eventId, file, { dryRun: false }).expect(202);
    expect(res.body.id).toBe(dry.body.id);
    expect((await finished(eventId, dry.body.id)).view.status).toBe('done');
    expect(await personByEmail('again@purged.example')).toMatchObject({ first_name: 'Again' });
    expect(await count(`SELECT 1 FROM event_import WHERE event_id = $1`, [eventId])).toBe(1);
  });

  it('the dry run counts what the import then does, also for people named again in a later batch', async () => {
    const eventId = await newEvent();
    await importFile(eventId, crlf('Email,First Name', 'ragnhild@again.example,Ragnhild'));
    await seedWebForm({ firstName: 'Xavier', email: 'xavier@again.example', phone: '+4790011223' });
    // The first batch (500 attendees): Ragnhild (registered already), someone known by a new phone alone, Xavier by e-mail.
    const lines = ['Email,First Name,Mobile', 'ragnhild@again.example,Ragnhild,', ',Phone Only,+4790055667', 'xavier@again.example,Xavier,'];
    for (let i = 0; i < 497; i++) lines.push(`batch${i}@again.example,Batch ${i},`);
    // The second batch names each of them again, by another key where it can: all three are duplicates.
    lines.push('ragnhild@again.example,Ragnhild,', 'phone.only@again.example,Phone Only,+4790055667', ',Xavier,+4790011223', 'late@again.example,Late,');
    const dry = await upload(eventId, crlf(...lines)).expect(201);
    expect(dry.body.analysis).toEqual({ rows: 504, newPersons: 499, matchedPersons: 1, registrations: 500, alreadyRegistered: 1, notAttending: 0, duplicateRows: 3, rejectedRows: 0 });
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    const { view } = await finished(eventId, dry.body.id);
    expect(view.outcome).toEqual(dry.body.analysis);
    expect(await count(`SELECT 1 FROM event_registration WHERE event_id = $1`, [eventId])).toBe(501);
  });

  it('an XLSX workbook (first sheet; links, numbers and rich text read as text)', async () => {
    const eventId = await newEvent();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Attendees');
    sheet.addRow(['First Name', 'Surname', 'Email', 'Company', 'Job Title', 'Cell Phone', 'Attendee Status']);
    sheet.addRow(['Hilde', 'Xlsx', { text: 'hilde@xlsx.example', hyperlink: 'mailto:hilde@xlsx.example' }, 'Sheet AS', 'CFO', 4791112223, 'Attending']);
    sheet.addRow(['Rune', 'Rich', 'rune@xlsx.example', { richText: [{ text: 'Rich ' }, { font: { bold: true }, text: 'Text AS' }] }, '', null, 'Checked In']);
    sheet.addRow(['Gone', 'Refund', 'gone@xlsx.example', '', '', null, 'Refunded']);
    sheet.addRow([]);
    sheet.addRow(['No', 'Contact', '', 'Nowhere', '', null, 'Attending']);
    const file = Buffer.from(await workbook.xlsx.writeBuffer());
    const dry = await upload(eventId, file, { name: 'attendees.xlsx' }).expect(201);
    expect(dry.body).toMatchObject({ format: 'xlsx', encoding: null, delimiter: null });
    expect(dry.body.analysis).toMatchObject({ rows: 4, newPersons: 2, registrations: 2, notAttending: 1, rejectedRows: 1 });
    expect(dry.body.rejected).toEqual([{ line: 6, reason: 'no_contact', message: expect.any(String) }]);
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    await finished(eventId, dry.body.id);
    expect(await personByEmail('hilde@xlsx.example')).toMatchObject({ first_name: 'Hilde', last_name: 'Xlsx', phone: '+4791112223', company_name: 'Sheet AS', position: 'CFO' });
    expect(await personByEmail('rune@xlsx.example')).toMatchObject({ company_name: 'Rich Text AS' });
    const [capture] = await db.query(`SELECT content_type FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'hilde@xlsx.example'`);
    expect(capture.content_type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  });

  it('a direct import (dryRun=false) answers 202 with the total, and staff watch progress to the end', async () => {
    const eventId = await newEvent();
    const lines = ['First Name,Last Name,Email,Company'];
    for (let i = 0; i < 2500; i++) lines.push(`Bulk,Person ${i},bulk${i}@bulk.example,Bulk ${i % 7} AS`);
    const res = await upload(eventId, crlf(...lines), { dryRun: false }).expect(202);
    expect(res.body).toMatchObject({ status: 'queued', progress: { processed: 0, total: 2500 }, analysis: null });
    const { view, progress } = await finished(eventId, res.body.id);
    expect(view.outcome).toMatchObject({ rows: 2500, newPersons: 2500, registrations: 2500 });
    expect(progress[progress.length - 1]).toEqual({ processed: 2500, total: 2500 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].processed).toBeGreaterThanOrEqual(progress[i - 1].processed);
    expect(await count(`SELECT 1 FROM event_registration WHERE event_id = $1`, [eventId])).toBe(2500);
  });

  it('an import whose runner died part-way is retried by pg-boss and resumes after its last committed batch', async () => {
    const eventId = await newEvent();
    const file = crlf('Email,First Name', 'first@resume.example,First', 'second@resume.example,Second', 'third@resume.example,Third');
    const importId = (await upload(eventId, file).expect(201)).body.id as string;
    // A runner in another process takes the import's job, commits lines 2 and 3, and dies.
    const other = await otherRunner();
    try {
      const jobId = await other.diesAfter(importId, { rows: 2, newPersons: 2, matchedPersons: 0, registrations: 2, alreadyRegistered: 0, notAttending: 0, duplicateRows: 0, rejectedRows: 0 }, async () => {
        // While the job is active, nobody else runs the import.
        expect((await db.query(`SELECT status, processed_rows FROM event_import WHERE id = $1`, [importId]))[0]).toEqual({ status: 'running', processed_rows: 2 });
      });
      const { view } = await finished(eventId, importId);
      expect(view).toMatchObject({ status: 'done', progress: { processed: 3, total: 3 } });
      expect(view.outcome).toMatchObject({ rows: 3, newPersons: 3, registrations: 3 });
      // Lines 2 and 3 were not done again; line 4 was.
      expect(await personByEmail('first@resume.example')).toBeUndefined();
      expect(await personByEmail('third@resume.example')).toMatchObject({ first_name: 'Third' });
      expect(await db.query(`SELECT line FROM event_registration WHERE import_id = $1`, [importId])).toEqual([{ line: 4 }]);
      // The retry (run 2 of the same job) did it.
      await until(async () => (await other.boss.getJobById(EVENT_IMPORT_RUN, jobId))?.state === 'completed');
      expect(await other.boss.getJobById(EVENT_IMPORT_RUN, jobId)).toMatchObject({ state: 'completed', retryCount: 1 });
    } finally {
      await other.stop();
    }
  });

  it('[SRC-EVENT] a Norwegian export: its statuses and number headers are understood, and each registration is dated by its order', async () => {
    const eventId = await newEvent();
    const file = crlf(
      'Ordrenr,Ordredato,Fornavn,Etternavn,E-post,Mobil,Deltakernr,Deltakerstatus',
      '7001,01.08.2025 10:30,Kari,Nordkapp,kari@nordkapp.example,+47 412 34 001,9001,Deltar',
      '7002,02.08.2025 11:00,Ola,Ikke,ola@ikke.example,,9002,Deltar ikke',
      '7003,03.08.2025,Per,Slett,per@slett.example,,9003,Slettet',
      '7004,04.08.2025,Pål,Kansell,paal@kansell.example,,9004,Kansellert',
      '7005,05.08.2025,Liv,Refund,liv@refund.example,,9005,Refundert',
      '7006,06.08.2025,Siv,Over,siv@over.example,,9006,Overført',
    );
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.analysis).toMatchObject({ rows: 6, registrations: 1, notAttending: 5, rejectedRows: 0 });
    expect(dry.body.columns).toEqual(expect.arrayContaining([{ header: 'Ordrenr', target: 'orderRef' }, { header: 'Ordredato', target: 'orderDate' }, { header: 'Deltakernr', target: 'attendeeRef' }]));
    await importAttendees(t, staff.token, eventId, file);
    const registrations = await db.query(`SELECT order_ref, attendee_ref, registered_at FROM event_registration WHERE event_id = $1`, [eventId]);
    expect(registrations).toEqual([{ order_ref: '7001', attendee_ref: '9001', registered_at: new Date('2025-08-01T10:30:00Z') }]);
  });

  it('[SRC-EVENT] a Google Forms export: its timestamp, mapped to the order date, dates the registration; a date that cannot be read is a warning, not silently the import’s time', async () => {
    const eventId = await newEvent();
    const file = crlf(
      'Timestamp,Email address,Full name',
      '2025/08/15 1:23:45 PM GMT+2,eva@gforms.example,Eva Skjema',
      'midt i august,ivar@gforms.example,Ivar Skjema',
    );
    const mapping = { Timestamp: 'orderDate' };
    const dry = await upload(eventId, file, { mapping }).expect(201);
    expect(dry.body.analysis).toMatchObject({ rows: 2, registrations: 2, rejectedRows: 0 });
    expect(dry.body.rejected).toEqual([{ line: 3, reason: 'order_date_dropped', message: expect.stringContaining('under "Timestamp"') }]);
    await t.http().post(`/api/events/${eventId}/imports/${dry.body.id}/run`).set(as(staff.token)).expect(202);
    expect((await finished(eventId, dry.body.id)).view.status).toBe('done');
    const [eva] = await db.query(`SELECT r.registered_at FROM event_registration r JOIN person p ON p.id = r.person_id WHERE p.email = 'eva@gforms.example'`);
    expect(eva.registered_at).toEqual(new Date('2025-08-15T11:23:45Z'));
    const [capture] = await db.query(`SELECT c.warnings FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'ivar@gforms.example' AND c.source = 'event'`);
    expect(capture.warnings).toEqual([{ field: 'orderDate', message: expect.stringContaining('dated by the import') }]);
  });

  it('[SRC-EVENT] a bad phone beside a good address drops the phone, not the attendee, with a warning line', async () => {
    const eventId = await newEvent();
    const file = crlf('Email,First Name,Cell Phone', 'kept@badphone.example,Kept,12', 'nophone@badphone.example,Nomail,', ',Gone,12');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.analysis).toMatchObject({ rows: 3, registrations: 2, rejectedRows: 1 });
    expect(dry.body.rejected).toEqual([
      { line: 2, reason: 'phone_dropped', message: expect.stringMatching(/imported without it/) },
      { line: 4, reason: 'invalid_phone', message: expect.any(String) },
    ]);
    const csv = await t.http().get(`/api/events/${eventId}/imports/${dry.body.id}/rejected.csv`).set(as(staff.token)).expect(200);
    expect(csv.text.split('\r\n')[1]).toMatch(/^2,phone_dropped,.*kept@badphone\.example,Kept,12$/);
    await importAttendees(t, staff.token, eventId, file);
    const [person] = await db.query(`SELECT id, phone FROM person WHERE email = 'kept@badphone.example'`);
    expect(person.phone).toBeNull();
    const [capture] = await db.query(`SELECT warnings, payload FROM capture WHERE person_id = $1 AND source = 'event'`, [person.id]);
    expect(capture.warnings).toEqual([{ field: 'phone', message: expect.stringMatching(/imported without it/) }]);
    expect(capture.payload).toMatchObject({ 'Cell Phone': '12' });
  });

  it('[SRC-EVENT] a phone without a country code is read as of the line’s own country column (Eventbrite’s Home Country), not dropped as a bad Norwegian number', async () => {
    const eventId = await newEvent();
    const file = crlf('First Name,Email,Cell Phone,Home Country', 'Amy,amy@country.example,(415) 555-0132,United States', 'Sven,sven@country.example,070-123 45 67,SE', 'Kari,kari@country.example,912 34 567,');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.rejected).toEqual([]);
    await importAttendees(t, staff.token, eventId, file);
    const phones = await db.query(`SELECT email, phone FROM person WHERE email LIKE '%@country.example' ORDER BY email`);
    expect(phones).toEqual([{ email: 'amy@country.example', phone: '+14155550132' }, { email: 'kari@country.example', phone: '+4791234567' }, { email: 'sven@country.example', phone: '+46701234567' }]);
  });

  it('[SRC-EVENT] columns the import does not know are listed by the dry run and dropped, unless mapped to a field or to "keep"', async () => {
    const eventId = await newEvent();
    const file = crlf('Email,First Name,Allergies,T-shirt size,Dietary needs', 'keep@columns.example,Keep,nuts,L,vegan');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.droppedColumns).toEqual(['Allergies', 'T-shirt size', 'Dietary needs']);
    const view = await importFile(eventId, file, { mapping: { 'T-shirt size': 'keep' } });
    expect(view.droppedColumns).toEqual(['Allergies', 'Dietary needs']);
    const [capture] = await db.query(`SELECT c.payload FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'keep@columns.example'`);
    expect(capture.payload).toEqual({ Email: 'keep@columns.example', 'First Name': 'Keep', 'T-shirt size': 'L' });
  });

  it('a resumed import counts as the dry run did: someone registered before it and named again after the checkpoint is a duplicate', async () => {
    const eventId = await newEvent();
    await importAttendees(t, staff.token, eventId, crlf('Email,First Name', 'before@recount.example,Before'));
    const file = crlf('Email,First Name', 'before@recount.example,Before', 'new@recount.example,New', 'Before@Recount.example,Before');
    const dry = await upload(eventId, file).expect(201);
    expect(dry.body.analysis).toMatchObject({ rows: 3, alreadyRegistered: 1, duplicateRows: 1, registrations: 1 });
    const importId = dry.body.id as string;
    // A runner in another process committed lines 2 and 3 (as the dry run counted them) and died.
    const other = await otherRunner();
    try {
      await other.diesAfter(importId, { rows: 2, newPersons: 1, matchedPersons: 0, registrations: 1, alreadyRegistered: 1, notAttending: 0, duplicateRows: 0, rejectedRows: 0 });
      const { view } = await finished(eventId, importId);
      expect(view.status).toBe('done');
      expect(view.outcome).toEqual(dry.body.analysis);
    } finally {
      await other.stop();
    }
  });

  it('when pg-boss gives up on an import’s job (its runs kept dying), the import fails with the reason and can be started again', async () => {
    const eventId = await newEvent();
    const file = crlf('Email,First Name', 'gave.up@resume.example,Gave');
    const importId = (await upload(eventId, file).expect(201)).body.id as string;
    const other = new PgBoss({ connectionString: t.db.url, schema: JOB_SCHEMA, max: 1, supervise: false, schedule: false });
    await other.start();
    try {
      const jobId = randomUUID();
      // Its last run (no retry left) taken by a runner that dies.
      await other.send(EVENT_IMPORT_RUN, { importId, jobId }, { id: jobId, singletonKey: importId, startAfter: 3600, expireInSeconds: 1, retryLimit: 0 });
      expect((await other.fetch(EVENT_IMPORT_RUN, { ignoreStartAfter: true })).map((j) => j.id)).toEqual([jobId]);
      await db.query(`UPDATE event_import SET status = 'running', job_id = $2, runner_token = gen_random_uuid(), attempts = 3 WHERE id = $1`, [importId, jobId]);
      const deadline = Date.now() + 30_000;
      while ((await other.getJobById(EVENT_IMPORT_RUN, jobId))?.state === 'active' && Date.now() < deadline) {
        await other.expire();
        await new Promise((r) => setTimeout(r, 100));
      }
      const { view } = await finished(eventId, importId);
      expect(view).toMatchObject({ status: 'failed', error: 'Gave up after 3 attempts (each was interrupted).' });
      expect(await db.query(`SELECT actor_id FROM audit_log WHERE action = 'event_import.failed' AND entity_id = $1`, [importId])).toEqual([{ actor_id: null }]);
    } finally {
      await other.stop({ graceful: false, wait: true });
    }
    await t.http().post(`/api/events/${eventId}/imports/${importId}/run`).set(as(staff.token)).expect(202);
    expect((await finished(eventId, importId)).view.status).toBe('done');
    expect(await personByEmail('gave.up@resume.example')).toMatchObject({ first_name: 'Gave' });
  });

  it('only the current run commits a batch: a run whose job pg-boss gave to another is refused at its next checkpoint', async () => {
    const eventId = await newEvent();
    const importId = (await upload(eventId, crlf('Email', 'fence@resume.example')).expect(201)).body.id as string;
    const repo = t.app.get(EventImportsRepository);
    await db.query(`UPDATE event_import SET status = 'queued' WHERE id = $1`, [importId]);
    const [before, after] = [randomUUID(), randomUUID()];
    await runAsSystem('test', async () => {
      expect(await repo.claim(importId, before)).toMatchObject({ status: 'running', runnerToken: before });
      // The job's retry (the first run outlived its expiry) claims it anew.
      expect(await repo.claim(importId, after)).toMatchObject({ runnerToken: after });
      for (const [token, held] of [[before, false], [after, true]] as const) {
        const session = await repo.openBatch();
        try {
          expect(await repo.checkpoint(session, importId, token, { processedRows: 1, doneThroughLine: 2, outcome: { rows: 1, newPersons: 1, matchedPersons: 0, registrations: 1, alreadyRegistered: 0, notAttending: 0, duplicateRows: 0, rejectedRows: 0 } })).toBe(held);
        } finally {
          await repo.rollback(session);
          session.release();
        }
      }
    });
  });

  it('an instance that stops part-way gives the import back between batches, and another instance finishes it: every line once', async () => {
    const shared = await createTestDatabase();
    const env = { JOBS_ENABLED: 'true' };
    const first = await startTestApp({ db: shared, env });
    let second: TestApp | undefined;
    let firstOpen = true;
    try {
      const user = await first.userWith('event_staff');
      const ev = await first.http().post('/api/events').set(as(user.token)).send({ name: 'Stop', date: '2025-09-10', place: 'Oslo', organiserName: 'Org', organiserContact: 'o@org.example' }).expect(201);
      // The first instance's run is held after its first batch, inside that batch's transaction.
      const repo = first.app.get(EventImportsRepository);
      const checkpoint = repo.checkpoint.bind(repo);
      let reached!: () => void;
      let go!: () => void;
      const atFirstBatch = new Promise<void>((r) => (reached = r));
      const gate = new Promise<void>((r) => (go = r));
      jest.spyOn(repo, 'checkpoint').mockImplementationOnce(async (...args) => {
        const held = await checkpoint(...args);
        reached();
        await gate;
        return held;
      });
      const lines = ['Email,First Name'];
      for (let i = 0; i < 2500; i++) lines.push(`stop${i}@stop.example,Stop ${i}`);
      const res = await first.http().post(`/api/events/${ev.body.id}/imports?dryRun=false`).set(as(user.token)).attach('file', Buffer.from(crlf(...lines)), 'list.csv').expect(202);
      const importId = res.body.id as string;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([atFirstBatch, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the first instance never ran the import')), 30_000)))]).finally(() => clearTimeout(timer));

      second = await startTestApp({ db: shared, env });
      const closing = first.close();
      go();
      await closing;
      firstOpen = false;
      const [given] = await second.owner.query(`SELECT status, processed_rows, runner_token FROM event_import WHERE id = $1`, [importId]);
      expect(given).toMatchObject({ status: 'queued', runner_token: null });
      expect(given.processed_rows).toBeGreaterThanOrEqual(500);
      expect(given.processed_rows).toBeLessThan(2500);

      const deadline = Date.now() + 45_000;
      let view: Record<string, any>;
      for (;;) {
        view = (await second.http().get(`/api/events/${ev.body.id}/imports/${importId}`).set(as(user.token)).expect(200)).body;
        if (view.status === 'done' || view.status === 'failed' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(view).toMatchObject({ status: 'done', error: null, progress: { processed: 2500, total: 2500 } });
      expect(view.outcome).toMatchObject({ rows: 2500, newPersons: 2500, registrations: 2500 });
      const counted = async (sql: string) => Number((await second!.owner.query(sql, [ev.body.id]))[0].n);
      expect(await counted(`SELECT count(*) AS n FROM event_registration WHERE event_id = $1`)).toBe(2500);
      expect(await counted(`SELECT count(DISTINCT line) AS n FROM event_registration WHERE event_id = $1`)).toBe(2500);
      expect(await counted(`SELECT count(*) AS n FROM capture c JOIN event_registration r ON r.capture_id = c.id WHERE r.event_id = $1`)).toBe(2500);
      expect(Number((await second.owner.query(`SELECT count(*) AS n FROM person WHERE email LIKE '%@stop.example'`))[0].n)).toBe(2500);
    } finally {
      await second?.close();
      if (firstOpen) await first.close();
      await shared.drop();
    }
  });

  it('[RET-EVENT] each registration moves the person’s event clock to the latest event; an older event never shortens it', async () => {
    const may2024 = await newEvent('2024-05-01');
    const sep2025 = await newEvent('2025-09-10');
    const mar2023 = await newEvent('2023-03-01');
    const file = (tag: string) => crlf('Email,First Name,Ticket Type', `clock@retention.example,Clock,${tag}`);
    await importFile(may2024, file('a'));
    const dues = async () =>
      (await db.query(`SELECT c.retention_anchor_at, c.retention_due_at FROM capture c JOIN person p ON p.id = c.person_id WHERE p.email = 'clock@retention.example' AND c.source = 'event'`))
        .map((r: { retention_anchor_at: Date; retention_due_at: Date }) => [r.retention_anchor_at.toISOString().slice(0, 10), r.retention_due_at.toISOString().slice(0, 10)]);
    expect(await dues()).toEqual([['2024-05-01', '2030-05-01']]);
    await importFile(sep2025, file('b'));
    expect(await dues()).toEqual([['2025-09-10', '2031-09-10'], ['2025-09-10', '2031-09-10']]);
    await importFile(mar2023, file('c'));
    expect(await dues()).toEqual([['2025-09-10', '2031-09-10'], ['2025-09-10', '2031-09-10'], ['2025-09-10', '2031-09-10']]);
    expect(await count(`SELECT 1 FROM event_registration r JOIN person p ON p.id = r.person_id WHERE p.email = 'clock@retention.example'`)).toBe(3);
  });
});
