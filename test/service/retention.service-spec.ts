/**
 * Retention: the one eraser, checked against the personal-data registry, on this file's own database.
 */
import { randomUUID } from 'node:crypto';
import { runAsSystem } from '../../src/access/access-context';
import { PERSONAL_DATA } from '../../src/common/personal-data';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import { LeadsService } from '../../src/leads/leads.service';
import { AccountsService } from '../../src/accounts/accounts.service';
import { ReviewService } from '../../src/quarantine/review.service';
import { RetentionService } from '../../src/leads/retention.service';
import { startServices, type ServiceContext } from './harness';

let t: ServiceContext;
let leads: LeadsService;
const rows = (sql: string, params: unknown[] = []) => t.owner.query(sql, params);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

beforeAll(async () => {
  t = await startServices();
  leads = t.app.get(LeadsService);
});
afterAll(() => t.close());

/** A person with a value in every table the registry lists that can name them. */
async function everywhere(email: string) {
  const first = await t.make.person({ email: `old-${email}`, firstName: 'Kari', lastName: 'Nordmann', phone: '+4791234567', request: 'Call me about a quote' });
  const { personId, captureId } = await t.make.person({ email, firstName: 'Kari', companyName: 'Nordmann AS', source: 'chatbot' });
  // An address change: the old address's capture moves to the person with the new one.
  await rows(`UPDATE capture SET person_id = $1 WHERE id = $2`, [personId, first.captureId]);
  await rows(`UPDATE person SET skype_id = 'kari.skype', linkedin_url = 'https://linkedin.example/kari', location = 'Oslo', position = 'CEO', hubspot_id = '901' WHERE id = $1`, [personId]);
  await rows(`UPDATE activity SET details = '{"email":"x"}' WHERE person_id = $1`, [personId]);
  await rows(
    `INSERT INTO chat_event (id, event_key, type, org_id, conversation_id, message_id, author_type, message_type, sent_at, status, capture_id, body, contact_id)
     VALUES (gen_random_uuid(), $1, 'new_message', 'org', 'c1', 'm1', 'lead', 'chat', now(), 'captured', $2, 'Hello from Kari', 'drift-77')`,
    [`new_message:drift-77:${randomUUID()}`, captureId],
  );
  const [mail] = await rows(
    `INSERT INTO mail_message (id, message_id, via, status, capture_id, from_address, subject, raw) VALUES (gen_random_uuid(), $1, 'imap', 'captured', $2, $3, 'Quote', 'raw mail') RETURNING id`,
    [`<${randomUUID()}@mail.test>`, captureId, email],
  );
  await rows(
    `INSERT INTO mail_attachment (id, mail_message_id, capture_id, content_type, size, sha256, filename, content) VALUES (gen_random_uuid(), $1, $2, 'text/plain', 3, 'abc', 'cv-kari.txt', 'abc')`,
    [mail.id, captureId],
  );
  const event = await t.make.event();
  await rows(`INSERT INTO event_registration (id, event_id, person_id, order_ref, attendee_ref) VALUES (gen_random_uuid(), $1, $2, 'ORD-1', 'ATT-1')`, [event.id, personId]);
  const [imp] = await rows(
    `INSERT INTO event_import (event_id, status, file_sha256, file_bytes, format, columns) VALUES ($1, 'done', 'f', 1, 'csv', '[]') RETURNING id`,
    [event.id],
  );
  await rows(`INSERT INTO event_import_rejection (import_id, line, reason, message, values) VALUES ($1, 2, 'invalid', 'bad date', $2)`, [imp.id, { Email: email.toUpperCase(), Date: 'x' }]);
  const held = await t.make.heldArrival({ email });
  return { personId, captures: [captureId, first.captureId], mailId: mail.id, importId: imp.id, submissionId: held.submissionId };
}

