import { DataSource } from 'typeorm';
import { runAsSystem } from '../../src/access/access-context';
import { ChatbotIntakeService } from '../../src/intake/chatbot/chatbot-intake.service';
import { startTestApp, type TestApp } from '../helpers/app';

const TOKEN = 'drift-verification-token-for-tests';
const ORG = 1024;

/** Drift's webhook body (devdocs.drift.com, "Webhooks"): {type, token, orgId, data}. */
const event = (type: string, data: Record<string, unknown>, token: string | null = TOKEN) => ({ type, ...(token === null ? {} : { token }), orgId: ORG, data });

/** A Contact, as Drift sends it with `contact_identified`. */
const contact = (id: number, attributes: Record<string, unknown>) => ({
  id,
  createdAt: 1772524800000,
  attributes: { ...attributes, events: {}, socialProfiles: {}, tags: [], _END_USER_VERSION: 3, start_date: 1772524800000 },
});

let clock = Date.UTC(2026, 2, 3, 9, 0, 0);
/** A Message, as Drift sends it with `new_message`. */
const message = (id: number, conversationId: number, author: { type: 'contact' | 'user'; id: number; bot?: boolean }, body: string, type = 'chat') => ({
  id,
  orgId: ORG,
  body,
  author: { bot: false, ...author },
  type,
  conversationId,
  createdAt: (clock += 60_000),
  buttons: [],
  context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)' },
  attributes: {},
});

