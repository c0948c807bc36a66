import { createHmac } from 'node:crypto';
import { DataSource } from 'typeorm';
import { NotificationsService, type NotificationOutcome } from '../../src/notifications/notifications.service';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestSmtpServer } from '../helpers/smtp';

const ORIGIN = 'https://www.example.com';

/** A Contact Form 7 form as WordPress posts it: its own field names, mapped through the form's mapping. */
const WORDPRESS_FORM = {
  key: 'contact-us',
  name: 'Contact us',
  allowedOrigins: [ORIGIN],
  fieldMapping: {
    'your-name': 'name',
    'your-email': 'email',
    'tel-734': 'phone',
    'your-company': 'company',
    'your-position': 'position',
    'your-message': 'request',
    'menu-inquiry': 'inquiryType',
    'your-age': 'age',
  },
  defaultInquiryType: 'other',
  inquiryTypeValues: { 'An expert’s take on my project': 'expert_take', 'Download the white paper': 'white_paper' },
  consentFields: { 'acceptance-updates': 'service_updates', 'acceptance-contact': 'request_contact' },
  consentTexts: {
    'acceptance-updates': 'Yes, send me news about your services and events. I can unsubscribe at any time.',
    'acceptance-contact': 'Yes, you may contact me about my request by phone or e-mail.',
  },
};

/** Each post its own words: screening holds bursts of near-identical texts, and these tests are about intake. */
let serial = 0;
const word = (n: number) => n.toString(26).split('').map((c) => String.fromCharCode(97 + parseInt(c, 26))).join('');
const submission = (overrides: Record<string, string> = {}) => ({
  'your-name': 'Kari Nordmann',
  'your-email': '  Kari.Nordmann@Example.NO ',
  'tel-734': '912 34 567',
  'your-company': 'Fjord Analytics AS',
  'your-position': 'CTO',
  'your-message': `We need help migrating our platform.\nSecond line with details about budgets (project ${word(++serial)}).`,
  'menu-inquiry': 'An expert’s take on my project',
  'acceptance-updates': '1',
  _wpcf7: '42',
  _wpcf7_unit_tag: 'wpcf7-f42-p7-o1',
  ...overrides,
});