/** Registry tables whose rows never belong to one lead, and why. */
const NOT_ABOUT_ONE_PERSON: Record<string, string> = {
  staff_user: 'staff',
  company: 'an organisation',
  sender_list_entry: 'screening lists staff keep',
  hubspot_suppression: 'kept on purpose, a hash that keeps the erasure in HubSpot',
  audit_log: 'its ip is the acting staff member’s or caller’s',
  event: 'the organiser, not a lead',
  event_import_chunk: 'an import file, deleted with the import',
};

describe('the one eraser', () => {
  it('[RET-ACTION] leaves no value in any column the personal-data registry lists for the person, everywhere it lists them', async () => {
    const k = await everywhere('kari@erase.test');
    const other = await t.make.person({ email: 'someone-else@erase.test', firstName: 'Ola' });
    const where: Record<string, [string, unknown[]]> = {
      person: ['id = $1', [k.personId]],
      capture: ['person_id = $1', [k.personId]],
      activity: ['person_id = $1', [k.personId]],
      hubspot_outbox: [`person_id = $1 AND kind <> 'purge'`, [k.personId]],
      intake_submission: ['id = $1', [k.submissionId]],
      chat_event: ['capture_id = ANY($1::uuid[])', [k.captures]],
      mail_message: ['id = $1', [k.mailId]],
      mail_attachment: ['mail_message_id = $1', [k.mailId]],
      event_registration: ['person_id = $1', [k.personId]],
      event_import_rejection: ['import_id = $1', [k.importId]],
      privacy_request: ['person_id = $1', [k.personId]],
    };
    // A data subject's request about them (the erasure's own, say): the identifier it named goes, the request stays.
    await rows(
      `INSERT INTO privacy_request (type, person_id, identifier, channel, received_at, due_at, created_by) VALUES ('erasure', $1, 'Kari@Erase.test', 'email', now(), now() + interval '1 month', gen_random_uuid())`,
      [k.personId],
    );
    const unplaced = Object.keys(PERSONAL_DATA).filter((table) => !where[table] && !NOT_ABOUT_ONE_PERSON[table]);
    expect(unplaced).toEqual([]);

    const holding = async () => {
      const found: string[] = [];
      for (const [table, [clause, params]] of Object.entries(where)) {
        for (const field of Object.keys(PERSONAL_DATA[table])) {
          const column = snake(field);
          const [{ n }] = await rows(
            `SELECT count(*)::int AS n FROM ${table} WHERE ${clause} AND ${column} IS NOT NULL
                AND ${column}::text NOT IN ('{}', '[]', '') AND ${column}::text NOT LIKE 'erased:%'`,
            params,
          );
          if (n) found.push(`${table}.${column}`);
        }
      }
      return found;
    };
    // The walk sees the values before: it could fail.
    const before = await holding();
    expect(before).toEqual(expect.arrayContaining(['person.email', 'capture.payload', 'chat_event.body', 'mail_message.raw', 'mail_attachment.content',
      'event_registration.order_ref', 'event_import_rejection.values', 'intake_submission.sender_email', 'privacy_request.identifier']));

    const result = await runAsSystem('test', () => leads.erase(SYSTEM_ACTOR, [k.personId], 'test'));
    expect(result.erased).toEqual([k.personId]);
    expect(await holding()).toEqual([]);
    const [person] = await rows(`SELECT erased_at, sync_state FROM person WHERE id = $1`, [k.personId]);
    expect(person.erased_at).not.toBeNull();
    // Someone else keeps everything.
    const [ola] = await rows(`SELECT first_name, email FROM person WHERE id = $1`, [other.personId]);
    expect(ola).toEqual({ first_name: 'Ola', email: 'someone-else@erase.test' });
    // Erased once: a second erasure finds nothing to do.
    expect((await runAsSystem('test', () => leads.erase(SYSTEM_ACTOR, [k.personId], 'test'))).erased).toEqual([]);
  });

  it('[RET-ACTION] purges every address the person ever gave from HubSpot and suppresses it, and audits the erasure', async () => {
    const { personId: earlier, captureId } = await t.make.person({ email: 'first-address@purge.test' });
    const { personId } = await t.make.person({ email: 'second-address@purge.test' });
    await rows(`UPDATE capture SET person_id = $1 WHERE id = $2`, [personId, captureId]);
    await runAsSystem('test', () => leads.erase(SYSTEM_ACTOR, [personId], 'retention'));
    const purges = await rows(`SELECT email, available_at > now() + interval '5 minutes' AS late FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge' AND done_at IS NULL ORDER BY email, available_at`, [personId]);
    // Each address now, and once more ten minutes later (an update in flight at the erasure may land after the first).
    expect(purges).toEqual([
      { email: 'first-address@purge.test', late: false }, { email: 'first-address@purge.test', late: true },
      { email: 'second-address@purge.test', late: false }, { email: 'second-address@purge.test', late: true },
    ]);
    const upserts = await rows(`SELECT count(*)::int AS n FROM hubspot_outbox WHERE person_id = $1 AND kind = 'upsert' AND done_at IS NULL`, [personId]);
    expect(upserts[0].n).toBe(0);
    const [{ n }] = await rows(
      `SELECT count(*)::int AS n FROM hubspot_suppression WHERE email_hash = ANY(ARRAY[encode(sha256('first-address@purge.test'), 'hex'), encode(sha256('second-address@purge.test'), 'hex')])`,
    );
    expect(n).toBe(2);
    const audit = await rows(`SELECT action FROM audit_log WHERE entity_type = 'person' AND entity_id = $1 AND action = 'person.erased'`, [personId]);
    expect(audit).toHaveLength(1);
    expect(earlier).not.toBe(personId);
  });
});