describe('[SRC-CHAT] chatbot intake: the Drift webhook', () => {
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startTestApp({ env: { DRIFT_VERIFICATION_TOKEN: TOKEN } });
    db = t.owner;
  });
  afterAll(() => t.close());

  const post = (body: unknown) => t.http().post('/api/intake/chatbot/drift').send(body as object);
  const personByEmail = async (email: string) => (await db.query(`SELECT * FROM person WHERE email = $1`, [email]))[0];
  const chats = async (personId: string) =>
    db.query(`SELECT body, details, occurred_at FROM activity WHERE person_id = $1 AND type = 'chat' ORDER BY occurred_at`, [personId]) as Promise<{ body: string; details: Record<string, unknown> }[]>;
  const counts = async () =>
    (await db.query(`SELECT (SELECT count(*)::int FROM chat_event) AS events, (SELECT count(*)::int FROM person) AS persons, (SELECT count(*)::int FROM activity) AS activities, (SELECT count(*)::int FROM intake_submission) AS arrivals`))[0];

  it('[RET-CHAT][LB-LEGIT] contact_identified makes the person from the contact’s attributes, as a chatbot capture with an eight-year clock', async () => {
    const res = await post(event('contact_identified', contact(7001, { email: 'Marte.Kvam@Fjordkraft-Data.example', name: 'Marte Kvam', phone: '+47 412 34 567', company: 'Fjordkraft Data AS', title: 'CTO', skype: 'marte.kvam' }))).expect(200);
    expect(res.body).toEqual({ status: 'accepted', reference: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const person = await personByEmail('marte.kvam@fjordkraft-data.example');
    expect(person).toMatchObject({ first_name: 'Marte', last_name: 'Kvam', phone: '+4741234567', company_name: 'Fjordkraft Data AS', position: 'CTO', skype_id: 'marte.kvam', status: 'new' });
    const [capture] = await db.query(`SELECT * FROM capture WHERE id = $1`, [res.body.reference]);
    expect(capture).toMatchObject({
      person_id: person.id,
      source: 'chatbot',
      content_type: 'application/json',
      inquiry_type: 'other',
      legal_bases: { handle_request: 'legitimate_interest', communication_history: 'legitimate_interest', spam_prevention: 'legitimate_interest' },
      retention_anchor: 'collection',
      policy_version: 'en-1',
    });
    const due = new Date(capture.received_at);
    due.setUTCFullYear(due.getUTCFullYear() + 8);
    expect(new Date(capture.retention_due_at).toISOString()).toBe(due.toISOString());
    expect(capture.payload).toMatchObject({ contactId: '7001', attributes: { email: 'Marte.Kvam@Fjordkraft-Data.example', skype: 'marte.kvam' } });
    // Kept as received, less the shared secret.
    expect(JSON.parse(capture.raw_body)).toMatchObject({ type: 'contact_identified', orgId: ORG, data: { id: 7001 } });
    expect(capture.raw_body).not.toContain(TOKEN);
    expect((await db.query(`SELECT status, channel FROM intake_submission WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'accepted', channel: 'chatbot' });
    expect((await db.query(`SELECT action FROM audit_log WHERE entity_id = $1`, [person.id])).map((a: { action: string }) => a.action)).toContain('person.created');
  });

  it('messages in two conversations go on the person’s timeline, each with its conversation id; colleagues’ and the bot’s too', async () => {
    await post(event('new_message', message(81001, 5001, { type: 'contact', id: 7001 }, '<p>Hi! We need help with our <b>IoT</b> platform.</p>'))).expect(200);
    await post(event('new_message', message(81002, 5001, { type: 'user', id: 310 }, '<p>Happy to help &amp; glad you asked.</p>'))).expect(200);
    await post(event('new_message', message(81003, 5002, { type: 'user', id: 999, bot: true }, 'Welcome back! What can we do for you?'))).expect(200);
    await post(event('new_message', message(81004, 5002, { type: 'contact', id: 7001 }, 'A quote for a mobile app, please.'))).expect(200);
    await post(event('new_message', message(81005, 5002, { type: 'user', id: 310 }, 'Only for colleagues: budget approved.', 'private_note'))).expect(200);

    const person = await personByEmail('marte.kvam@fjordkraft-data.example');
    const timeline = await chats(person.id);
    expect(timeline.map((c) => [c.details.conversationId, c.details.author, c.body])).toEqual([
      ['5001', 'contact', 'Hi! We need help with our IoT platform.'],
      ['5001', 'user', 'Happy to help & glad you asked.'],
      ['5002', 'bot', 'Welcome back! What can we do for you?'],
      ['5002', 'contact', 'A quote for a mobile app, please.'],
      ['5002', 'user', 'Only for colleagues: budget approved.'],
    ]);
    expect(timeline[4].details).toMatchObject({ channel: 'drift', messageId: '81005', messageType: 'private_note' });
    // The visitor's words were screened as public arrivals; the firm's own were not.
    expect((await db.query(`SELECT count(*)::int AS n FROM intake_submission WHERE channel = 'chatbot' AND status = 'accepted'`))[0].n).toBe(3);
    // Audited: the bot's greeting waited for the contact's first words in its conversation, and went in with them.
    const audits = await db.query(`SELECT changes FROM audit_log WHERE action = 'person.chat_added' AND entity_id = $1`, [person.id]);
    expect(audits.flatMap((a: { changes: { activityIds: { after: string[] } } }) => a.changes.activityIds.after)).toHaveLength(5);
    // On the timeline, the event keeps only the link.
    expect(await db.query(`SELECT DISTINCT status, body FROM chat_event WHERE type = 'new_message'`)).toEqual([{ status: 'attached', body: null }]);
  });

  it('a conversation from a contact not identified yet is kept, and goes on the timeline, whole, when they are', async () => {
    await post(event('new_message', message(82001, 6001, { type: 'user', id: 999, bot: true }, 'Hi there! Can I help?'))).expect(200);
    await post(event('new_message', message(82002, 6001, { type: 'contact', id: 7002 }, 'Yes, we need a data warehouse in Azure.'))).expect(200);
    await post(event('new_message', message(82003, 6001, { type: 'user', id: 310 }, 'Could you leave your e-mail address?'))).expect(200);
    expect(await db.query(`SELECT message_id, status, body IS NOT NULL AS kept FROM chat_event WHERE conversation_id = '6001' ORDER BY message_id`)).toEqual([
      { message_id: '82001', status: 'pending', kept: true },
      { message_id: '82002', status: 'pending', kept: true },
      { message_id: '82003', status: 'pending', kept: true },
    ]);

    const identified = await post(event('contact_identified', contact(7002, { email: 'jon.li@skogdata.example', name: 'Jon Li' }))).expect(200);
    const person = await personByEmail('jon.li@skogdata.example');
    const [capture] = await db.query(`SELECT source_ref FROM capture WHERE id = $1`, [identified.body.reference]);
    expect(capture.source_ref).toBe('6001'); // the conversation the contact identified themselves in
    await post(event('new_message', message(82004, 6001, { type: 'contact', id: 7002 }, 'jon.li@skogdata.example'))).expect(200);
    expect((await chats(person.id)).map((c) => c.body)).toEqual(['Hi there! Can I help?', 'Yes, we need a data warehouse in Azure.', 'Could you leave your e-mail address?', 'jon.li@skogdata.example']);
    expect(await db.query(`SELECT count(*)::int AS n FROM chat_event WHERE status = 'pending'`)).toEqual([{ n: 0 }]);
  });

  it('messages of a contact who never says who they are are deleted after QUARANTINE_RETENTION_DAYS, the rest stay', async () => {
    await post(event('new_message', message(86001, 6101, { type: 'contact', id: 7101 }, 'Just looking, thanks.'))).expect(200);
    await post(event('new_message', message(86002, 6102, { type: 'contact', id: 7102 }, 'Do you build Shopify shops?'))).expect(200);
    await db.query(`UPDATE chat_event SET received_at = now() - interval '91 days' WHERE message_id = '86001'`);
    expect(await t.app.get(ChatbotIntakeService).purgeUnclaimed()).toBe(1);
    expect(await db.query(`SELECT message_id FROM chat_event WHERE message_id IN ('86001', '86002')`)).toEqual([{ message_id: '86002' }]);
  });

  it('a redelivered event changes nothing, also when deliveries race: the unique key decides', async () => {
    const before = await counts();
    const again = await post(event('new_message', message(81001, 5001, { type: 'contact', id: 7001 }, '<p>Hi! We need help with our <b>IoT</b> platform.</p>'))).expect(200);
    expect(again.body.status).toBe('duplicate');
    const identifiedAgain = await post(event('contact_identified', contact(7002, { email: 'jon.li@skogdata.example', name: 'Jon Li' }))).expect(200);
    expect(identifiedAgain.body.status).toBe('duplicate');
    expect(await counts()).toEqual(before);

    const racing = event('new_message', message(83001, 5001, { type: 'contact', id: 7001 }, 'And the mobile app should work offline.'));
    const answers = await Promise.all([post(racing), post(racing), post(racing)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.body.status === 'accepted')).toHaveLength(1);
    expect((await db.query(`SELECT count(*)::int AS n FROM chat_event WHERE message_id = '83001'`))[0].n).toBe(1);
    const person = await personByEmail('marte.kvam@fjordkraft-data.example');
    expect((await chats(person.id)).filter((c) => c.details.messageId === '83001')).toHaveLength(1);
  });

  it('a wrong or missing verification token is refused (401) and nothing is stored; Drift’s X-Verification-Token header counts too, and when both are sent both must match', async () => {
    const before = await counts();
    const wrong = await post(event('contact_identified', contact(7003, { email: 'eve@intruder.example' }), 'not-the-token')).expect(401);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    await post(event('contact_identified', contact(7003, { email: 'eve@intruder.example' }), null)).expect(401);
    await post('not json at all').expect(415); // Drift sends JSON; anything else is refused unread
    expect(await counts()).toEqual(before);

    // Both present: both must match.
    await t.http().post('/api/intake/chatbot/drift').set('X-Verification-Token', 'wrong-token').send(event('contact_identified', contact(7005, { email: 'mixed@fjell.example' }))).expect(401);
    await t.http().post('/api/intake/chatbot/drift').set('X-Verification-Token', TOKEN).send(event('contact_identified', contact(7006, { email: 'mixed2@fjell.example' }), 'wrong-token')).expect(401);
    expect(await counts()).toEqual(before);
    await t.http().post('/api/intake/chatbot/drift').set('X-Verification-Token', TOKEN).send(event('contact_identified', contact(7004, { email: 'header.only@fjell.example', name: 'Header Only' }), null)).expect(200);
    expect(await personByEmail('header.only@fjell.example')).toBeDefined();
  });

  it('an unknown event type is acknowledged (200) and ignored', async () => {
    const before = await counts();
    const res = await post(event('conversation_push', { conversationId: 5001, messages: [] })).expect(200);
    expect(res.body).toEqual({ status: 'ignored', reference: null });
    await post(event('new_message', { ...message(84001, 5001, { type: 'user', id: 310 }, 'edited'), type: 'edit' })).expect(200);
    expect(await counts()).toEqual(before);
  });

  it('a handled event without what it needs is refused (422, fields named as Drift names them), and nothing is stored', async () => {
    const before = await counts();
    const noEmail = await post(event('contact_identified', contact(7005, { name: 'No Address' }))).expect(422);
    expect(noEmail.body.errors).toEqual([{ field: 'data.attributes.email', message: 'must be an e-mail address' }]);
    const noConversation = await post(event('new_message', { ...message(84002, 5001, { type: 'contact', id: 7001 }, 'hello'), conversationId: undefined })).expect(422);
    expect(noConversation.body.errors).toEqual([{ field: 'data.conversationId', message: 'must be the Drift conversation id' }]);
    expect(await counts()).toEqual(before);
  });

  it('[SPAM-WORDS][SPAM-MANUAL][NO-AUTO-DECISION] a visitor’s spam message is held, kept off the timeline; released by a person, it goes on it', async () => {
    const res = await post(event('new_message', message(85001, 5001, { type: 'contact', id: 7001 }, 'Guaranteed profit with our crypto investment platform!'))).expect(200);
    expect(res.body.status).toBe('accepted'); // the same answer whatever the verdict
    const submission = (await db.query(`SELECT status, verdict FROM intake_submission WHERE id = $1`, [res.body.reference]))[0];
    expect(submission.status).toBe('held');
    expect((await db.query(`SELECT status, body FROM chat_event WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'held', body: 'Guaranteed profit with our crypto investment platform!' });
    const person = await personByEmail('marte.kvam@fjordkraft-data.example');
    expect((await chats(person.id)).some((c) => c.details.messageId === '85001')).toBe(false);

    // What the review's release does for a held chat arrival (ReviewService hands it to ChatbotIntakeService.reprocess).
    await runAsSystem('test: release', () => t.app.get(DataSource).transaction((tx) => t.app.get(ChatbotIntakeService).reprocess(res.body.reference, submission.verdict, tx)));
    expect((await chats(person.id)).filter((c) => c.details.messageId === '85001')).toHaveLength(1);
    expect((await db.query(`SELECT status FROM intake_submission WHERE id = $1`, [res.body.reference]))[0].status).toBe('released');
  });

  it('[SPAM-BLOCK] a contact on the block list makes no person: only the attempt is kept', async () => {
    const admin = (await t.userWith('admin')).token;
    await t.http().post('/api/screening/senders').set('Authorization', `Bearer ${admin}`).send({ list: 'block', type: 'email', value: 'scam@swindle.example', tag: 'swindler', reason: 'Known scam' }).expect(201);
    const res = await post(event('contact_identified', contact(7006, { email: 'scam@swindle.example', name: 'Scam Artist' }))).expect(200);
    expect(res.body.status).toBe('accepted');
    expect(await personByEmail('scam@swindle.example')).toBeUndefined();
    expect((await db.query(`SELECT status, sender_email, raw_body FROM intake_submission WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'blocked', sender_email: null, raw_body: null });
    expect((await db.query(`SELECT status, body FROM chat_event WHERE id = $1`, [res.body.reference]))[0]).toEqual({ status: 'blocked', body: null });
  });

  it('without DRIFT_VERIFICATION_TOKEN the webhook answers 503 with a problem document saying so', async () => {
    const unconfigured = await startTestApp({ db: t.db });
    try {
      const res = await unconfigured.http().post('/api/intake/chatbot/drift').send(event('contact_identified', contact(7007, { email: 'who@ever.example' }))).expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toMatch(/DRIFT_VERIFICATION_TOKEN/);
    } finally {
      await unconfigured.close();
    }
  });
});
