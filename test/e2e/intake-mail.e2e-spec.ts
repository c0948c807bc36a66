import { SCREENED_TEXT_MAX, ScreeningService } from '../../src/screening/screening.service';
import { ReviewService } from '../../src/quarantine/review.service';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import PgBoss from 'pg-boss';
import { DataSource } from 'typeorm';
import { freePort } from '../../bench/harness';
import { runAsSystem } from '../../src/access/access-context';
import { MAX_ATTEMPTS, MailInboxPoller } from '../../src/intake/mail/mail-inbox.poller';
import { MailIntakeService } from '../../src/intake/mail/mail-intake.service';
import { MAIL_POLL } from '../../src/jobs/jobs.service';
import { LeadsService } from '../../src/leads/leads.service';
import { startTestApp, type TestApp } from '../helpers/app';
import { IMAP_PASSWORD, IMAP_USER, TestImapServer } from '../helpers/imap';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'mail', name));
const FIXTURES = {
  alternative: fixture('01-multipart-alternative.eml'),
  latin1: fixture('02-quoted-printable-latin1.eml'),
  utf8: fixture('03-base64-utf8.eml'),
  attachments: fixture('04-attachments.eml'),
  reply: fixture('05-reply.eml'),
  autoReply: fixture('06-auto-reply.eml'),
  bounce: fixture('07-bounce.eml'),
  list: fixture('08-mailing-list.eml'),
};
const ORIGINAL_ID = '<20260303091500.4f2a@nordlys-energi.example>';

/** A plain mail written in the test, CRLF line ends as on the wire. */
const mail = (headers: Record<string, string>, body: string) =>
  Buffer.from([...Object.entries({ 'MIME-Version': '1.0', 'Content-Type': 'text/plain; charset=utf-8', ...headers }).map(([k, v]) => `${k}: ${v}`), '', body].join('\r\n'), 'utf8');

/** A base64 part's bytes, decoded here by hand rather than by the parser under test. */
function base64PartAfter(raw: Buffer, marker: string): Buffer {
  const text = raw.toString('latin1');
  const start = text.indexOf('\r\n\r\n', text.indexOf(marker)) + 4;
  return Buffer.from(text.slice(start, text.indexOf('\r\n--', start)).replace(/\s+/g, ''), 'base64');
}

const sixYearsAfter = (d: Date) => {
  const due = new Date(d);
  due.setUTCFullYear(due.getUTCFullYear() + 6);
  return due.toISOString();
};