describe('[SRC-FORM] web-form intake', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  let secret: string;
  const smtp = new TestSmtpServer();

  beforeAll(async () => {
    const { url } = await smtp.start();
    t = await startTestApp({ env: { SMTP_URL: url, SALES_INBOX: 'sales@firm.example', PUBLIC_BASE_URL: 'https://crm.firm.example' } });
    db = t.owner;
    admin = (await t.userWith('admin')).token;
    const created = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(WORDPRESS_FORM).expect(201);
    secret = created.body.signingSecret;
    expect(created.body.submitPath).toBe('/api/intake/forms/contact-us');
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const counts = async () => (await db.query(`SELECT (SELECT count(*)::int FROM person) AS persons, (SELECT count(*)::int FROM capture) AS captures, (SELECT count(*)::int FROM consent_event) AS consents`))[0];
  const post = () => t.http().post('/api/intake/forms/contact-us').set('Origin', ORIGIN);

  it('[LB-CONTRACT][CONSENT-PROOF][RET-FORM] a url-encoded post from the website is stored with legal bases, consent, policy version and retention, then answered 202', async () => {
    const body = new URLSearchParams(submission()).toString();
    const res = await post().type('form').send(body).expect(202);
    expect(res.body).toEqual({ reference: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'accepted' });

    const [capture] = await db.query(`SELECT * FROM capture WHERE id = $1`, [res.body.reference]);
    const [person] = await db.query(`SELECT * FROM person WHERE id = $1`, [capture.person_id]);
    expect(person).toMatchObject({ first_name: 'Kari', last_name: 'Nordmann', email: 'kari.nordmann@example.no', phone: '+4791234567', company_name: 'Fjord Analytics AS', position: 'CTO', status: 'new' });
    expect(capture).toMatchObject({
      source: 'web_form',
      source_ref: 'contact-us',
      raw_body: body,
      inquiry_type: 'expert_take',
      request: new URLSearchParams(body).get('your-message'),
      policy_version: 'en-1',
      retention_anchor: 'collection',
      consents_given: ['service_updates'],
      legal_bases: { handle_request: 'contract', communication_history: 'legitimate_interest', spam_prevention: 'legitimate_interest', service_updates: 'consent' },
    });
    expect(capture.content_type).toMatch(/^application\/x-www-form-urlencoded/);
    expect(capture.payload).toEqual(Object.fromEntries(new URLSearchParams(body)));
    const due = new Date(capture.received_at);
    due.setUTCFullYear(due.getUTCFullYear() + 8);
    expect(new Date(capture.retention_due_at).toISOString()).toBe(due.toISOString());

    const consents = await db.query(`SELECT * FROM consent_event WHERE person_id = $1`, [person.id]);
    expect(consents).toEqual([
      expect.objectContaining({ purpose: 'service_updates', action: 'granted', source: 'web_form', capture_id: capture.id, policy_version: 'en-1', wording: WORDPRESS_FORM.consentTexts['acceptance-updates'], actor_type: 'anonymous' }),
    ]);
    const [activity] = await db.query(`SELECT * FROM activity WHERE person_id = $1`, [person.id]);
    expect(activity).toMatchObject({ type: 'capture', capture_id: capture.id });
    const [audit] = await db.query(`SELECT * FROM audit_log WHERE entity_type = 'person' AND entity_id = $1`, [person.id]);
    expect(audit).toMatchObject({ action: 'person.created', actor_type: 'anonymous' });
    expect(JSON.stringify(audit.changes)).not.toMatch(/Kari|Nordmann|example\.no|91234567/);
  });

  it('the new lead is e-mailed to the sales inbox: who, which form, a link, and only the first line of the request', async () => {
    const res = await post().type('form').send(new URLSearchParams(submission({ 'your-email': 'mail.check@example.no', 'your-name': 'Mail Check' })).toString()).expect(202);
    const [{ person_id }] = await db.query(`SELECT person_id FROM capture WHERE id = $1`, [res.body.reference]);
    // Other tests' notifications arrive too: wait, with a deadline, for this lead's.
    const deadline = Date.now() + 10_000;
    let mail = smtp.messages.find((m) => m.text.includes(person_id));
    while (!mail && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      mail = smtp.messages.find((m) => m.text.includes(person_id));
    }
    if (!mail) throw new Error('no notification for this lead arrived');
    expect(mail.to).toEqual(['sales@firm.example']);
    expect(mail.subject).toContain('Contact us');
    expect(mail.text).toContain('Mail Check');
    expect(mail.text).toContain('Fjord Analytics AS');
    expect(mail.text).toContain(`https://crm.firm.example/persons/${person_id}`);
    expect(mail.text).toContain('We need help migrating our platform.');
    expect(mail.raw).not.toContain('Second line');
  });

  describe('who is told about a known person', () => {
    /** Each notification the service is asked for, by person, with its outcome once settled. */
    const outcomes = new Map<string, Promise<NotificationOutcome>>();
    beforeAll(() => {
      const service = t.app.get(NotificationsService);
      const original = service.newLead.bind(service);
      jest.spyOn(service, 'newLead').mockImplementation((lead) => {
        const outcome = original(lead);
        outcomes.set(lead.personId, outcome);
        return outcome;
      });
    });
    afterAll(() => jest.restoreAllMocks());

    /** The outcome of the notification about this person, once the service was asked (deadline, no sleep-and-hope). */
    const outcomeFor = async (personId: string) => {
      const deadline = Date.now() + 10_000;
      while (!outcomes.has(personId)) {
        if (Date.now() > deadline) throw new Error('no notification was attempted for this lead');
        await new Promise((r) => setTimeout(r, 20));
      }
      return outcomes.get(personId)!;
    };
    const personOf = async (reference: string) => (await db.query(`SELECT person_id FROM capture WHERE id = $1`, [reference]))[0].person_id as string;

    it('[ACCESS-AM] an active customer’s person: only that customer’s account managers are e-mailed, not the sales inbox or the owner', async () => {
      const [am, otherAm, owner] = await Promise.all([t.userWith('account_manager'), t.userWith('account_manager'), t.userWith('sales')]);
      const customer = await t.make.customer({ name: 'Varsel Kunde AS', accountManagerIds: [am.id], person: { email: 'kontakt@varsel-kunde.example', ownerId: owner.id } });
      await t.make.customer({ name: 'Annen Kunde AS', accountManagerIds: [otherAm.id] });
      const res = await post().type('form').send(new URLSearchParams(submission({ 'your-email': 'kontakt@varsel-kunde.example', 'your-name': 'Kunde Kontakt' })).toString()).expect(202);
      expect(await personOf(res.body.reference)).toBe(customer.personId);

      await expect(await outcomeFor(customer.personId)).toBe('sent');
      const about = smtp.messages.filter((m) => m.text.includes(customer.personId));
      expect(about.map((m) => m.to)).toEqual([[am.email]]);
      expect(smtp.messages.filter((m) => m.raw.includes('Kunde Kontakt')).map((m) => m.to)).toEqual([[am.email]]);
    });

    it('[RIGHT-RESTRICT] a restricted person: no one is e-mailed', async () => {
      const dpo = await t.userWith('dpo');
      const { personId } = await t.make.person({ firstName: 'Rikke', email: 'rikke.restricted@example.no' });
      await t.http().post(`/api/persons/${personId}/restriction`).set('Authorization', `Bearer ${dpo.token}`).send({ reason: 'Contests the accuracy of her data' }).expect(200);
      const res = await post().type('form').send(new URLSearchParams(submission({ 'your-email': 'rikke.restricted@example.no', 'your-name': 'Rikke Restricted' })).toString()).expect(202);
      expect(await personOf(res.body.reference)).toBe(personId);

      await expect(await outcomeFor(personId)).toBe('skipped');
      expect(smtp.messages.filter((m) => m.text.includes(personId) || m.raw.includes('Rikke'))).toEqual([]);
    });
  });

  it('a multipart post is mapped the same way', async () => {
    const req = post();
    for (const [k, v] of Object.entries(submission({ 'your-email': 'multi.part@example.no', 'menu-inquiry': 'Download the white paper', 'acceptance-updates': '' }))) req.field(k, v);
    const res = await req.expect(202);
    const [capture] = await db.query(`SELECT c.*, p.email FROM capture c JOIN person p ON p.id = c.person_id WHERE c.id = $1`, [res.body.reference]);
    expect(capture).toMatchObject({ email: 'multi.part@example.no', inquiry_type: 'white_paper', consents_given: [], raw_body: null });
    expect(capture.legal_bases).toEqual({ handle_request: 'legitimate_interest', communication_history: 'legitimate_interest', spam_prevention: 'legitimate_interest' });
    expect(capture.content_type).toMatch(/^multipart\/form-data/);
  });

  it('a multipart post with a file is refused (413), not silently stripped, and stores nothing', async () => {
    const before = await counts();
    const req = post();
    for (const [k, v] of Object.entries(submission({ 'your-email': 'with.file@example.no' }))) req.field(k, v);
    const res = await req.attach('cv', Buffer.from('%PDF-1.4'), 'cv.pdf');
    expect(res.status).toBe(413);
    expect(await counts()).toEqual(before);
  });

  it('a JSON post signed by a relay (HMAC-SHA256 of the raw body) needs no origin; a wrong signature is 401', async () => {
    const body = JSON.stringify({ ...submission({ 'your-email': 'relay@example.no' }), 'acceptance-contact': true });
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const res = await t.http().post('/api/intake/forms/contact-us').set('Content-Type', 'application/json').set('X-Signature', `sha256=${signature}`).send(body).expect(202);
    const [capture] = await db.query(`SELECT raw_body, consents_given FROM capture WHERE id = $1`, [res.body.reference]);
    expect(capture.raw_body).toBe(body);
    expect([...capture.consents_given].sort()).toEqual(['request_contact', 'service_updates']);

    const before = await counts();
    const forged = JSON.stringify({ ...JSON.parse(body), 'your-email': 'forged@example.no' });
    await t.http().post('/api/intake/forms/contact-us').set('Content-Type', 'application/json').set('X-Signature', signature).send(forged).expect(401);
    expect(await counts()).toEqual(before);
  });

  it('without a registered origin or a signature the post is refused, and CORS admits only the form’s origins', async () => {
    await t.http().post('/api/intake/forms/contact-us').send(submission()).expect(403);
    await t.http().post('/api/intake/forms/contact-us').set('Origin', 'https://evil.example').send(submission()).expect(403);

    const allowed = await t.http().options('/api/intake/forms/contact-us').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'POST').expect(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(ORIGIN);
    const other = await t.http().options('/api/intake/forms/contact-us').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const staff = await t.http().options('/api/users').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'GET');
    expect(staff.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('one person, many captures: the same person posting again (any case, then by phone only) is one person; an unticked box withdraws nothing', async () => {
    const first = await post().send(submission({ 'your-email': 'returning@example.no', 'tel-734': '+47 400 00 001' })).expect(202);
    const second = await post().send(submission({ 'your-email': 'RETURNING@example.NO', 'acceptance-updates': '', 'your-position': 'CEO' })).expect(202);
    const third = await post().send(submission({ 'your-email': '', 'tel-734': '400 00 001' })).expect(202);
    const rows = await db.query(`SELECT person_id FROM capture WHERE id = ANY($1)`, [[first.body.reference, second.body.reference, third.body.reference]]);
    expect(new Set(rows.map((r: { person_id: string }) => r.person_id)).size).toBe(1);
    const personId = rows[0].person_id;
    const [person] = await db.query(`SELECT position FROM person WHERE id = $1`, [personId]);
    expect(person.position).toBe('CTO'); // blanks are filled, what is there is kept
    const events = await db.query(`SELECT action FROM consent_event WHERE person_id = $1 AND purpose = 'service_updates'`, [personId]);
    expect(events.map((e: { action: string }) => e.action)).toEqual(['granted', 'granted']);
  });

  it('twenty identical submissions at once make one person with twenty captures', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => post().send(submission({ 'your-email': 'burst@example.no', 'tel-734': '+47 400 00 002' }))));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
    const [row] = await db.query(`SELECT count(DISTINCT person_id)::int AS persons, count(*)::int AS captures FROM capture WHERE id = ANY($1)`, [results.map((r) => r.body.reference)]);
    expect(row).toEqual({ persons: 1, captures: 20 });
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM person WHERE email = 'burst@example.no' OR phone = '+4740000002'`);
    expect(n).toBe(1);
  });

  it('[AGE-16] a person who states an age under 16, or a birth date less than 16 years ago, is refused with a clear 422 and nothing is stored', async () => {
    const before = await counts();
    const young = await post().send(submission({ 'your-email': 'young@example.no', 'your-age': '15' })).expect(422);
    expect(young.body.detail).toMatch(/under 16/);
    expect(young.body.errors).toEqual([{ field: 'your-age', message: 'must be at least 16 years' }]);

    await t.http().patch(`/api/intake-forms/${(await db.query(`SELECT id FROM intake_form WHERE key = 'contact-us'`))[0].id}`).set('Authorization', `Bearer ${admin}`).send({ fieldMapping: { ...WORDPRESS_FORM.fieldMapping, 'date-birth': 'birthDate' } }).expect(200);
    const born = new Date();
    born.setUTCFullYear(born.getUTCFullYear() - 16);
    born.setUTCDate(born.getUTCDate() + 2);
    await post().send(submission({ 'your-email': 'young2@example.no', 'date-birth': born.toISOString().slice(0, 10) })).expect(422);
    expect(await counts()).toEqual(before);
    await post().send(submission({ 'your-email': 'adult@example.no', 'your-age': '16' })).expect(202);
  });

  describe('[AGE-16] an age or birth date given is understood or refused (the audit’s bypasses)', () => {
    const AGE_FORM = { ...WORDPRESS_FORM, key: 'age-gate', fieldMapping: { ...WORDPRESS_FORM.fieldMapping, 'date-birth': 'birthDate' } };
    beforeAll(async () => {
      await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(AGE_FORM).expect(201);
    });
    const postAge = (fields: Record<string, unknown>) => t.http().post('/api/intake/forms/age-gate').set('Origin', ORIGIN).send({ ...submission({ 'your-email': 'age.probe@example.no' }), ...fields });

    it.each<[string, unknown]>([
      ['15', '15'], [' 15 ', ' 15 '], ['015', '015'], ['15 years', '15 years'], ['15 år', '15 år'], ['full-width １５', '１５'], ['Arabic-Indic ١٥', '١٥'], ['0', '0'], ['a list of one', ['15']],
    ])('an age of 15 however written (%s) is refused as under 16', async (_, age) => {
      const res = await postAge({ 'your-age': age }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'your-age', message: 'must be at least 16 years' }]);
    });

    it.each<[string, unknown]>([
      ['15.9', '15.9'], ['15,5', '15,5'], ['fifteen', 'fifteen'], ['-15', '-15'], ['+15', '+15'], ['1.5e1', '1.5e1'], ['0x0F', '0x0F'], ['a NUL', '15\u0000'], ['the JSON number 15.5', 15.5],
    ])('an age that is not a whole number of years (%s) is a 422 saying what to send', async (_, age) => {
      const res = await postAge({ 'your-age': age }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'your-age', message: 'must be a whole number of years, like 34' }]);
    });

    it('an age list of more than one value is refused, not read by its first value', async () => {
      const res = await postAge({ 'your-age': ['40', '15'] }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'your-age', message: 'must be a single value, not a list' }]);
    });

    it.each(['2016-06-01', '2016/06/01', '2016-6-1', '2016-06-01T00:00:00Z', '01.06.2016', '1.6.2016', '20160601', '２０１６-０６-０１'])('a birth date in 2016 written %p is refused as under 16', async (born) => {
      const res = await postAge({ 'date-birth': born }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'date-birth', message: 'must be at least 16 years' }]);
    });

    it.each<[string, unknown]>([
      ['06/01/2016 (month or day first?)', '06/01/2016'], ['June 1, 2016', 'June 1, 2016'], ['a NUL', '2016-06-01\u0000'], ['a date that does not exist', '2016-02-30'],
    ])('a birth date not in an unambiguous form (%s) is a 422 saying what to send', async (_, born) => {
      const res = await postAge({ 'date-birth': born }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'date-birth', message: 'must be a date of birth like 1990-04-30 or 30.04.1990' }]);
    });

    it('a list of birth dates is refused; an adult’s age and date in any accepted form are taken; nothing of the refusals is stored', async () => {
      const before = await counts();
      const [{ n: arrivals }] = await db.query(`SELECT count(*)::int AS n FROM intake_submission`);
      const res = await postAge({ 'date-birth': ['1980-01-01', '2016-06-01'] }).expect(422);
      expect(res.body.errors).toEqual([{ field: 'date-birth', message: 'must be a single value, not a list' }]);
      await postAge({ 'your-age': '15 år', 'date-birth': '1980-01-01' }).expect(422);
      expect(await counts()).toEqual(before);
      expect((await db.query(`SELECT count(*)::int AS n FROM intake_submission`))[0].n).toBe(arrivals);

      const adult = await postAge({ 'your-email': 'adult.forms@example.no', 'your-age': '٤٠ år', 'date-birth': '19800101' }).expect(202);
      const [capture] = await db.query(`SELECT warnings FROM capture WHERE id = $1`, [adult.body.reference]);
      expect(capture.warnings).toEqual([]);
    });
  });

  describe('[CONSENT-PROOF] a consent box grants consent only on a recognised yes', () => {
    const consentOf = async (value: unknown) => {
      const res = await post().send({ ...submission({ 'your-email': 'consent.probe@example.no' }), 'acceptance-updates': value }).expect(202);
      const [capture] = await db.query(`SELECT consents_given, warnings FROM capture WHERE id = $1`, [res.body.reference]);
      const events = await db.query(`SELECT purpose FROM consent_event WHERE capture_id = $1`, [res.body.reference]);
      return { consents: capture.consents_given, events: events.length, warnings: capture.warnings };
    };

    it.each<unknown>(['1', 'on', 'yes', 'ja', 'JA', 'true', 'x', '✓', true, 1, ['1'], 'Ja, jeg vil motta nyhetsbrev', 'Yes, send me news'])('%p grants it', async (value) => {
      expect(await consentOf(value)).toEqual({ consents: ['service_updates'], events: 1, warnings: [] });
    });

    it.each<unknown>(['0', 'off', 'no', 'nei', 'NEI', 'false', '', false, 0, 'Nei takk'])('%p is a recognised no: none, no warning', async (value) => {
      expect(await consentOf(value)).toEqual({ consents: [], events: 0, warnings: [] });
    });

    it.each<unknown>(['maybe', 'jabba', 'yesterday', '2', ['1', '0']])('%p is no consent, and the capture says the form sends an odd value', async (value) => {
      expect(await consentOf(value)).toEqual({ consents: [], events: 0, warnings: [{ field: 'acceptance-updates', message: 'is not a recognised yes or no; no consent was recorded' }] });
    });
  });

  it('a list for a one-value field is refused naming the field; a custom checkbox group keeps its list, counted against the length limit', async () => {
    const before = await counts();
    const two = await post().send({ ...submission(), 'your-email': ['first@example.no', 'second@example.no'] }).expect(422);
    expect(two.body.errors).toEqual([{ field: 'your-email', message: 'must be a single value, not a list' }]);
    const long = await post().send({ ...submission({ 'your-email': 'long.list@example.no' }), 'your-name': Array(40_000).fill('ab') }).expect(422);
    expect(long.body.errors).toEqual([{ field: 'your-name', message: 'must have at most 100 values' }]);
    const wide = await post().send({ ...submission({ 'your-email': 'long.list@example.no' }), 'services': Array(50).fill('x'.repeat(500)) }).expect(422);
    expect(wide.body.errors).toEqual([{ field: 'services', message: 'must be at most 20000 characters' }]);
    expect(await counts()).toEqual(before);

    const ok = await post().send({ ...submission({ 'your-email': 'checkbox.group@example.no' }), 'menu-inquiry': ['Download the white paper'], services: ['Cloud', 'Data'] }).expect(202);
    const [capture] = await db.query(`SELECT inquiry_type, payload FROM capture WHERE id = $1`, [ok.body.reference]);
    expect(capture.inquiry_type).toBe('white_paper');
    expect(capture.payload.services).toEqual(['Cloud', 'Data']);
  });

  it('an e-mail address with a NUL, another control character or U+FFFD is a 422 naming the field, even beside a phone number', async () => {
    const before = await counts();
    for (const email of ['nul\u0000@probe-mail.example', 'bell\u0007@probe-mail.example', 'fffd\ufffd@probe-mail.example', 'zero\u200bwidth@probe-mail.example']) {
      const res = await post().send(submission({ 'your-email': email })).expect(422);
      expect(res.body.errors).toEqual([{ field: 'your-email', message: 'must be an e-mail address without control characters' }]);
    }
    expect(await counts()).toEqual(before);
  });

  it('no way to reach the person is a 422 naming each field as the form names it, and nothing is stored', async () => {
    const before = await counts();
    const res = await post().send(submission({ 'your-name': '', 'your-email': 'kari(at)example.no', 'tel-734': '12' })).expect(422);
    expect(res.body.errors).toEqual([
      { field: 'your-email', message: 'must be an e-mail address' },
      { field: 'tel-734', message: 'must be a phone number' },
    ]);
    const neither = await post().send(submission({ 'your-email': '', 'tel-734': '' })).expect(422);
    expect(neither.body.errors).toEqual([{ field: 'your-email', message: 'please give an e-mail address or a phone number' }]);
    await post().send({ ...submission(), 'your-name': { first: 'Kari' } }).expect(422);
    await post().type('form').send('your-name=').expect(422);
    expect(await counts()).toEqual(before);
  });

  it('a bad optional value loses no lead: kept as given in the payload, left off the person, shown as a warning on the record', async () => {
    const res = await post().send(submission({ 'your-name': '', 'your-email': 'optional.bad@example.no', 'tel-734': '12' })).expect(202);
    const [capture] = await db.query(`SELECT person_id, payload, warnings FROM capture WHERE id = $1`, [res.body.reference]);
    expect(capture.warnings).toEqual([
      { field: 'your-name', message: 'no name was given' },
      { field: 'tel-734', message: 'must be a phone number' },
    ]);
    expect(capture.payload).toMatchObject({ 'tel-734': '12' });
    const [person] = await db.query(`SELECT email, phone, first_name FROM person WHERE id = $1`, [capture.person_id]);
    expect(person).toEqual({ email: 'optional.bad@example.no', phone: null, first_name: null });
    const record = await t.http().get(`/api/persons/${capture.person_id}`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(record.body.captures[0].warnings).toEqual(capture.warnings);

    const byPhone = await post().send(submission({ 'your-email': 'not an address', 'tel-734': '+47 412 34 999' })).expect(202);
    const [phoneCapture] = await db.query(`SELECT warnings FROM capture WHERE id = $1`, [byPhone.body.reference]);
    expect(phoneCapture.warnings).toEqual([{ field: 'your-email', message: 'must be an e-mail address' }]);
  });

  it('a form’s subject field can be mapped: it heads the request', async () => {
    const form = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`)
      .send({ ...WORDPRESS_FORM, key: 'with-subject', fieldMapping: { ...WORDPRESS_FORM.fieldMapping, 'your-subject': 'subject' } }).expect(201);
    expect(form.body.fieldMapping['your-subject']).toBe('subject');
    const res = await t.http().post('/api/intake/forms/with-subject').set('Origin', ORIGIN).send(submission({ 'your-email': 'subject@example.no', 'your-subject': 'Migration quote', 'your-message': 'Details follow.' })).expect(202);
    const [capture] = await db.query(`SELECT request FROM capture WHERE id = $1`, [res.body.reference]);
    expect(capture.request).toBe('Migration quote\n\nDetails follow.');
  });

  it('[CONSENT-PROOF] a consent checkbox needs the exact text the site shows; a changed text is a new version, and the ledger records what the person read', async () => {
    const missing = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...WORDPRESS_FORM, key: 'no-texts', consentTexts: { 'acceptance-updates': 'Send me news.' } }).expect(422);
    expect(missing.body.errors).toEqual([{ field: 'consentTexts.acceptance-contact', message: expect.stringMatching(/exact text the site shows/) }]);
    const created = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...WORDPRESS_FORM, key: 'texts' }).expect(201);
    expect(created.body.consentTextsVersion).toBe(1);
    const reworded = 'Ja takk, send meg nyheter om tjenester og arrangementer.';
    const updated = await t.http().patch(`/api/intake-forms/${created.body.id}`).set('Authorization', `Bearer ${admin}`).send({ consentTexts: { ...WORDPRESS_FORM.consentTexts, 'acceptance-updates': reworded } }).expect(200);
    expect(updated.body.consentTextsVersion).toBe(2);
    const res = await t.http().post('/api/intake/forms/texts').set('Origin', ORIGIN).send(submission({ 'your-email': 'reworded@example.no' })).expect(202);
    const [event] = await db.query(`SELECT wording FROM consent_event WHERE capture_id = $1 AND purpose = 'service_updates'`, [res.body.reference]);
    expect(event.wording).toBe(reworded);
  });

  it('[SRC-FORM] a plain HTML post (no JavaScript) lands on the form’s thank-you page; JSON callers keep the 202; the embed script points the form here', async () => {
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...WORDPRESS_FORM, key: 'plain-html', thankYouUrl: 'https://www.example.com/thanks' }).expect(201);
    const html = await t.http().post('/api/intake/forms/plain-html').set('Origin', ORIGIN).set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8')
      .type('form').send(new URLSearchParams(submission({ 'your-email': 'plain.html@example.no' })).toString()).expect(303);
    expect(html.headers.location).toBe('https://www.example.com/thanks');
    expect(await db.query(`SELECT 1 FROM person WHERE email = 'plain.html@example.no'`)).toHaveLength(1);
    await t.http().post('/api/intake/forms/plain-html').set('Origin', ORIGIN).set('Accept', 'application/json').send(submission({ 'your-email': 'json.caller@example.no' })).expect(202);
    const noPage = await t.http().post('/api/intake/forms/contact-us').set('Origin', ORIGIN).set('Accept', 'text/html').type('form').send(new URLSearchParams(submission({ 'your-email': 'no.page@example.no' })).toString()).expect(200);
    expect(noPage.headers['content-type']).toMatch(/^text\/html/);

    const script = await t.http().get('/api/intake/forms/plain-html/embed.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^application\/javascript/);
    expect(script.text).toContain('https://crm.firm.example/api/intake/forms/plain-html');
    expect(script.text).toContain('data-crm-form');
    await t.http().get('/api/intake/forms/no-such-form/embed.js').expect(404);
  });

  it('the embed script posts to PUBLIC_BASE_URL whatever Host the request names, so a shared cache never serves a forged target', async () => {
    const forged = await t.http().get('/api/intake/forms/contact-us/embed.js').set('Host', 'evil.example').expect(200);
    expect(forged.text).not.toContain('evil.example');
    expect(forged.text).toContain('"https://crm.firm.example/api/intake/forms/contact-us"');
    expect(forged.headers['cache-control']).toBe('public, max-age=300');
    const plain = await t.http().get('/api/intake/forms/contact-us/embed.js').expect(200);
    expect(plain.text).toBe(forged.text);
  });

  it('one Idempotency-Key sent twice at once with different content: one post is taken, the other is a 422, and only one is stored', async () => {
    const before = await counts();
    const [a, b] = await Promise.all([
      post().set('Idempotency-Key', 'at-once-1').send(submission({ 'your-email': 'at.once.a@example.no' })),
      post().set('Idempotency-Key', 'at-once-1').send(submission({ 'your-email': 'at.once.b@example.no' })),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 422]);
    expect((await counts()).captures).toBe(before.captures + 1);
  });

  it('an unknown or archived form is a 404; a bad mapping is refused when the form is registered', async () => {
    await t.http().post('/api/intake/forms/no-such-form').set('Origin', ORIGIN).send(submission()).expect(404);
    const form = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...WORDPRESS_FORM, key: 'old-form' }).expect(201);
    await t.http().delete(`/api/intake-forms/${form.body.id}`).set('Authorization', `Bearer ${admin}`).expect(200);
    await t.http().post('/api/intake/forms/old-form').set('Origin', ORIGIN).send(submission()).expect(404);

    const bad = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...WORDPRESS_FORM, key: 'bad-form', fieldMapping: { 'your-name': 'name', 'x': 'shoe-size' } }).expect(422);
    expect(bad.body.errors).toEqual(expect.arrayContaining([{ field: 'fieldMapping.x', message: expect.stringContaining('must be one of') }, { field: 'fieldMapping', message: 'must map a field to email or phone' }]));
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(WORDPRESS_FORM).expect(409);
  });
});
