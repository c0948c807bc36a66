import { IntakeFormsService } from '../../src/intake/forms/intake-forms.service';
import { runAsSystem } from '../../src/access/access-context';
import { DataSource } from 'typeorm';
import { ReviewService } from '../../src/quarantine/review.service';
import { RENDER_TOKEN_FIELD, ScreeningService } from '../../src/screening/screening.service';
import { tokenKey } from '../../src/screening/learner';
import { LeadsService } from '../../src/leads/leads.service';
import { SYSTEM_ACTOR } from '../../src/domain/actor';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestSmtpServer } from '../helpers/smtp';

const ORIGIN = 'https://www.example.com';
const FORM = {
  key: 'contact',
  name: 'Contact',
  allowedOrigins: [ORIGIN],
  fieldMapping: { name: 'name', email: 'email', phone: 'phone', message: 'request', skype: 'skypeId' },
  defaultInquiryType: 'services',
  honeypotField: 'website',
  minFillSeconds: 3,
};

let serial = 0;
const word = () => (++serial).toString(26).split('').map((c) => String.fromCharCode(97 + parseInt(c, 26))).join('');

describe('[SPAM-BLOCK][SPAM-WORDS][SPAM-MANUAL][NO-AUTO-DECISION] screening and review', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  let sales: string;
  /** A render token as a page rendered a while ago would carry (signed by the service itself); single-use, so one per post. */
  let freshToken: () => string;
  const smtp = new TestSmtpServer();

  beforeAll(async () => {
    const { url } = await smtp.start();
    t = await startTestApp({ env: { SMTP_URL: url, SALES_INBOX: 'sales@firm.example' } });
    db = t.owner;
    admin = (await t.userWith('admin')).token;
    sales = (await t.userWith('sales')).token;
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(FORM).expect(201);
    const rendered = await t.http().get('/api/intake/forms/contact/render-token').expect(200);
    expect(rendered.body.field).toBe(RENDER_TOKEN_FIELD);
    // The page rendered a while ago: make the token as if rendered 60 s before (signed by the service itself).
    const svc = t.app.get(ScreeningService);
    const form = (await db.query(`SELECT key, signing_secret AS "signingSecret", honeypot_field AS "honeypotField", min_fill_seconds AS "minFillSeconds" FROM intake_form WHERE key = 'contact'`))[0];
    let renders = 0;
    freshToken = () => svc.renderToken(form, Date.now() - 60_000 - ++renders);
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  const fields = (overrides: Record<string, string | undefined> = {}) => {
    const f: Record<string, string | undefined> = {
      name: 'Ingrid Solberg',
      email: `ingrid.${word()}@solberg.example`,
      phone: '',
      message: `We would like a quote for a new customer portal, project ${word()}.`,
      website: '',
      [RENDER_TOKEN_FIELD]: freshToken(),
      ...overrides,
    };
    return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Record<string, string>;
  };
  const post = (f: Record<string, string>, ip?: string) => {
    const req = t.http().post('/api/intake/forms/contact').set('Origin', ORIGIN);
    if (ip) req.set('X-Forwarded-For', ip);
    return req.send(f);
  };
  const submissionOf = async (reference: string) => (await db.query(`SELECT * FROM intake_submission WHERE id = $1`, [reference]))[0];
  const counts = async () =>
    (await db.query(`SELECT (SELECT count(*)::int FROM person) AS persons, (SELECT count(*)::int FROM hubspot_outbox) AS outbox, (SELECT count(*)::int FROM capture) AS captures`))[0];
  const reasonsOf = async (reference: string) => ((await submissionOf(reference)).verdict.reasons as { code: string; evidence: Record<string, unknown> }[]);

  it('a clean submission goes straight through, and its raw arrival is kept with its verdict', async () => {
    const res = await post(fields()).expect(202);
    const s = await submissionOf(res.body.reference);
    expect(s).toMatchObject({ status: 'accepted', channel: 'web_form' });
    expect(s.verdict).toMatchObject({ outcome: 'clean', threshold: 1, ruleSetVersion: expect.stringMatching(/^3\.[0-9a-f]{12}$/), modelVersion: expect.stringMatching(/^nb2-[0-9a-f]{10}\+\d+s\d+h$/) });
    expect(s.verdict.score).toBeLessThan(1);
    expect((await db.query(`SELECT id FROM capture WHERE id = $1`, [res.body.reference])).length).toBe(1);
  });

  it('each signal is kept with its weight and evidence; a held submission makes no person, no sync row and no notification', async () => {
    // [the signal, the submission, whether it holds]: bot traps and markup or links in a name hold alone; content signals add up.
    const cases: [string, Record<string, string | undefined>, boolean][] = [
      ['keyword', { message: `Grow your business: we sell verified LEADS and an email database, offer ${word()}.` }, true], // two phrases
      ['keyword', { message: `Hei, vi har et lånetilbud og hurtiglån uten sikkerhet til dere, ${word()}.` }, true], // folded: matches "lanetilbud" too
      ['too_many_links', { message: `See https://a.example/${word()} and https://b.example and www.c-shop.com and d-deals.no` }, false],
      ['url_in_name', { name: 'Cheap meds https://pills.example' }, true],
      ['html', { name: '<a href="https://x.example">Bob</a>' }, true],
      ['disposable_email', { email: `someone.${word()}@mailinator.com` }, false],
      ['disposable_email', { email: `someone.${word()}@eu.mailinator.com` }, false], // a subdomain counts as its registrable domain
      ['honeypot_filled', { website: 'https://spam.example' }, true],
      ['honeypot_missing', { website: undefined }, true],
      ['render_token_missing', { [RENDER_TOKEN_FIELD]: undefined }, true],
      ['render_token_forged', { [RENDER_TOKEN_FIELD]: `${Date.now() - 60_000}.forged` }, true],
      ['foreign_script', { message: `Здравствуйте! Продвижение сайтов в поисковых системах, недорого, ${word()}` }, false],
    ];
    await smtp.waitForMessages(1); // the clean one above
    smtp.clear();
    for (const [code, override, holds] of cases) {
      const before = await counts();
      const res = await post(fields(override)).expect(202);
      expect(res.body).toEqual({ reference: expect.any(String), status: 'accepted' }); // the same answer: no oracle
      const s = await submissionOf(res.body.reference);
      const signal = (s.verdict.reasons as { code: string; weight?: number; decisive?: boolean }[]).find((r) => r.code === code);
      expect({ code, signal: signal && (signal.decisive === true || typeof signal.weight === 'number') }).toEqual({ code, signal: true });
      const score = (s.verdict.reasons as { weight?: number }[]).reduce((n, r) => n + (r.weight ?? 0), 0);
      expect(s.verdict.score).toBeCloseTo(score, 2);
      expect({ code, status: s.status, outcome: s.verdict.outcome }).toEqual({ code, status: holds ? 'held' : 'accepted', outcome: holds ? 'held' : 'clean' });
      if (holds) expect(await counts()).toEqual(before);
    }
    const [keyword] = await reasonsOf((await db.query(`SELECT id FROM intake_submission WHERE fields->>'message' LIKE 'Grow your business%'`))[0].id);
    expect(keyword.evidence).toMatchObject({ matches: expect.arrayContaining(['email database']) });
  });

  it('lead-like sentences are not held: colleagues’ addresses, ASP.NET, List<Customer>, a budget, a rate, everyday business words', async () => {
    const leads = [
      'Please loop in my colleagues ola.nordmann@solberg.example, kari.hansen@solberg.example and per.berg@solberg.example.',
      'We run ASP.NET, VB.NET and some classic ASP; we need help moving to .NET 8.',
      'Our API returns a List<Customer> and a Map<String, Order>; the mobile app needs the same.',
      'We have only $40,000 budget for the first phase of the portal.',
      'Our current contractor charges $150/hr; what would you charge for a React developer?',
      'The decision makers want a demo of the working capital dashboard before the annual fee review.',
      'Could you also look at your homepage example for the case study we discussed?',
    ];
    for (const message of leads) {
      const res = await post(fields({ message: `${message} (${word()})` })).expect(202);
      const s = await submissionOf(res.body.reference);
      expect({ message, status: s.status }).toEqual({ message, status: 'accepted' });
    }
  });

  it('all free text is screened: a company, position or custom field, not only the name and message', async () => {
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...FORM, key: 'contact-full', fieldMapping: { ...FORM.fieldMapping, company: 'company', title: 'position' } }).expect(201);
    const svc = t.app.get(ScreeningService);
    const form = (await db.query(`SELECT key, signing_secret AS "signingSecret", honeypot_field AS "honeypotField", min_fill_seconds AS "minFillSeconds" FROM intake_form WHERE key = 'contact-full'`))[0];
    const send = (extra: Record<string, string>) =>
      t.http().post('/api/intake/forms/contact-full').set('Origin', ORIGIN).send({ ...fields({ [RENDER_TOKEN_FIELD]: svc.renderToken(form, Date.now() - 60_000) }), ...extra }).expect(202);
    const res = await send({ company: 'https://cheap-pills.xyz', title: 'Buy backlinks, guest post, dofollow', budget: 'double your bitcoin' });
    const s = await submissionOf(res.body.reference);
    expect(s.status).toBe('held');
    const codes = (s.verdict.reasons as { code: string; evidence: Record<string, unknown> }[]).map((r) => r.code);
    expect(codes).toEqual(expect.arrayContaining(['keyword', 'url_in_name']));
    const matched = (s.verdict.reasons as { code: string; evidence: { matches?: string[] } }[]).flatMap((r) => r.evidence.matches ?? []);
    expect(matched).toEqual(expect.arrayContaining(['backlinks', 'guest post', 'dofollow', 'double your bitcoin']));
  });

  it('a submission faster than the form’s minimum after rendering is held', async () => {
    const svc = t.app.get(ScreeningService);
    const form = (await db.query(`SELECT key, signing_secret AS "signingSecret", honeypot_field AS "honeypotField", min_fill_seconds AS "minFillSeconds" FROM intake_form WHERE key = 'contact'`))[0];
    const res = await post(fields({ [RENDER_TOKEN_FIELD]: svc.renderToken(form, Date.now() - 1000) })).expect(202);
    const reasons = await reasonsOf(res.body.reference);
    expect(reasons.find((r) => r.code === 'too_fast')).toMatchObject({ code: 'too_fast', weight: 1, evidence: { minimum: 3 } });
    expect((await submissionOf(res.body.reference)).status).toBe('held');
  });

  it('a burst of near-identical submissions is held from the third copy in ten minutes', async () => {
    const text = `Limited partnership offer for your company, reply to claim, ${word()}`;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await submissionOf((await post(fields({ message: `${text} ${i}` })).expect(202)).body.reference)).status);
    expect(statuses).toEqual(['accepted', 'accepted', 'accepted', 'held', 'held']);
  });

  it('a block-listed sender is blocked at the server: no lead, only the attempt with minimal data, the same 202', async () => {
    await t.http().post('/api/screening/senders').set('Authorization', `Bearer ${admin}`).send({ list: 'block', type: 'email_domain', value: 'fraud.example', tag: 'swindler', reason: 'Fake invoices' }).expect(201);
    await t.http().post('/api/screening/senders').set('Authorization', `Bearer ${admin}`).send({ list: 'block', type: 'cidr', value: '203.0.113.0/24', tag: 'spam' }).expect(201);
    await t.http().post('/api/screening/senders').set('Authorization', `Bearer ${admin}`).send({ list: 'block', type: 'phone', value: '+47 900 00 000' }).expect(201);
    const before = await counts();
    const byDomain = await post(fields({ email: 'billing@accounts.fraud.example', message: 'Your invoice is attached' })).expect(202);
    const byPhone = await post(fields({ phone: '900 00 000' })).expect(202);
    for (const ref of [byDomain.body.reference, byPhone.body.reference]) {
      const s = await submissionOf(ref);
      expect(s).toMatchObject({ status: 'blocked', fields: {}, raw_body: null, sender_email: null });
      expect(s.verdict.reasons[0]).toMatchObject({ code: 'blocklist' });
    }
    expect((await submissionOf(byDomain.body.reference)).verdict.reasons[0]).toMatchObject({ tag: 'swindler', evidence: { type: 'email_domain', value: 'fraud.example' } });
    expect(await counts()).toEqual(before);
  });

  it('an IP in a blocked range is blocked (behind the trusted proxy, the client address counts)', async () => {
    const t2 = await startTestApp({ db: t.db, env: { TRUST_PROXY: '127.0.0.1' } });
    try {
      const res = await t2.http().post('/api/intake/forms/contact').set('Origin', ORIGIN).set('X-Forwarded-For', '203.0.113.77').send(fields()).expect(202);
      const s = (await t2.owner.query(`SELECT status, verdict FROM intake_submission WHERE id = $1`, [res.body.reference]))[0];
      expect(s.status).toBe('blocked');
      expect(s.verdict.reasons[0].evidence).toMatchObject({ type: 'cidr', value: '203.0.113.0/24' });
    } finally {
      await t2.close();
    }
  });

  it('staff list held items with reasons and highlights, filtered by reason and form; release processes it with its original time and allow-lists the sender', async () => {
    const email = `released.${word()}@solberg.example`;
    const held = await post(fields({ email, message: `Please rank your website higher with our backlinks, we are not spammers, ${word()}` })).expect(202);
    const page = await t.http().get('/api/quarantine?reason=keyword&limit=200').set('Authorization', `Bearer ${sales}`).expect(200);
    const item = page.body.items.find((i: { id: string }) => i.id === held.body.reference);
    expect(item).toMatchObject({ highlights: expect.arrayContaining(['rank your website', 'backlinks']), fields: expect.objectContaining({ email }), score: expect.any(Number), threshold: 1 });
    expect(item.reasons.every((r: { weight?: number; decisive?: boolean }) => typeof r.weight === 'number' || r.decisive)).toBe(true);
    const none = await t.http().get('/api/quarantine?reason=burst&limit=200').set('Authorization', `Bearer ${sales}`).expect(200);
    expect(none.body.items.map((i: { id: string }) => i.id)).not.toContain(held.body.reference);

    const receivedAt = (await submissionOf(held.body.reference)).received_at;
    const decided = await t.http().post('/api/quarantine/decisions').set('Authorization', `Bearer ${sales}`).send({ ids: [held.body.reference], decision: 'release', comment: 'A real client' }).expect(200);
    expect(decided.body).toEqual([{ id: held.body.reference, outcome: 'released' }]);
    const [capture] = await db.query(`SELECT * FROM capture WHERE id = $1`, [held.body.reference]);
    expect(new Date(capture.received_at).toISOString()).toBe(new Date(receivedAt).toISOString());
    expect(capture.actor_type).toBe('anonymous'); // the data is the sender's, not the reviewer's
    const [audit] = await db.query(`SELECT actor_type FROM audit_log WHERE action = 'submission.released' AND entity_id = $1`, [held.body.reference]);
    expect(audit.actor_type).toBe('user');
    expect((await submissionOf(held.body.reference)).status).toBe('released');
    const [log] = await db.query(`SELECT * FROM review_decision WHERE submission_id = $1`, [held.body.reference]);
    expect(log).toMatchObject({ from_status: 'held', to_status: 'released', comment: 'A real client' });
    const [outbox] = await db.query(`SELECT count(*)::int AS n FROM hubspot_outbox WHERE person_id = $1`, [capture.person_id]);
    expect(outbox.n).toBe(1);

    // The same sender, the same words: not held again.
    const again = await post(fields({ email, message: `Please rank your website higher, again, ${word()}` })).expect(202);
    expect((await submissionOf(again.body.reference)).status).toBe('accepted');
    // Deciding it twice changes nothing.
    const twice = await t.http().post('/api/quarantine/decisions').set('Authorization', `Bearer ${sales}`).send({ ids: [held.body.reference], decision: 'spam' }).expect(200);
    expect(twice.body[0].outcome).toMatch(/^not held/);
  });

  it('spam, spam and block, in bulk: logged, and the blocked sender is blocked next time', async () => {
    const spammer = `seo.${word()}@rankers.example`;
    const a = await post(fields({ email: spammer, message: `Guest post offer with dofollow links, link building and paid link insertion ${word()}` })).expect(202);
    const b = await post(fields({ message: `Buy backlinks today, guest posts with dofollow links ${word()}` })).expect(202);
    const res = await t.http().post('/api/quarantine/decisions').set('Authorization', `Bearer ${admin}`).send({ ids: [a.body.reference, b.body.reference], decision: 'spam_and_block' }).expect(200);
    expect(res.body.map((r: { outcome: string }) => r.outcome)).toEqual(['spam', 'spam']);
    const logs = await db.query(`SELECT to_status FROM review_decision WHERE submission_id = ANY($1)`, [[a.body.reference, b.body.reference]]);
    expect(logs).toHaveLength(2);
    const next = await post(fields({ email: spammer, message: `A perfectly normal question ${word()}` })).expect(202);
    expect((await submissionOf(next.body.reference)).status).toBe('blocked');
    const c = await post(fields({ message: `Cheap viagra and cialis from our online pharmacy ${word()}` })).expect(202);
    await t.http().post('/api/quarantine/decisions').set('Authorization', `Bearer ${sales}`).send({ ids: [c.body.reference], decision: 'spam' }).expect(200);
    expect((await submissionOf(c.body.reference)).status).toBe('spam');
  });

  it('[SPAM-MANUAL] a person’s decision teaches the learner, stored in PostgreSQL: a release teaches ham, spam teaches spam, every instance scores with the same model', async () => {
    const lessons = async () => (await db.query(`SELECT label, count(*)::int AS n FROM screening_lesson GROUP BY label ORDER BY label`)) as { label: string; n: number }[];
    const before = await lessons();
    const n = (label: string, rows = before) => rows.find((r) => r.label === label)?.n ?? 0;
    const oddWord = `zq${word()}${word()}`; // a word no model has seen
    const ham = await post(fields({ message: `Guest post and dofollow link building for our ${oddWord} portal, quote please ${word()}` })).expect(202);
    const spam = await post(fields({ message: `Guest post, dofollow, link building: ${oddWord} ${word()}` })).expect(202);
    expect((await submissionOf(ham.body.reference)).status).toBe('held');
    expect((await submissionOf(spam.body.reference)).status).toBe('held');
    await t.http().post('/api/quarantine/decisions').set('Authorization', `Bearer ${sales}`).send({ ids: [ham.body.reference], decision: 'release' }).expect(200);
    await t.http().post('/api/quarantine/decisions').set('Authorization', `Bearer ${sales}`).send({ ids: [spam.body.reference], decision: 'spam' }).expect(200);
    const after = await lessons();
    expect({ ham: n('ham', after) - n('ham'), spam: n('spam', after) - n('spam') }).toEqual({ ham: 1, spam: 1 });
    // Words are kept as hashes, never as text: the odd word is nowhere in the learned counts, its hash is, seen once as ham and once as spam.
    expect(await db.query(`SELECT 1 FROM screening_learned_word WHERE key LIKE $1`, [`%${oddWord}%`])).toEqual([]);
    const [learned] = await db.query(`SELECT spam, ham FROM screening_learned_word WHERE key = $1`, [tokenKey(oddWord)]);
    expect(learned).toEqual({ spam: 1, ham: 1 });
    // A decision is learned once: deciding again changes nothing.
    await t.http().post('/api/quarantine/decisions').set('Authorization', `Bearer ${sales}`).send({ ids: [spam.body.reference], decision: 'spam' }).expect(200);
    expect(await lessons()).toEqual(after);
    // Another instance on the same database scores with the same model, and names it in its verdicts.
    const t2 = await startTestApp({ db: t.db });
    try {
      const dry = (app: TestApp) => app.http().post('/api/screening/dry-run').set('Authorization', `Bearer ${admin}`).send({ text: `A question about our ${oddWord} portal and its guest post pages, please call me back` }).expect(200);
      const [one, two] = [await dry(t), await dry(t2)];
      expect(two.body.modelVersion).toBe(one.body.modelVersion);
      expect(one.body.modelVersion).toMatch(new RegExp(`\\+${n('spam', after)}s${n('ham', after)}h$`));
      expect(two.body.reasons.find((r: { code: string }) => r.code === 'learner')).toEqual(one.body.reasons.find((r: { code: string }) => r.code === 'learner'));
    } finally {
      await t2.close();
    }
  });

  it('[RET-ACTION] unreviewed held items and confirmed spam are purged after the retention period; accepted arrivals keep no sender data; a stuck one is held, not lost', async () => {
    const old = await post(fields({ message: `Earn money from home, act now, 100% free ${word()}` })).expect(202);
    const recent = await post(fields({ message: `Earn money from home too, act now, 100% free ${word()}` })).expect(202);
    await db.query(`UPDATE intake_submission SET received_at = now() - interval '91 days' WHERE id = $1`, [old.body.reference]);
    const accepted = await post(fields()).expect(202);
    await db.query(`UPDATE intake_submission SET received_at = now() - interval '2 days' WHERE id = $1`, [accepted.body.reference]);
    const stuck = '00000000-0000-4000-8000-00000000beef';
    await db.query(`INSERT INTO intake_submission (id, channel, fields, status, received_at) VALUES ($1, 'web_form', '{"message":"a crash left me here"}', 'received', now() - interval '2 hours')`, [stuck]);

    const purged = await t.app.get(ReviewService).purge();
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await submissionOf(old.body.reference)).toBeUndefined();
    expect(await submissionOf(recent.body.reference)).toBeDefined();
    // Accepted: the capture has the content; the arrival keeps no sender data past a day.
    expect(await submissionOf(accepted.body.reference)).toMatchObject({ status: 'accepted', fields: {}, raw_body: null, sender_email: null, ip: null });
    // Stuck mid-way: held for a person to look at, not lost.
    expect(await submissionOf(stuck)).toMatchObject({ status: 'held', verdict: { reasons: [{ code: 'processing_failed' }] } });
  });

  it('rules are administered through the API: a bad or catastrophic regex is refused; a dry run shows what would fire', async () => {
    const bad = await t.http().post('/api/screening/rules').set('Authorization', `Bearer ${admin}`).send({ kind: 'regex', pattern: '(unclosed', tag: 'spam' }).expect(422);
    expect(bad.body.errors[0]).toMatchObject({ field: 'pattern', message: expect.stringMatching(/does not compile/) });
    // Rules run in a linear-time engine (RE2): what backtracks elsewhere is harmless, what needs backtracking is refused at save time.
    for (const pattern of ['(a)\\1', 'foo(?=bar)']) {
      const refused = await t.http().post('/api/screening/rules').set('Authorization', `Bearer ${admin}`).send({ kind: 'regex', pattern, tag: 'spam' }).expect(422);
      expect(refused.body.errors[0]).toMatchObject({ field: 'pattern', message: expect.stringMatching(/linear-time engine.*(backreference|escape|perl|capture|group|lookahead|invalid)/is) });
    }
    const pathological = await t.http().post('/api/screening/rules').set('Authorization', `Bearer ${admin}`).send({ kind: 'regex', pattern: '(a|a)+$', tag: 'spam' }).expect(201);
    const screened = await t.http().post('/api/screening/dry-run').set('Authorization', `Bearer ${admin}`).send({ text: `${'a'.repeat(28)}!` }).expect(200);
    expect(screened.body.reasons.map((r: { code: string }) => r.code)).not.toContain('keyword');
    await t.http().delete(`/api/screening/rules/${pathological.body.id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    const rule = await t.http().post('/api/screening/rules').set('Authorization', `Bearer ${admin}`).send({ kind: 'phrase', pattern: 'Øyeblikkelig gevinst', tag: 'misleading', weight: 1 }).expect(201);
    expect(rule.body.weight).toBe(1);
    const dry = await t.http().post('/api/screening/dry-run').set('Authorization', `Bearer ${admin}`).send({ name: 'X', email: 'x@example.com', text: 'Få ØYEBLIKKELIG gevinst nå!' }).expect(200);
    expect(dry.body).toMatchObject({ outcome: 'held', threshold: 1, reasons: expect.arrayContaining([{ code: 'keyword', tag: 'misleading', weight: 1, evidence: { ruleId: rule.body.id, pattern: 'Øyeblikkelig gevinst', matches: ['oyeblikkelig gevinst'] } }]) });
    const partial = await t.http().post('/api/screening/dry-run').set('Authorization', `Bearer ${admin}`).send({ text: 'gevinster av øyeblikkelig gevinstnivå' }).expect(200);
    expect(partial.body.reasons.map((r: { code: string }) => r.code)).not.toContain('keyword'); // whole words only
    await t.http().delete(`/api/screening/rules/${rule.body.id}`).set('Authorization', `Bearer ${admin}`).expect(204);
    await t.http().post('/api/screening/rules').set('Authorization', `Bearer ${sales}`).send({ kind: 'word', pattern: 'x', tag: 'spam' }).expect(403);
  });

  it('public intake is rate-limited per IP (429 with Retry-After, shared through the database); over the per-sender limit a post is taken and held for a person, whoever sent it', async () => {
    await t.http().post('/api/screening/senders').set('Authorization', `Bearer ${admin}`).send({ list: 'block', type: 'email_domain', value: 'rate-blocked.example', tag: 'spam' }).expect(201);
    const t2 = await startTestApp({ db: t.db, env: { TRUST_PROXY: '127.0.0.1', INTAKE_LIMIT_PER_IP_PER_MINUTE: '3', INTAKE_LIMIT_PER_SENDER_PER_HOUR: '2' } });
    try {
      const send = (f: Record<string, string>, ip: string) => t2.http().post('/api/intake/forms/contact').set('Origin', ORIGIN).set('X-Forwarded-For', ip).send(f);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await send(fields(), '198.51.100.9')).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
      const limited = await send(fields(), '198.51.100.9');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.body.detail).toBe('Too many submissions from this address; please try again later.');

      // A block-listed sender is counted per IP like anyone: the same answers, at the same post.
      const blocked = [];
      for (let i = 0; i < 4; i++) blocked.push(await send(fields({ email: `ceo.${word()}@rate-blocked.example` }), '198.51.100.10'));
      expect(blocked.map((r) => r.status)).toEqual([202, 202, 202, 429]);
      expect((await submissionOf(blocked[0].body.reference)).status).toBe('blocked');

      // Someone posts twice with a stranger's address, from other IPs; then the stranger posts: still a 202, held for a person.
      const email = `same.${word()}@solberg.example`;
      const bySender = [];
      for (let i = 0; i < 3; i++) bySender.push(await send(fields({ email }), `198.51.100.${20 + i}`));
      expect(bySender.map((r) => r.status)).toEqual([202, 202, 202]);
      expect((await submissionOf(bySender[1].body.reference)).status).toBe('accepted');
      const over = await submissionOf(bySender[2].body.reference);
      expect(over.status).toBe('held');
      expect(over.verdict.reasons).toEqual(expect.arrayContaining([{ code: 'sender_rate', tag: 'spam', decisive: true, evidence: { arrivalsInAnHour: 3, limit: 2 } }]));
      // A blocked sender past the per-sender limit gets the same answer as a clean one: nothing tells it it is blocked.
      const blockedEmail = `ceo.${word()}@rate-blocked.example`;
      const blockedBySender = [];
      for (let i = 0; i < 4; i++) blockedBySender.push(await send(fields({ email: blockedEmail }), `198.51.100.${30 + i}`));
      expect(blockedBySender.map((r) => r.status)).toEqual([202, 202, 202, 202]);
      expect((await submissionOf(blockedBySender[3].body.reference)).status).toBe('blocked');
    } finally {
      await t2.close();
    }
  });

  it('staff-entered data is not held, but a block-list or disposable-address match shows as a warning on the record', async () => {
    const { person } = await runAsSystem('test seed', () => t.app.get(LeadsService).capture(SYSTEM_ACTOR, { source: 'manual', receivedAt: new Date(), payload: {}, person: { firstName: 'Temp', email: `temp.${word()}@mailinator.com` }, consents: [] }));
    const res = await t.http().get(`/api/persons/${person.id}`).set('Authorization', `Bearer ${sales}`).expect(200);
    expect(res.body.warnings).toEqual(['Disposable e-mail address']);
  });

  it('[SPAM-BLOCK] a render token is single-use: the same token with other content is held as reused; a retry of the same post is not', async () => {
    const token = freshToken();
    const first = await post(fields({ [RENDER_TOKEN_FIELD]: token })).expect(202);
    expect((await submissionOf(first.body.reference)).status).toBe('accepted');
    const replay = await post(fields({ [RENDER_TOKEN_FIELD]: token })).expect(202);
    const held = await submissionOf(replay.body.reference);
    expect(held.status).toBe('held');
    expect(held.verdict.reasons.map((r: { code: string }) => r.code)).toContain('render_token_reused');
  });

  it('a form holding most of its posts for a bot trap shows it by reason, and the admins are e-mailed once a day', async () => {
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...FORM, key: 'broken-site', name: 'Broken site' }).expect(201);
    const [{ id }] = await db.query(`SELECT id FROM intake_form WHERE key = 'broken-site'`);
    // The site stopped sending the render token: every post is held for it.
    for (let i = 0; i < 3; i++) {
      await t.http().post('/api/intake/forms/broken-site').set('Origin', ORIGIN).send(fields({ [RENDER_TOKEN_FIELD]: undefined })).expect(202);
    }
    const view = await t.http().get(`/api/intake-forms/${id}`).set('Authorization', `Bearer ${admin}`).expect(200);
    expect(view.body.lastDay).toEqual({ posts: 3, heldForTrap: 3, byReason: { render_token_missing: 3 } });
    smtp.clear();
    const reported = await t.app.get(IntakeFormsService).reportTrappedForms();
    expect(reported).toContain('broken-site');
    expect(reported).not.toContain('contact'); // most of its posts went through
    // Sent before reportTrappedForms resolved; a new-lead notice of an earlier test may be there too.
    const mail = (await smtp.waitForMessages(1)).find((m) => /bot trap/.test(m.header('subject') ?? ''))!;
    const admins = (await db.query(`SELECT email FROM staff_user WHERE 'admin' = ANY(roles) AND deactivated_at IS NULL`)).map((r: { email: string }) => r.email);
    expect(mail.to.sort()).toEqual(admins.sort());
    expect(mail.raw).toContain('broken-site');
    expect(mail.raw).toContain('render_token_missing 3');
  });
});