// First in the file: nestjs-pino keeps one root logger per process, the first app's, so the log check belongs to the first app.
describe('[SRC-MAIL] mail intake: the inbox poller (IMAP)', () => {
  let t: TestApp;
  let db: DataSource;
  let poller: MailInboxPoller;
  let port: number;
  const logs: string[] = [];
  const seenBefore = mail({ From: 'Already Read <read@kunde.example>', Subject: 'Read by a colleague', 'Message-ID': '<seen-0001@kunde.example>' }, 'Someone read this one in the mailbox.');
  const imap = new TestImapServer([...Object.values(FIXTURES).map((raw) => ({ raw })), { raw: seenBefore, seen: true }]);

  beforeAll(async () => {
    port = await freePort();
    const logDestination = new PassThrough();
    logDestination.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    t = await startTestApp({
      env: { IMAP_HOST: '127.0.0.1', IMAP_PORT: String(port), IMAP_USER, IMAP_PASSWORD, IMAP_TLS: 'false', MAIL_ATTACHMENT_MAX_BYTES: '4096', LOG_LEVEL: 'info' },
      logDestination,
    });
    db = t.owner;
    poller = t.app.get(MailInboxPoller);
  });
  afterAll(async () => {
    await t.close();
    await imap.stop();
  });

  const mailRow = async (messageId: string) => (await db.query(`SELECT * FROM mail_message WHERE message_id = $1`, [messageId]))[0];
  const capturesFor = async (messageId: string) => (await db.query(`SELECT count(*)::int AS n FROM capture WHERE source_ref = $1`, [messageId]))[0].n;

  it('a poll while the server cannot be reached takes nothing and loses nothing', async () => {
    const report = await poller.pollOnce();
    expect(report).toMatchObject({ ok: false, error: 'ECONNREFUSED', taken: 0 });
    expect((await db.query(`SELECT count(*)::int AS n FROM mail_message`))[0].n).toBe(0);
    await imap.start(port);
  });

  it('[RET-MAIL] the next poll reconnects and takes every unread mail through the same reader, marks each \\Seen, and leaves read mail alone', async () => {
    const report = await poller.pollOnce();
    expect(report).toEqual({ ok: true, unread: 8, taken: 5, duplicates: 0, skipped: 3, failed: 0, error: null });
    for (const raw of Object.values(FIXTURES)) {
      const messageId = /Message-ID: (<[^>]+>)/.exec(raw.toString('latin1'))![1];
      expect({ messageId, flags: imap.flagsOf(messageId) }).toEqual({ messageId, flags: ['\\Seen'] });
      expect(await mailRow(messageId)).toMatchObject({ via: 'imap' });
    }
    expect(await mailRow('<seen-0001@kunde.example>')).toBeUndefined();

    const people = await db.query(`SELECT email, first_name, last_name FROM person ORDER BY email`);
    expect(people).toEqual([
      { email: 'bjorn.aeroy@blaabaer.example', first_name: 'Bjørn', last_name: 'Ærøy' },
      { email: 'ingrid.hansen@nordlys-energi.example', first_name: 'Ingrid', last_name: 'Hansen' },
      { email: 'kari.lunde@havbruk-data.example', first_name: 'Kari', last_name: 'Lunde' },
      { email: 'oystein.saether@fjellvann.example', first_name: 'Øystein', last_name: 'Sæther' },
    ]);
    const [latin1] = await db.query(`SELECT request, retention_due_at, received_at, actor_type FROM capture WHERE source_ref = '<qp-latin1-0001@blaabaer.example>'`);
    expect(latin1.request).toMatch(/^Forespørsel om app for blåbærplukking\n\nHei!\n\nVi ønsker en app som hjelper plukkere med å registrere blåbær og tyttebær i felt/);
    expect(new Date(latin1.retention_due_at).toISOString()).toBe(sixYearsAfter(latin1.received_at));
    expect(latin1.actor_type).toBe('system');
    expect((await mailRow('<20260309100500.77aa@nordlys-energi.example>')).status).toBe('reply');
    expect(await db.query(`SELECT skip_reason FROM mail_message WHERE status = 'skipped' ORDER BY skip_reason`)).toEqual([{ skip_reason: 'auto_submitted' }, { skip_reason: 'delivery_report' }, { skip_reason: 'mailing_list' }]);
    expect(await db.query(`SELECT filename, octet_length(content) AS bytes, skipped_reason FROM mail_attachment ORDER BY size`)).toEqual([
      { filename: 'kravspesifikasjon-æøå.pdf', bytes: 1500, skipped_reason: null },
      { filename: 'design-assets.zip', bytes: null, skipped_reason: 'too_large' },
    ]);
  });

  it('a connection dropped mid-poll loses no mail: a mail stored but not yet marked is recognised by its Message-ID and only marked next time, the rest is taken then', async () => {
    const first = mail({ From: 'Eva Berg <eva.berg@lysverket.example>', Subject: 'Data platform review', 'Message-ID': '<drop-0001@lysverket.example>' }, 'Could you review our data platform architecture?');
    const second = mail({ From: 'Ola Vik <ola.vik@fiskeri.example>', Subject: 'Catch reporting app', 'Message-ID': '<drop-0002@fiskeri.example>' }, 'We need an app for catch reporting from our boats.');
    imap.deliver(first);
    imap.deliver(second);
    imap.dropConnectionOn('UID STORE'); // the first \Seen never reaches the server

    const broken = await poller.pollOnce();
    expect(broken).toMatchObject({ ok: false, unread: 2, taken: 0 });
    expect(await mailRow('<drop-0001@lysverket.example>')).toMatchObject({ status: 'captured' });
    expect(imap.flagsOf('<drop-0001@lysverket.example>')).toEqual([]);
    expect(await mailRow('<drop-0002@fiskeri.example>')).toBeUndefined();

    const next = await poller.pollOnce();
    expect(next).toEqual({ ok: true, unread: 2, taken: 1, duplicates: 1, skipped: 0, failed: 0, error: null });
    expect(imap.flagsOf('<drop-0001@lysverket.example>')).toEqual(['\\Seen']);
    expect(imap.flagsOf('<drop-0002@fiskeri.example>')).toEqual(['\\Seen']);
    expect(await capturesFor('<drop-0001@lysverket.example>')).toBe(1);
    expect(await capturesFor('<drop-0002@fiskeri.example>')).toBe(1);
  });

  it('a mail that cannot be stored is left unread and taken by the next poll', async () => {
    const raw = mail({ From: 'Nils Strand <nils.strand@kystverk.example>', Subject: 'Port logistics system', 'Message-ID': '<retry-0001@kystverk.example>' }, 'We are planning a new port logistics system.');
    imap.deliver(raw);
    const capture = jest.spyOn(t.app.get(LeadsService), 'capture').mockRejectedValueOnce(Object.assign(new Error('connection terminated'), { code: '57P01' }));
    try {
      expect(await poller.pollOnce()).toEqual({ ok: true, unread: 1, taken: 0, duplicates: 0, skipped: 0, failed: 1, error: null });
      expect(imap.flagsOf('<retry-0001@kystverk.example>')).toEqual([]);
      expect(await mailRow('<retry-0001@kystverk.example>')).toBeUndefined(); // nothing half-stored
    } finally {
      capture.mockRestore();
    }
    expect(await poller.pollOnce()).toEqual({ ok: true, unread: 1, taken: 1, duplicates: 0, skipped: 0, failed: 0, error: null });
    expect(imap.flagsOf('<retry-0001@kystverk.example>')).toEqual(['\\Seen']);
    expect(await capturesFor('<retry-0001@kystverk.example>')).toBe(1);
  });

  it(`a mail that fails every time is recorded as failed after ${MAX_ATTEMPTS} polls and marked, not taken again and again`, async () => {
    const raw = mail({ From: 'Ada Berg <ada.berg@kystverk.example>', Subject: 'Always failing', 'Message-ID': '<fails-0001@kystverk.example>' }, 'This one cannot be stored.');
    imap.deliver(raw);
    const capture = jest.spyOn(t.app.get(LeadsService), 'capture').mockRejectedValue(new TypeError('a bug that hits this mail every time'));
    try {
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        expect(await poller.pollOnce()).toMatchObject({ unread: 1, taken: 0, failed: 1, skipped: 0 });
        expect(imap.flagsOf('<fails-0001@kystverk.example>')).toEqual([]);
      }
      expect(await poller.pollOnce()).toMatchObject({ unread: 1, taken: 0, failed: 0, skipped: 1 });
      expect(imap.flagsOf('<fails-0001@kystverk.example>')).toEqual(['\\Seen']);
      expect(await mailRow('<fails-0001@kystverk.example>')).toMatchObject({ status: 'skipped', skip_reason: 'failed' });
      expect(await poller.pollOnce()).toMatchObject({ unread: 0 });
    } finally {
      capture.mockRestore();
    }
  });

  it('the poller logs counts, never addresses, names or subjects', () => {
    const text = logs.join('');
    expect(text).toMatch(/Mail poll/);
    for (const personal of ['nordlys-energi', 'Ingrid', 'Bjørn', 'blaabaer', 'metering', 'kystverk', 'Port logistics']) expect({ personal, logged: text.includes(personal) }).toEqual({ personal, logged: false });
  });
});