const DAY = 86_400_000;
const received = new Date('2018-03-01T10:00:00Z');
const yearsAfter = (d: Date, years: number) => new Date(Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()));
const erasedAt = async (personId: string) => (await rows(`SELECT erased_at FROM person WHERE id = $1`, [personId]))[0].erased_at as Date | null;

/** Sweeps day by day from `from`, and returns the first day on which the person was erased. */
async function dayOfErasure(personId: string, from: Date, days: number): Promise<Date | null> {
  const retention = t.app.get(RetentionService);
  for (let day = 0; day < days; day++) {
    const asOf = new Date(from.getTime() + day * DAY);
    await retention.sweep({ asOf });
    if (await erasedAt(personId)) return asOf;
  }
  return null;
}

describe('the retention sweep', () => {
  it.each([
    ['[RET-FORM] a web-form capture', 'web_form', 8],
    ['[RET-CHAT] a chatbot capture', 'chatbot', 8],
    ['[RET-MAIL] an e-mail capture', 'email', 6],
    ['[RET-MAIL] a phone capture', 'phone', 6],
  ] as const)('%s is kept until, and erased on, the day its period (%s, %i years from collection) ends', async (_title, source, years) => {
    const { personId } = await t.make.person({ source, receivedAt: received.toISOString(), firstName: 'Due' });
    const due = yearsAfter(received, years);
    const first = await dayOfErasure(personId, new Date(due.getTime() - 2 * DAY), 4);
    expect(first).not.toBeNull();
    // Erased on the first sweep at or after the due moment, not a day earlier.
    expect(first!.getTime()).toBeGreaterThanOrEqual(due.getTime());
    expect(first!.getTime() - due.getTime()).toBeLessThan(DAY);
    const [p] = await rows(`SELECT first_name, email FROM person WHERE id = $1`, [personId]);
    expect(p).toEqual({ first_name: null, email: null });
  });

  it('[RET-MULTI] a person who came through several channels is kept while any clock runs; the expired capture alone loses its data', async () => {
    const { personId, captureId: mailCapture } = await t.make.person({ source: 'email', receivedAt: received.toISOString(), email: 'multi@sweep.test', request: 'mail request' });
    const { personId: same, captureId: formCapture } = await t.make.person({ source: 'web_form', receivedAt: received.toISOString(), email: 'multi@sweep.test', request: 'form request' });
    expect(same).toBe(personId);
    const retention = t.app.get(RetentionService);
    // Six years on, the e-mail's clock has ended, the form's runs.
    const report = await retention.sweep({ asOf: new Date(yearsAfter(received, 6).getTime() + DAY) });
    expect(report.capturesEmptied.email).toBeGreaterThanOrEqual(1);
    expect(await erasedAt(personId)).toBeNull();
    const captures = await rows(`SELECT id, request FROM capture WHERE person_id = $1`, [personId]);
    expect(Object.fromEntries(captures.map((c: { id: string; request: string | null }) => [c.id, c.request]))).toEqual({ [mailCapture]: null, [formCapture]: 'form request' });
    // Eight years on, nothing runs: erased.
    await retention.sweep({ asOf: new Date(yearsAfter(received, 8).getTime() + DAY) });
    expect(await erasedAt(personId)).not.toBeNull();
  });

  it('[RET-ACTION] resumes where it stopped: an interrupted sweep leaves the rest, the next one takes it', async () => {
    const people = [];
    for (let i = 0; i < 5; i++) people.push((await t.make.person({ source: 'web_form', receivedAt: '2009-01-0' + (i + 1) + 'T00:00:00Z' })).personId);
    const retention = t.app.get(RetentionService);
    const asOf = new Date('2018-01-01T00:00:00Z');
    // Stopped after two batches of (at most) two persons.
    const interrupted = await retention.sweep({ asOf, batch: 2, maxBatches: 2 });
    const erasedAfterFirst = (await Promise.all(people.map(erasedAt))).filter(Boolean).length;
    expect(erasedAfterFirst).toBeLessThan(5);
    expect(interrupted.batches).toBe(2);
    await retention.sweep({ asOf, batch: 2 });
    expect((await Promise.all(people.map(erasedAt))).every(Boolean)).toBe(true);
  });
});