describe('[SRC-MAIL] mail intake: the raw-message endpoint', () => {
  let t: TestApp;
  let db: DataSource;
  let key: string;
  let sales: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { MAIL_ATTACHMENT_MAX_BYTES: '4096', MAIL_MESSAGE_MAX_BYTES: '65536', FIRM_MAIL_DOMAINS: 'firm.example' } });
    db = t.owner;
    const admin = (await t.userWith('admin')).token;
    key = (await t.http().post('/api/api-keys').set('Authorization', `Bearer ${admin}`).send({ name: 'Gmail relay', channel: 'email' }).expect(201)).body.key;
    sales = (await t.userWith('sales')).token;
  });
  afterAll(() => t.close());

  const post = (raw: Buffer, type = 'message/rfc822') => t.http().post('/api/intake/email').set('X-Api-Key', key).set('Content-Type', type).send(raw);
  const captureOf = async (reference: string) => (await db.query(`SELECT * FROM capture WHERE id = $1`, [reference]))[0];
  const personOf = async (id: string) => (await db.query(`SELECT * FROM person WHERE id = $1`, [id]))[0];
  const counts = async () =>
    (await db.query(`SELECT (SELECT count(*)::int FROM person) AS persons, (SELECT count(*)::int FROM capture) AS captures, (SELECT count(*)::int FROM activity) AS activities, (SELECT count(*)::int FROM mail_message) AS mails`))[0];

  it('a mail from the firm’s own relay or a no-reply address is the Reply-To’s: their address on the person, the Reply-To kept with the mail', async () => {
    const relayed = await post(mail({ From: 'Website <wordpress@firm.example>', 'Reply-To': 'Kari Kunde <Kari@Kunde.example>', Subject: 'Contact form', 'Message-ID': '<relay-1@firm.example>' }, 'A request sent through the website form.')).expect(202);
    const capture = await captureOf(relayed.body.reference);
    expect(await personOf(capture.person_id)).toMatchObject({ email: 'kari@kunde.example', first_name: 'Kari', last_name: 'Kunde' });
    expect(capture.payload).toMatchObject({ from: 'kari@kunde.example', replyTo: 'kari@kunde.example', relayedBy: 'wordpress@firm.example' });
    const noReply = await post(mail({ From: 'noreply@forms.example', 'Reply-To': 'ola@kunde.example', Subject: 'Form', 'Message-ID': '<noreply-1@forms.example>' }, 'Another request.')).expect(202);
    expect(await personOf((await captureOf(noReply.body.reference)).person_id)).toMatchObject({ email: 'ola@kunde.example' });
    // Anyone else's Reply-To is only kept: the person is who wrote.
    const own = await post(mail({ From: 'per@kunde.example', 'Reply-To': 'assistant@kunde.example', Subject: 'Hi', 'Message-ID': '<own-1@kunde.example>' }, 'Please reply to my assistant.')).expect(202);
    const ownCapture = await captureOf(own.body.reference);
    expect(await personOf(ownCapture.person_id)).toMatchObject({ email: 'per@kunde.example' });
    expect(ownCapture.payload).toMatchObject({ replyTo: 'assistant@kunde.example', relayedBy: null });
  });

  it('a company in the sender’s display name is the person’s company, not their last name; a returning person’s company stays', async () => {
    const first = await post(mail({ From: '"Ståle Solbakken (Grønland AS)" <stale@gronland.example>', Subject: 'App', 'Message-ID': '<company-1@gronland.example>' }, 'Vi trenger en app.')).expect(202);
    const person = await personOf((await captureOf(first.body.reference)).person_id);
    expect(person).toMatchObject({ first_name: 'Ståle', last_name: 'Solbakken', company_name: 'Grønland AS' });
    const piped = await post(mail({ From: '=?UTF-8?Q?=C3=98ystein_Br=C3=A5then_|_Nordlys_AS?= <oystein@nordlys.example>', Subject: 'App', 'Message-ID': '<company-2@nordlys.example>' }, 'Hei.')).expect(202);
    expect(await personOf((await captureOf(piped.body.reference)).person_id)).toMatchObject({ first_name: 'Øystein', last_name: 'Bråthen', company_name: 'Nordlys AS' });
    // The same person writing with another company in the name: what the record has stays.
    const again = await post(mail({ From: 'Ståle Solbakken - Annet Firma <stale@gronland.example>', Subject: 'Mer', 'Message-ID': '<company-3@gronland.example>' }, 'Mer.')).expect(202);
    expect((await captureOf(again.body.reference)).person_id).toBe(person.id);
    expect(await personOf(person.id)).toMatchObject({ last_name: 'Solbakken', company_name: 'Grønland AS' });
  });

  it('a reply quoting the firm’s earlier mail (Gmail or Outlook) has the person’s new text as its request; the quoted mail stays in the stored payload', async () => {
    const firm = ['Hei Kari,', 'vi sender et tilbud innen fredag.', '', 'Ola Nordmann', 'Firm AS'];
    const gmail = mail(
      { From: 'Kari Lunde <kari@kunde.example>', To: 'ola@firm.example', Subject: 'Re: Tilbud', 'Message-ID': '<reply-gmail@kunde.example>' },
      ['Fredag passer fint.', '', 'On Mon, Mar 2, 2026 at 9:00 AM Ola Nordmann <ola@firm.example> wrote:', '', ...firm.map((l) => `> ${l}`)].join('\r\n'),
    );
    const gmailCapture = await captureOf((await post(gmail).expect(202)).body.reference);
    expect(gmailCapture.request).toBe('Re: Tilbud\n\nFredag passer fint.');
    expect(gmailCapture.payload.text).toContain('> vi sender et tilbud innen fredag.');
    const outlook = mail(
      { From: 'Nils Berg <nils@lysverket.example>', To: 'ola@firm.example', Subject: 'RE: Tilbud', 'Message-ID': '<reply-outlook@lysverket.example>' },
      ['Takk, vi ser på det.', '', '________________________________', 'From: Ola Nordmann <ola@firm.example>', 'Sent: Monday, March 2, 2026 9:00 AM', 'To: Nils Berg <nils@lysverket.example>', 'Subject: Tilbud', '', ...firm].join('\r\n'),
    );
    const outlookCapture = await captureOf((await post(outlook).expect(202)).body.reference);
    expect(outlookCapture.request).toBe('RE: Tilbud\n\nTakk, vi ser på det.');
    expect(outlookCapture.payload.text).toContain('vi sender et tilbud innen fredag.');
    // The person is who replied, not the firm's colleague in the quoted header.
    expect(await personOf(outlookCapture.person_id)).toMatchObject({ email: 'nils@lysverket.example' });
  });

  it('a calendar invite’s meeting (summary, start with its time zone, place) ends the request; its calendar part is listed once, as invite.ics', async () => {
    const ics = ['BEGIN:VCALENDAR', 'METHOD:REQUEST', 'BEGIN:VEVENT', 'SUMMARY:Oppstart: app for', '  merdene', 'DTSTART;TZID=Europe/Oslo:20260310T100000', 'LOCATION:Møterom 2\\, Bergen', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    const raw = Buffer.from(
      [
        'From: Kari Lunde <kari.invite@kunde.example>', 'To: ola@firm.example', 'Subject: Invitation: Oppstart', 'Message-ID: <invite-0001@kunde.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="m"', '',
        '--m', 'Content-Type: multipart/alternative; boundary="a"', '', '--a', 'Content-Type: text/plain; charset=utf-8', '', 'Du er invitert.', '',
        '--a', 'Content-Type: text/calendar; charset=utf-8; method=REQUEST', '', ics, '--a--', '',
        '--m', 'Content-Type: application/ics; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"', '', ics, '--m--', '',
      ].join('\r\n'),
      'utf8',
    );
    const capture = await captureOf((await post(raw).expect(202)).body.reference);
    expect(capture.request).toBe('Invitation: Oppstart\n\nDu er invitert.\n\nMeeting invite: Oppstart: app for merdene, 20260310T100000 (Europe/Oslo), Møterom 2, Bergen');
    expect(capture.payload.invite).toEqual({ summary: 'Oppstart: app for merdene', start: '20260310T100000 (Europe/Oslo)', location: 'Møterom 2, Bergen' });
    expect(capture.payload.attachments).toEqual([expect.objectContaining({ filename: 'invite.ics', contentType: 'application/ics', kept: true })]);
  });

  it('Outlook’s winmail.dat (application/ms-tnef) is kept as it came, and its entry in the listing says what it is and what to do', async () => {
    const tnef = Buffer.from([0x78, 0x9f, 0x3e, 0x22, 0x00, 0x00, 0x01, 0x06, 0x90, 0x08, 0x00]);
    const raw = Buffer.from(
      [
        'From: Nils Berg <nils.tnef@lysverket.example>', 'To: post@firm.example', 'Subject: Tilbud', 'Message-ID: <tnef-0001@lysverket.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="m"', '',
        '--m', 'Content-Type: text/plain; charset=utf-8', '', 'Se vedlegg.', '',
        '--m', 'Content-Type: application/ms-tnef; name="winmail.dat"', 'Content-Disposition: attachment; filename="winmail.dat"', 'Content-Transfer-Encoding: base64', '', tnef.toString('base64'), '--m--', '',
      ].join('\r\n'),
    );
    const capture = await captureOf((await post(raw).expect(202)).body.reference);
    const person = await t.http().get(`/api/persons/${capture.person_id}`).set('Authorization', `Bearer ${sales}`).expect(200);
    expect(person.body.captures[0].payload.attachments).toEqual([
      expect.objectContaining({ filename: 'winmail.dat', contentType: 'application/ms-tnef', size: tnef.length, kept: true, note: 'Outlook rich-text attachment (winmail.dat): open it in Outlook, or ask the sender to resend as plain attachments' }),
    ]);
  });

  it('a Contact Form 7 mail whose Reply-To has no name names the visitor by its From line', async () => {
    const cf7 = mail(
      { From: 'WordPress <wordpress@firm.example>', 'Reply-To': 'siri.dahl@fjordhytter.example', Subject: 'Nettsted "Firm" - Kontakt', 'Message-ID': '<cf7-0001@firm.example>' },
      ['From: Siri Dahl <siri.dahl@fjordhytter.example>', 'Subject: Booking app', '', 'Message Body:', 'We need a booking app for our cabins.', '', '-- ', 'This e-mail was sent from a contact form on Firm (https://firm.example)'].join('\r\n'),
    );
    const capture = await captureOf((await post(cf7).expect(202)).body.reference);
    expect(await personOf(capture.person_id)).toMatchObject({ email: 'siri.dahl@fjordhytter.example', first_name: 'Siri', last_name: 'Dahl' });
    expect(capture.payload).toMatchObject({ from: 'siri.dahl@fjordhytter.example', fromName: 'Siri Dahl', relayedBy: 'wordpress@firm.example' });
  });

  it('a colleague’s forward of a prospect’s mail (attached or inline) is the prospect’s lead, their text the request, the colleague kept as who forwarded it', async () => {
    const prospect = ['From: Kari Lunde <kari.lunde@havbruk-data.example>', 'To: ola@firm.example', 'Subject: App for our fish farms', 'Message-ID: <prospect-0001@havbruk-data.example>', 'Content-Type: text/plain; charset=utf-8', '', 'We need an app for the staff on our fish farms.'];
    const attached = Buffer.from(
      [
        'From: Ola Nordmann <ola@firm.example>', 'To: post@firm.example', 'Subject: Fwd: App for our fish farms', 'Message-ID: <fwd-0001@firm.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
        '--b', 'Content-Type: text/plain; charset=utf-8', '', 'A lead for the Bergen team.', '', '--b', 'Content-Type: message/rfc822', '', ...prospect, '', '--b--', '',
      ].join('\r\n'),
    );
    const capture = await captureOf((await post(attached).expect(202)).body.reference);
    expect(await personOf(capture.person_id)).toMatchObject({ email: 'kari.lunde@havbruk-data.example', first_name: 'Kari', last_name: 'Lunde' });
    expect(capture.request).toBe('App for our fish farms\n\nWe need an app for the staff on our fish farms.\n\nForwarded by ola@firm.example, who wrote:\nA lead for the Bergen team.');
    expect(capture.payload).toMatchObject({ from: 'kari.lunde@havbruk-data.example', forwardedBy: 'ola@firm.example', forwarded: { as: 'attached', messageId: '<prospect-0001@havbruk-data.example>' } });
    expect(capture.payload.attachments).toEqual([expect.objectContaining({ contentType: 'message/rfc822', kept: true })]);
    expect(await db.query(`SELECT id FROM person WHERE email = 'ola@firm.example'`)).toEqual([]);

    const inline = mail(
      { From: 'Ola Nordmann <ola@firm.example>', To: 'post@firm.example', Subject: 'VS: Dataplattform', 'Message-ID': '<fwd-0002@firm.example>' },
      ['Kan noen ta denne?', '', 'Fra: Nils Berg <nils.berg@lysverket.example>', 'Sendt: mandag 2. mars 2026 09:00', 'Til: Ola Nordmann <ola@firm.example>', 'Emne: Dataplattform', '', 'Vi trenger hjelp med dataplattformen vår.'].join('\r\n'),
    );
    const inlineCapture = await captureOf((await post(inline).expect(202)).body.reference);
    expect(await personOf(inlineCapture.person_id)).toMatchObject({ email: 'nils.berg@lysverket.example', first_name: 'Nils', last_name: 'Berg' });
    expect(inlineCapture.request).toBe('Dataplattform\n\nVi trenger hjelp med dataplattformen vår.\n\nForwarded by ola@firm.example, who wrote:\nKan noen ta denne?');
    expect(inlineCapture.payload).toMatchObject({ forwardedBy: 'ola@firm.example', forwarded: { as: 'inline', date: 'mandag 2. mars 2026 09:00' } });
  });

  it('[SPAM-WORDS] a message someone outside the firm forwards as an attachment is screened with their own text: spam in it holds the mail', async () => {
    const attachedSpam = Buffer.from(
      [
        'From: Per Hansen <per@konsulent.example>', 'To: post@firm.example', 'Subject: Fwd: see this', 'Message-ID: <fwd-0003@konsulent.example>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
        '--b', 'Content-Type: text/plain; charset=utf-8', '', 'What do you make of this?', '', '--b', 'Content-Type: message/rfc822', '',
        'From: Quick Returns <offers@profit-now.example>', 'Subject: Guaranteed profit from our crypto investment platform', 'Content-Type: text/plain; charset=utf-8', '', 'Double your money with guaranteed returns. Reply today.', '',
        '--b--', '',
      ].join('\r\n'),
    );
    const res = await post(attachedSpam).expect(202);
    const submission = (await db.query(`SELECT status, verdict FROM intake_submission WHERE id = $1`, [res.body.reference]))[0];
    expect(submission.status).toBe('held');
    expect(submission.verdict.reasons.map((r: { code: string }) => r.code)).toContain('keyword');
    expect((await db.query(`SELECT from_address FROM mail_message WHERE id = $1`, [res.body.reference]))[0]).toEqual({ from_address: 'per@konsulent.example' });
  });

  it('[RET-MAIL][LB-LEGIT] a multipart/alternative mail becomes its sender’s email capture: subject and text as the request, legitimate interest, six years from collection', async () => {
    const res = await post(FIXTURES.alternative).expect(202);
    expect(res.body).toEqual({ reference: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'accepted' });
    const capture = await captureOf(res.body.reference);
    expect(capture).toMatchObject({
      source: 'email',
      source_ref: ORIGINAL_ID,
      content_type: 'message/rfc822',
      inquiry_type: 'other',
      policy_version: 'en-1',
      retention_anchor: 'collection',
      consents_given: [],
      legal_bases: { handle_request: 'legitimate_interest', communication_history: 'legitimate_interest', spam_prevention: 'legitimate_interest' },
      actor_type: 'api_key',
    });
    expect(capture.request).toBe('Help modernising our metering platform\n\nHello,\n\nWe run our metering platform on .NET Framework 4.8 and want to move it to\nthe cloud this year. Could one of your architects take a look at it?\n\nBest regards,\nIngrid Hansen\nHead of IT, Nordlys Energi AS');
    expect(capture.payload).toMatchObject({ messageId: ORIGINAL_ID, from: 'ingrid.hansen@nordlys-energi.example', subject: 'Help modernising our metering platform', attachments: [] });
    expect(capture.payload.html).toContain('<p>Hello,</p>');
    expect(new Date(capture.retention_due_at).toISOString()).toBe(sixYearsAfter(capture.received_at));
    expect(await personOf(capture.person_id)).toMatchObject({ email: 'ingrid.hansen@nordlys-energi.example', first_name: 'Ingrid', last_name: 'Hansen', status: 'new' });
    const [activity] = await db.query(`SELECT * FROM activity WHERE capture_id = $1`, [capture.id]);
    expect(activity).toMatchObject({ type: 'email', person_id: capture.person_id, details: expect.objectContaining({ messageId: ORIGINAL_ID, direction: 'inbound' }) });
    // Screened like any public arrival, then reduced to what the rate limits count.
    expect((await db.query(`SELECT status, channel, fields FROM intake_submission WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'accepted', channel: 'email', fields: {} });
    expect((await db.query(`SELECT status, raw, from_address, subject FROM mail_message WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'captured', raw: null, from_address: null, subject: null });
  });

  it('a quoted-printable ISO-8859-1 mail (encoded subject and sender) comes out with æ, ø and å', async () => {
    const res = await post(FIXTURES.latin1).expect(202);
    const capture = await captureOf(res.body.reference);
    expect(capture.request).toBe(
      'Forespørsel om app for blåbærplukking\n\nHei!\n\nVi ønsker en app som hjelper plukkere med å registrere blåbær og tyttebær i felt, også uten dekning. Kan dere gi oss et estimat?\n\nMed vennlig hilsen\nBjørn Ærøy\nDaglig leder, Blåbær & Sønner AS',
    );
    expect(await personOf(capture.person_id)).toMatchObject({ email: 'bjorn.aeroy@blaabaer.example', first_name: 'Bjørn', last_name: 'Ærøy' });
  });

  it('an 8-bit mail whose text part names no charset, in Latin-1 bytes, comes out with æ, ø and å, not U+FFFD', async () => {
    const raw = Buffer.concat([
      Buffer.from(['From: Bjorn Aeroy <bjorn.8bit@blaabaer.example>', 'To: post@firm.example', 'Subject: App', 'Message-ID: <8bit-0001@blaabaer.example>', 'MIME-Version: 1.0', 'Content-Type: text/plain', 'Content-Transfer-Encoding: 8bit', '', ''].join('\r\n'), 'ascii'),
      Buffer.from('Vi ønsker en app for blåbærplukking.', 'latin1'),
    ]);
    const capture = await captureOf((await post(raw).expect(202)).body.reference);
    expect(capture.request).toBe('App\n\nVi ønsker en app for blåbærplukking.');
    expect(capture.payload.text).toBe('Vi ønsker en app for blåbærplukking.');
  });

  it('a base64 UTF-8 mail (encoded-word subject and sender) comes out with æ, ø and å', async () => {
    const res = await post(FIXTURES.utf8).expect(202);
    const capture = await captureOf(res.body.reference);
    expect(capture.payload.subject).toBe('Integrasjon mellom ERP og nettbutikk – æøå ÆØÅ');
    expect(capture.request).toContain('Særlig håndtering av små ordrer og returer. ÆØÅ æøå.');
    expect(await personOf(capture.person_id)).toMatchObject({ email: 'oystein.saether@fjellvann.example', first_name: 'Øystein', last_name: 'Sæther' });
  });

  it('[SEC-ACCESS] files within MAIL_ATTACHMENT_MAX_BYTES are kept with the capture, larger ones only listed; staff download a kept one (audited)', async () => {
    const res = await post(FIXTURES.attachments).expect(202);
    const capture = await captureOf(res.body.reference);
    const pdf = base64PartAfter(FIXTURES.attachments, 'kravspesifikasjon-%C3%A6');
    const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(capture.payload.attachments).toEqual([
      { id: expect.any(String), filename: 'kravspesifikasjon-æøå.pdf', contentType: 'application/pdf', size: 1500, sha256: sha256(pdf), inline: false, skippedReason: null, kept: true },
      { id: expect.any(String), filename: 'design-assets.zip', contentType: 'application/zip', size: 9000, sha256: sha256(base64PartAfter(FIXTURES.attachments, 'design-assets.zip"')), inline: false, skippedReason: 'too_large', kept: false },
    ]);
    const [kept, skipped] = capture.payload.attachments as { id: string }[];
    const stored = await db.query(`SELECT id, capture_id, octet_length(content) AS bytes FROM mail_attachment WHERE capture_id = $1 ORDER BY size`, [capture.id]);
    expect(stored).toEqual([
      { id: kept.id, capture_id: capture.id, bytes: 1500 },
      { id: skipped.id, capture_id: capture.id, bytes: null },
    ]);

    // Listed through the person's record, fetched through its own route.
    const person = await t.http().get(`/api/persons/${capture.person_id}`).set('Authorization', `Bearer ${sales}`).expect(200);
    expect(person.body.captures[0].payload.attachments).toHaveLength(2);
    const file = await t.http().get(`/api/persons/${capture.person_id}/captures/${capture.id}/attachments/${kept.id}`).set('Authorization', `Bearer ${sales}`).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toBe(`attachment; filename*=UTF-8''kravspesifikasjon-%C3%A6%C3%B8%C3%A5.pdf`);
    expect((file.body as Buffer).equals(pdf)).toBe(true);
    const [audit] = await db.query(`SELECT * FROM audit_log WHERE action = 'person.attachment_read' AND entity_id = $1`, [capture.person_id]);
    expect(audit).toMatchObject({ actor_type: 'user', changes: { attachmentId: { before: null, after: kept.id } } });

    const tooLarge = await t.http().get(`/api/persons/${capture.person_id}/captures/${capture.id}/attachments/${skipped.id}`).set('Authorization', `Bearer ${sales}`).expect(404);
    expect(tooLarge.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(tooLarge.body.detail).toMatch(/larger than MAIL_ATTACHMENT_MAX_BYTES/);
    // Another person's capture does not lend its files.
    const other = (await db.query(`SELECT id FROM person WHERE id <> $1 LIMIT 1`, [capture.person_id]))[0].id;
    await t.http().get(`/api/persons/${other}/captures/${capture.id}/attachments/${kept.id}`).set('Authorization', `Bearer ${sales}`).expect(404);
  });

  it('a reply in a known thread (References: a Message-ID taken before) goes on that person’s timeline, not into a new capture', async () => {
    const before = await counts();
    const res = await post(FIXTURES.reply).expect(202);
    expect(res.body.status).toBe('accepted');
    const after = await counts();
    expect({ persons: after.persons - before.persons, captures: after.captures - before.captures, activities: after.activities - before.activities }).toEqual({ persons: 0, captures: 0, activities: 1 });
    const [thread] = await db.query(`SELECT person_id FROM capture WHERE source_ref = $1`, [ORIGINAL_ID]);
    const [entry] = await db.query(`SELECT * FROM activity WHERE person_id = $1 AND type = 'email' AND capture_id IS NULL`, [thread.person_id]);
    expect(entry.body).toMatch(/^Thursday at 10:00 works for us\./);
    expect(entry.details).toMatchObject({ messageId: '<20260309100500.77aa@nordlys-energi.example>', subject: 'Re: Help modernising our metering platform', inReplyTo: ['<CAO-firm-reply-1@mail.firm.example>', ORIGINAL_ID] });
    expect((await db.query(`SELECT status, activity_id FROM mail_message WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'reply', activity_id: entry.id });
    const [audit] = await db.query(`SELECT * FROM audit_log WHERE action = 'person.email_added' AND entity_id = $1`, [thread.person_id]);
    expect(audit.changes).toEqual({ activityId: { before: null, after: entry.id } });
  });

  it('[ACCESS-AM] a mail naming a thread’s Message-ID from someone else is not filed on that person: it is a new arrival from its sender, with its files', async () => {
    const [thread] = await db.query(`SELECT person_id FROM capture WHERE source_ref = $1`, [ORIGINAL_ID]);
    const timeline = async () => (await db.query(`SELECT count(*)::int AS n FROM activity WHERE person_id = $1`, [thread.person_id]))[0].n;
    const before = { entries: await timeline(), counts: await counts() };
    const forged = Buffer.from(
      [
        'From: Mallory <mallory@intruder.example>', 'To: sales@firm.example', 'Subject: Re: Help modernising our metering platform',
        'Message-ID: <forged-0001@intruder.example>', `In-Reply-To: ${ORIGINAL_ID}`, `References: ${ORIGINAL_ID}`,
        'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
        '--b', 'Content-Type: text/plain; charset=utf-8', '', 'Please see the updated invoice.', '',
        '--b', 'Content-Type: application/pdf; name="invoice.pdf"', 'Content-Disposition: attachment; filename="invoice.pdf"', 'Content-Transfer-Encoding: base64', '',
        Buffer.from('%PDF-1.4 not an invoice').toString('base64'), '--b--', '',
      ].join('\r\n'),
    );
    const res = await post(forged).expect(202);
    expect(res.body.status).toBe('accepted');

    expect(await timeline()).toBe(before.entries);
    const capture = await captureOf(res.body.reference);
    expect(capture).toMatchObject({ source: 'email', source_ref: '<forged-0001@intruder.example>' });
    expect(capture.person_id).not.toBe(thread.person_id);
    expect(await personOf(capture.person_id)).toMatchObject({ email: 'mallory@intruder.example' });
    expect((await db.query(`SELECT status, capture_id, activity_id FROM mail_message WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'captured', capture_id: capture.id, activity_id: null });
    expect(await db.query(`SELECT capture_id, activity_id FROM mail_attachment WHERE filename = 'invoice.pdf'`)).toEqual([{ capture_id: capture.id, activity_id: null }]);
    // Screened as a new arrival from its sender, like any other.
    expect((await db.query(`SELECT status, channel FROM intake_submission WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'accepted', channel: 'email' });
    const after = await counts();
    expect({ persons: after.persons - before.counts.persons, captures: after.captures - before.counts.captures }).toEqual({ persons: 1, captures: 1 });
  });

  it('a reply from any of the thread person’s known addresses (in any case, an earlier one too) goes on their timeline', async () => {
    const [thread] = await db.query(`SELECT person_id FROM capture WHERE source_ref = $1`, [ORIGINAL_ID]);
    // The person now goes by a new address; mail from the one she wrote from before is still hers.
    await t.http().patch(`/api/persons/${thread.person_id}`).set('Authorization', `Bearer ${sales}`).send({ email: 'ingrid@nordlys-energi.example' }).expect(200);
    const reply = (n: number, from: string) =>
      mail({ From: from, To: 'sales@firm.example', Subject: 'Re: Help modernising our metering platform', 'Message-ID': `<known-${n}@nordlys-energi.example>`, 'In-Reply-To': ORIGINAL_ID, References: ORIGINAL_ID }, `Reply number ${n}.`);
    for (const [n, from] of [[1, 'Ingrid Hansen <Ingrid.Hansen@Nordlys-Energi.example>'], [2, 'Ingrid <ingrid@nordlys-energi.example>']] as const) {
      const before = await counts();
      const res = await post(reply(n, from)).expect(202);
      expect((await db.query(`SELECT status FROM mail_message WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'reply' });
      const [entry] = await db.query(`SELECT person_id FROM activity WHERE details->>'messageId' = $1`, [`<known-${n}@nordlys-energi.example>`]);
      expect(entry.person_id).toBe(thread.person_id);
      const after = await counts();
      expect({ persons: after.persons - before.persons, captures: after.captures - before.captures }).toEqual({ persons: 0, captures: 0 });
    }
  });

  it('an auto-reply, a bounce and list mail make no lead: each is recorded as skipped, with its reason', async () => {
    const before = await counts();
    for (const raw of [FIXTURES.autoReply, FIXTURES.bounce, FIXTURES.list]) expect((await post(raw).expect(202)).body.status).toBe('skipped');
    const after = await counts();
    expect({ persons: after.persons - before.persons, captures: after.captures - before.captures, mails: after.mails - before.mails }).toEqual({ persons: 0, captures: 0, mails: 3 });
    // Each is kept for the quarantine period, so staff can take one in by hand (below).
    const skipped = await db.query(`SELECT message_id, skip_reason, raw IS NOT NULL AS kept FROM mail_message WHERE status = 'skipped' ORDER BY message_id`);
    expect(skipped).toEqual([
      { message_id: '<auto-0001@kunde.example>', skip_reason: 'auto_submitted', kept: true },
      { message_id: '<bounce-0001@mx.firm-relay.example>', skip_reason: 'delivery_report', kept: true },
      { message_id: '<list-0212@cloudweekly.example>', skip_reason: 'mailing_list', kept: true },
    ]);
    expect(await db.query(`SELECT id FROM person WHERE email IN ('per.olsen@kunde.example', 'mailer-daemon@mx.firm-relay.example', 'newsletter@cloudweekly.example')`)).toEqual([]);
  });

  it('staff see skipped mail with its reason and take one in by hand: it becomes a capture with its original time, audited; after the quarantine period nothing of it is kept', async () => {
    const list = (await t.http().get('/api/mail/skipped').set('Authorization', `Bearer ${sales}`).expect(200)).body;
    const auto = list.find((m: { subject: string | null; reason: string }) => m.reason === 'auto_submitted');
    expect(auto).toMatchObject({ fromAddress: 'per.olsen@kunde.example', takeable: true });
    const [{ received_at: receivedAt }] = await db.query(`SELECT received_at FROM mail_message WHERE id = $1`, [auto.id]);
    expect((await t.http().post(`/api/mail/skipped/${auto.id}/take`).set('Authorization', `Bearer ${sales}`).expect(200)).body).toEqual({ reference: auto.id, status: 'taken' });
    const [person] = await db.query(`SELECT id FROM person WHERE email = 'per.olsen@kunde.example'`);
    const [capture] = await db.query(`SELECT source, received_at FROM capture WHERE person_id = $1`, [person.id]);
    expect(capture.source).toBe('email');
    expect(new Date(capture.received_at).toISOString()).toBe(new Date(receivedAt).toISOString());
    const [audit] = await db.query(`SELECT actor_type FROM audit_log WHERE action = 'mail.taken_by_hand' AND entity_id = $1`, [auto.id]);
    expect(audit.actor_type).toBe('user');
    await t.http().post(`/api/mail/skipped/${auto.id}/take`).set('Authorization', `Bearer ${sales}`).expect(404);

    const list2 = (await t.http().get('/api/mail/skipped').set('Authorization', `Bearer ${sales}`).expect(200)).body;
    const bounce = list2.find((m: { reason: string }) => m.reason === 'delivery_report');
    await db.query(`UPDATE mail_message SET received_at = now() - interval '400 days' WHERE id = $1`, [bounce.id]);
    await t.app.get(ReviewService).purge();
    expect((await db.query(`SELECT raw, from_address, subject FROM mail_message WHERE id = $1`, [bounce.id]))[0]).toEqual({ raw: null, from_address: null, subject: null });
    expect((await t.http().post(`/api/mail/skipped/${bounce.id}/take`).set('Authorization', `Bearer ${sales}`).expect(409)).body.detail).toMatch(/Nothing of this mail was kept/);
  });

  it('an auto_reply precedence, a MAILER_DAEMON bounce and an Exchange absence reply make no lead, and are listed for staff with their reason', async () => {
    const before = await counts();
    const raws = [
      mail({ From: 'Kari Kunde <kari.ferie@kunde.example>', To: 'sales@firm.example', Subject: 'Re: Your offer', 'Message-ID': '<auto-0002@kunde.example>', Precedence: 'auto_reply' }, 'I am away until Monday.'),
      mail({ From: 'MAILER_DAEMON@mx.kunde.example', To: 'sales@firm.example', Subject: 'Undeliverable: Your offer', 'Message-ID': '<bounce-0002@mx.kunde.example>' }, 'The address could not be found.'),
      mail({ From: 'Per Olsen <per.ferie@kunde.example>', To: 'sales@firm.example', Subject: 'Automatisk svar: Your offer', 'Message-ID': '<auto-0003@kunde.example>', 'X-Auto-Response-Suppress': 'All' }, 'Jeg er på ferie.'),
    ];
    for (const raw of raws) expect((await post(raw).expect(202)).body.status).toBe('skipped');
    const after = await counts();
    expect({ persons: after.persons - before.persons, captures: after.captures - before.captures }).toEqual({ persons: 0, captures: 0 });
    const listed = (await t.http().get('/api/mail/skipped').set('Authorization', `Bearer ${sales}`).expect(200)).body as { fromAddress: string; reason: string; takeable: boolean }[];
    const ours = listed.filter((m) => ['kari.ferie@kunde.example', 'mailer_daemon@mx.kunde.example', 'per.ferie@kunde.example'].includes(m.fromAddress));
    expect(ours.map(({ fromAddress, reason, takeable }) => ({ fromAddress, reason, takeable })).sort((a, b) => a.fromAddress.localeCompare(b.fromAddress))).toEqual([
      { fromAddress: 'kari.ferie@kunde.example', reason: 'auto_reply', takeable: true },
      { fromAddress: 'mailer_daemon@mx.kunde.example', reason: 'bounce', takeable: true },
      { fromAddress: 'per.ferie@kunde.example', reason: 'auto_reply', takeable: true },
    ]);
  });

  it('a Message-ID taken before changes nothing, also when two deliveries race (the unique index decides)', async () => {
    const first = await captureOf((await db.query(`SELECT id FROM capture WHERE source_ref = $1`, [ORIGINAL_ID]))[0].id);
    const before = await counts();
    const again = await post(FIXTURES.alternative).expect(202);
    expect(again.body).toEqual({ reference: first.id, status: 'duplicate' });
    expect(await counts()).toEqual(before);

    const racing = mail({ From: 'Siri Dahl <siri.dahl@tindefjell.example>', To: 'sales@firm.example', Subject: 'Mobile app for mountain huts', 'Message-ID': '<race-0001@tindefjell.example>' }, 'We would like an offline booking app for our mountain huts.');
    const answers = await Promise.all([post(racing), post(racing)]);
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    expect(answers.map((a) => a.body.status).sort()).toEqual(['accepted', 'duplicate']);
    expect((await db.query(`SELECT count(*)::int AS n FROM capture WHERE source_ref = '<race-0001@tindefjell.example>'`))[0].n).toBe(1);
    expect((await counts()).persons).toBe(before.persons + 1);
  });

  it('[SPAM-WORDS][SPAM-MANUAL][NO-AUTO-DECISION] a spam mail is held with its raw message and makes no one; released by a person, it becomes a capture', async () => {
    const raw = mail(
      { From: 'Quick Returns <offers@profit-now.example>', To: 'sales@firm.example', Subject: 'Guaranteed profit from our crypto investment platform', 'Message-ID': '<spam-0001@profit-now.example>' },
      'Double your money with guaranteed returns. Reply today.',
    );
    const res = await post(raw).expect(202);
    expect(res.body.status).toBe('accepted'); // the same answer whatever the verdict
    const submission = (await db.query(`SELECT status, verdict FROM intake_submission WHERE id = $1`, [res.body.reference]))[0];
    expect(submission.status).toBe('held');
    expect(submission.verdict.reasons.map((r: { code: string }) => r.code)).toContain('keyword');
    const held = (await db.query(`SELECT status, raw, from_address FROM mail_message WHERE id = $1`, [res.body.reference]))[0];
    expect(held).toMatchObject({ status: 'held', from_address: 'offers@profit-now.example' });
    expect((held.raw as Buffer).equals(raw)).toBe(true);
    expect(await db.query(`SELECT id FROM person WHERE email = 'offers@profit-now.example'`)).toEqual([]);

    // What the review's release does for a held mail (ReviewService hands mail to MailIntakeService.reprocess).
    const app = t.app.get(DataSource);
    await runAsSystem('test: release', () => app.transaction((tx) => t.app.get(MailIntakeService).reprocess(res.body.reference, submission.verdict, tx)));
    const capture = await captureOf(res.body.reference);
    expect(capture).toMatchObject({ source: 'email', source_ref: '<spam-0001@profit-now.example>' });
    expect((await db.query(`SELECT status, raw FROM mail_message WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'captured', raw: null });
    expect((await db.query(`SELECT status FROM intake_submission WHERE id = $1`, [res.body.reference]))[0].status).toBe('released');
  });

  it('a business signature’s links (website, address, profile) do not count; the same links in the message count as too many, weighing nothing in a mail', async () => {
    const signature = ['Med vennlig hilsen', 'Kari Lunde', 'CTO, Havbruk Data AS', 'kari.lunde@havbruk-data.no | +47 912 34 567', 'www.havbruk-data.no', 'linkedin.com/in/karilunde'];
    const withSignature = mail(
      { From: 'Kari Lunde <kari.lunde@havbruk-data.no>', Subject: 'App for our field staff', 'Message-ID': '<sig-0001@havbruk-data.no>' },
      ['Hei! We need an app for our field staff. Can we meet next week?', '', ...signature].join('\r\n'),
    );
    const linksInText = mail(
      { From: 'Kari Lunde <kari.lunde@havbruk-data.no>', Subject: 'App for our field staff', 'Message-ID': '<sig-0002@havbruk-data.no>' },
      ['Hei! See www.havbruk-data.no, linkedin.com/in/karilunde and github.com/havbruk (write to kari.lunde@havbruk-data.no, which is no link), then call.', '', 'Kari'].join('\r\n'),
    );
    const status = async (raw: Buffer) => {
      const { body } = await post(raw).expect(202);
      const [row] = await db.query(`SELECT status, verdict FROM intake_submission WHERE id = $1`, [body.reference]);
      // The learner's view of the words is its own signal; this is about the links.
      return [row.status, row.verdict.reasons.filter((r: { code: string }) => r.code !== 'learner').map((r: { code: string; weight: number }) => [r.code, r.weight])];
    };
    expect(await status(withSignature)).toEqual(['accepted', []]);
    // Counted and shown to a reviewer, but links weigh nothing in a mail (see UNWEIGHED in rule-set.ts).
    expect((await status(linksInText))[1]).toEqual([['too_many_links', 0]]);
  });

  it('an HTML mail nested 20,000 tags deep (which made the HTML parser fail with a 500; 100,000 held the service for seconds) is taken in, its words kept', async () => {
    const deep = mail({ From: 'Kari Lunde <kari.deep@havbruk-data.no>', Subject: 'Dypt', 'Message-ID': '<deep-0001@havbruk-data.no>', 'Content-Type': 'text/html; charset=utf-8' }, `${'<b>'.repeat(20_000)}Hei, vi trenger en app.`);
    const { body } = await post(deep).expect(202);
    const [row] = await db.query(`SELECT status FROM intake_submission WHERE id = $1`, [body.reference]);
    expect(row.status).toBe('accepted');
    expect((await db.query(`SELECT request FROM capture WHERE id = $1`, [body.reference]))[0].request).toContain('Hei, vi trenger en app.');
  });

  it('a very long text is screened on its first 100,000 characters, and the reviewer sees that it was', async () => {
    const text = `Hei, vi trenger en app. ${'Vi har mange ord å si om dette. '.repeat(5_000)}`;
    const verdict = await t.app.get(ScreeningService).judge({ sender: { email: 'kari.long@havbruk-data.no', ip: null }, name: 'Kari Lunde', text, fields: {}, channel: 'email' }, null, 0, new Date());
    expect(verdict.reasons).toContainEqual({ code: 'long_text', tag: 'spam', weight: 0, evidence: { screenedCharacters: SCREENED_TEXT_MAX, characters: text.length } });
    const short = await t.app.get(ScreeningService).judge({ sender: { email: 'kari.long@havbruk-data.no', ip: null }, name: 'Kari Lunde', text: 'Hei, vi trenger en app.', fields: {}, channel: 'email' }, null, 0, new Date());
    expect(short.reasons.map((r) => r.code)).not.toContain('long_text');
  });

  it('refuses what is not a usable mail with a problem document, and stores nothing', async () => {
    const before = await counts();
    const wrongType = await post(FIXTURES.alternative, 'text/plain').expect(415);
    expect(wrongType.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(wrongType.body.detail).toMatch(/message\/rfc822/);
    const noSender = await post(Buffer.from('Subject: hello\r\nMessage-ID: <nosender@x.example>\r\n\r\nWho am I?')).expect(422);
    expect(noSender.body.errors).toEqual([{ field: 'From', message: 'must be an e-mail address' }]);
    const tooLarge = await post(Buffer.concat([FIXTURES.alternative, Buffer.alloc(70_000, 0x61)])).expect(413);
    expect(tooLarge.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(tooLarge.body.detail).toMatch(/larger than .*MAIL_MESSAGE_MAX_BYTES/);
    expect(await counts()).toEqual(before);
  });
});

describe('[SRC-MAIL] mail intake: the inbox poll as a background job', () => {
  it('with JOBS_ENABLED and an inbox configured, a pg-boss job polls every minute, and its worker runs the poller', async () => {
    const t = await startTestApp({ env: { JOBS_ENABLED: 'true', IMAP_HOST: '127.0.0.1', IMAP_PORT: String(await freePort()), IMAP_USER, IMAP_PASSWORD, IMAP_TLS: 'false' } });
    const boss = new PgBoss({ connectionString: t.db.url, schema: 'pgboss', max: 1 });
    try {
      expect(await t.owner.query(`SELECT name, cron FROM pgboss.schedule WHERE name = $1`, [MAIL_POLL])).toEqual([{ name: MAIL_POLL, cron: '* * * * *' }]);
      const poll = jest.spyOn(t.app.get(MailInboxPoller), 'pollOnce');
      await boss.start();
      await boss.send(MAIL_POLL, {});
      const deadline = Date.now() + 30_000;
      while (poll.mock.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(poll).toHaveBeenCalled();
      // Nothing listens on that port: the poll reports it, the job itself does not fail (the next minute tries again).
      await expect(poll.mock.results[0].value).resolves.toMatchObject({ ok: false, error: 'ECONNREFUSED' });
    } finally {
      await boss.stop({ graceful: false, wait: true });
      await t.close();
    }
  });
});