describe('moving clocks', () => {
  it('[RET-CUST] a later service delivery on the company moves its people’s customer clocks forward (never back), and the sweep follows', async () => {
    const { companyId, personId } = await t.make.customer({ person: { receivedAt: '2015-01-01T00:00:00Z' } });
    // Converted in 2018: the customer capture counts six years from then.
    await rows(
      `UPDATE capture SET retention_anchor_at = '2018-01-01T00:00:00Z', retention_due_at = '2024-01-01T00:00:00Z' WHERE person_id = $1 AND retention_anchor = 'last_service_delivery'`,
      [personId],
    );
    const deliver = (date: string) =>
      runAsSystem('test', () => t.app.get(AccountsService).becomeCustomer({ ...SYSTEM_ACTOR, roles: ['admin'] }, companyId, { lastServiceDeliveryAt: new Date(date) }));
    const due = async () => (await rows(`SELECT retention_due_at FROM capture WHERE person_id = $1 AND retention_anchor = 'last_service_delivery'`, [personId]))[0].retention_due_at as Date;
    await deliver('2020-06-01T00:00:00Z');
    expect((await due()).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    await deliver('2019-01-01T00:00:00Z');
    expect((await due()).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    // Without the move it would have gone in 2024.
    await t.app.get(RetentionService).sweep({ asOf: new Date('2024-01-02T00:00:00Z') });
    expect(await erasedAt(personId)).toBeNull();
    const first = await dayOfErasure(personId, new Date('2026-05-30T00:00:00Z'), 4);
    expect(first?.toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });
});

describe('the event clock', () => {
  it('[RET-EVENT] an attendee is kept six years from the last event registered for: a later event moves the day, and the sweep follows', async () => {
    const attend = (day: string) =>
      t.make.person({ source: 'event', email: 'attendee@sweep.test', receivedAt: `${day}T00:00:00Z`, inquiryType: null, capture: { retentionAnchorAt: new Date(`${day}T00:00:00Z`) } });
    const { personId } = await attend('2012-03-01');
    await attend('2014-05-01');
    // Six years from the first event it would have gone in 2018; the later event keeps it to 2020-05-01.
    await t.app.get(RetentionService).sweep({ asOf: new Date('2018-03-02T00:00:00Z') });
    expect(await erasedAt(personId)).toBeNull();
    const first = await dayOfErasure(personId, new Date('2020-04-29T00:00:00Z'), 4);
    expect(first?.toISOString()).toBe('2020-05-01T00:00:00.000Z');
  });
});

describe('website usage data', () => {
  it('[RET-WEB] the client IP an arrival keeps is gone a day after an accepted arrival and after the quarantine period for a held one, well inside seven years', async () => {
    const ipOf = async (id: string) => {
      const [row] = await rows(`SELECT ip FROM intake_submission WHERE id = $1`, [id]);
      return row ? row.ip : 'deleted';
    };
    const accepted = async (hoursAgo: number) =>
      (await rows(
        `INSERT INTO intake_submission (id, channel, fields, status, ip, received_at) VALUES (gen_random_uuid(), 'web_form', '{}', 'accepted', '198.51.100.7', now() - make_interval(hours => $1)) RETURNING id`,
        [hoursAgo],
      ))[0].id as string;
    const held = async (daysAgo: number) => {
      const { submissionId } = await t.make.heldArrival({ ip: '198.51.100.8' });
      await rows(`UPDATE intake_submission SET received_at = now() - make_interval(days => $2) WHERE id = $1`, [submissionId, daysAgo]);
      return submissionId;
    };
    const days = t.config.QUARANTINE_RETENTION_DAYS;
    const [oldAccepted, newAccepted, oldHeld, newHeld] = [await accepted(25), await accepted(1), await held(days + 1), await held(days - 1)];
    await runAsSystem('test', () => t.app.get(ReviewService).purge());
    expect(await ipOf(oldAccepted)).toBeNull();
    expect(await ipOf(newAccepted)).toBe('198.51.100.7');
    expect(await ipOf(oldHeld)).toBe('deleted');
    expect(await ipOf(newHeld)).toBe('198.51.100.8');
    // The longest any IP is kept is the quarantine period, far below seven years (2.4).
    expect(days).toBeLessThan(7 * 365);
  });
});

describe('after a restore', () => {
  it('[RET-BACKUP] the next sweep removes again whatever a restored backup brought back overdue, and suppresses its address again', async () => {
    const { personId, captureId } = await t.make.person({ source: 'email', receivedAt: '2012-02-01T00:00:00Z', email: 'restored@backup.test', firstName: 'Back' });
    const retention = t.app.get(RetentionService);
    const asOf = new Date('2019-01-01T00:00:00Z');
    await retention.sweep({ asOf });
    expect(await erasedAt(personId)).not.toBeNull();
    // A backup from before the erasure is restored: the person, the capture and no suppression.
    await rows(`UPDATE person SET erased_at = NULL, email = 'restored@backup.test', first_name = 'Back', sync_state = 'synced' WHERE id = $1`, [personId]);
    await rows(`UPDATE capture SET payload = '{"email":"restored@backup.test"}', mapped = '{"email":"restored@backup.test"}' WHERE id = $1`, [captureId]);
    await rows(`DELETE FROM hubspot_suppression WHERE email_hash = encode(sha256('restored@backup.test'), 'hex')`);
    await rows(`DELETE FROM hubspot_outbox WHERE person_id = $1`, [personId]);
    await retention.sweep({ asOf });
    const [p] = await rows(`SELECT erased_at, email, first_name FROM person WHERE id = $1`, [personId]);
    expect(p.erased_at).not.toBeNull();
    expect([p.email, p.first_name]).toEqual([null, null]);
    const [{ n }] = await rows(`SELECT count(*)::int AS n FROM hubspot_suppression WHERE email_hash = encode(sha256('restored@backup.test'), 'hex')`);
    expect(n).toBe(1);
    const purges = await rows(`SELECT email FROM hubspot_outbox WHERE person_id = $1 AND kind = 'purge' AND available_at <= now()`, [personId]);
    expect(purges).toEqual([{ email: 'restored@backup.test' }]);
  });
});
