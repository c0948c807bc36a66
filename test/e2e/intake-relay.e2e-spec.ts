import { runInNewContext } from 'node:vm';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../helpers/app';

const ORIGIN = 'https://www.example.com';
/** A WordPress site's form, with both bot traps the browser path uses. */
const FORM = {
  key: 'wp-contact',
  name: 'WordPress contact',
  allowedOrigins: [ORIGIN],
  fieldMapping: { 'your-name': 'name', 'your-email': 'email', 'your-message': 'request' },
  defaultInquiryType: 'other',
  honeypotField: 'website',
  minFillSeconds: 5,
};

let serial = 0;
const words = () => `We would like a quote for an integration, reference ${(++serial).toString(36)}x${Date.now().toString(36)}.`;
const body = (extra: Record<string, string> = {}) => ({ 'your-name': 'Kari Nordmann', 'your-email': `kari${++serial}.${Date.now()}@example.no`, 'your-message': words(), ...extra });

/** Issue 16, item 1: a server-side relay (a WordPress hook) posts with an API key scoped to its form. */
describe('[SRC-FORM] a web form’s server-side relay', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;
  let relayKey: string;
  let otherFormKey: string;
  let chatKey: string;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.owner;
    admin = (await t.userWith('admin')).token;
    const form = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(FORM).expect(201);
    const other = await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send({ ...FORM, key: 'other-form', name: 'Other' }).expect(201);
    const key = await t.http().post('/api/api-keys').set('Authorization', `Bearer ${admin}`).send({ name: 'WordPress relay', channel: 'web_form', formId: form.body.id }).expect(201);
    expect(key.body).toMatchObject({ channel: 'web_form', formId: form.body.id });
    relayKey = key.body.key;
    otherFormKey = (await t.http().post('/api/api-keys').set('Authorization', `Bearer ${admin}`).send({ name: 'Other relay', channel: 'web_form', formId: other.body.id }).expect(201)).body.key;
    chatKey = (await t.http().post('/api/api-keys').set('Authorization', `Bearer ${admin}`).send({ name: 'Chat', channel: 'chatbot' }).expect(201)).body.key;
    await t.http().post('/api/api-keys').set('Authorization', `Bearer ${admin}`).send({ name: 'Bad', channel: 'chatbot', formId: form.body.id }).expect(422);
  });
  afterAll(() => t.close());

  const relay = (key = relayKey, headers: Record<string, string> = {}) => {
    const req = t.http().post('/api/intake/forms/wp-contact').set('X-Api-Key', key);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    return req;
  };
  const submissionOf = async (id: string) => (await db.query(`SELECT status, ip, verdict FROM intake_submission WHERE id = $1`, [id]))[0];
  const reasons = (s: { verdict: { reasons: { code: string }[] } | null }) => (s.verdict?.reasons ?? []).map((r) => r.code);

  it('its posts skip the browser-only traps and carry the visitor’s IP and time on page', async () => {
    const res = await relay(relayKey, { 'X-Visitor-IP': '203.0.113.7', 'X-Visitor-Time-On-Page': '42' }).type('form').send(body()).expect(202);
    const s = await submissionOf(res.body.reference);
    expect(s).toMatchObject({ status: 'accepted', ip: '203.0.113.7' });
    expect(reasons(s)).not.toContain('render_token_missing');
    expect(reasons(s)).not.toContain('honeypot_missing');
  });

  it('an X-Visitor-IP that is not one plain address never fails the post: an IPv6 zone id is dropped, anything else is absent (the relay’s own address counts)', async () => {
    const zoned = await relay(relayKey, { 'X-Visitor-IP': 'fe80::1%eth0', 'X-Visitor-Time-On-Page': '42' }).type('form').send(body()).expect(202);
    expect(await submissionOf(zoned.body.reference)).toMatchObject({ status: 'accepted', ip: 'fe80::1' });
    const own = (await submissionOf((await relay(relayKey, { 'X-Visitor-Time-On-Page': '42' }).type('form').send(body()).expect(202)).body.reference)).ip;
    for (const header of ['203.0.113.7, 10.0.0.1', '203.0.113.7:8080', '[2001:db8::1]', '203.0.113.7%eth0', 'fe80::1%', 'not an address', '999.1.1.1']) {
      const res = await relay(relayKey, { 'X-Visitor-IP': header, 'X-Visitor-Time-On-Page': '42' }).type('form').send(body());
      expect([header, res.status]).toEqual([header, 202]);
      expect([header, (await submissionOf(res.body.reference)).ip]).toEqual([header, own]);
    }
  });

  it('the content rules and the time on page still hold it: a visitor who spent 1 s is held as too fast; a filled honeypot is held', async () => {
    const fast = await relay(relayKey, { 'X-Visitor-IP': '203.0.113.8', 'X-Visitor-Time-On-Page': '1' }).type('form').send(body()).expect(202);
    const s = await submissionOf(fast.body.reference);
    expect(reasons(s)).toContain('too_fast');
    const trapped = await relay(relayKey, { 'X-Visitor-IP': '203.0.113.9' }).type('form').send(body({ website: 'http://spam.example' })).expect(202);
    expect(await submissionOf(trapped.body.reference)).toMatchObject({ status: 'held' });
  });

  it('Contact Form 7’s own fields are understood: Akismet’s script time is the time on page, its honeypot a honeypot; they are not the sender’s words', async () => {
    const cf7 = { _wpcf7: '42', _wpcf7_version: '5.9', _wpcf7_unit_tag: 'wpcf7-f42-p7-o1', _wpcf7_ak_hp_textarea: '' };
    const slow = await relay(relayKey, { 'X-Visitor-IP': '203.0.113.10' }).type('form').send(body({ ...cf7, _wpcf7_ak_js: String(Date.now() - 30_000) })).expect(202);
    expect(await submissionOf(slow.body.reference)).toMatchObject({ status: 'accepted' });
    const quick = await relay(relayKey, { 'X-Visitor-IP': '203.0.113.11' }).type('form').send(body({ ...cf7, _wpcf7_ak_js: String(Date.now() - 500) })).expect(202);
    expect(reasons(await submissionOf(quick.body.reference))).toContain('too_fast');
    const filled = await relay(relayKey, { 'X-Visitor-IP': '203.0.113.12' }).type('form').send(body({ ...cf7, _wpcf7_ak_hp_textarea: 'buy now', _wpcf7_ak_js: String(Date.now() - 30_000) })).expect(202);
    const held = await submissionOf(filled.body.reference);
    expect(held.status).toBe('held');
    expect(held.verdict.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'honeypot_filled', evidence: { field: '_wpcf7_ak_hp_textarea' } })]));
  });

  it('a key for another form, or another channel, is a 403 that says nothing more; a made-up key a 401; nothing is stored', async () => {
    const before = (await db.query(`SELECT count(*)::int AS n FROM intake_submission`))[0].n;
    const other = await relay(otherFormKey).type('form').send(body()).expect(403);
    expect(other.body.detail).toBe('This API key is not for this form.');
    expect((await relay(chatKey).type('form').send(body()).expect(403)).body.detail).toBe('This API key is not for this form.');
    await relay('crm_000000000000_' + 'x'.repeat(43)).type('form').send(body()).expect(401);
    expect((await db.query(`SELECT count(*)::int AS n FROM intake_submission`))[0].n).toBe(before);
  });

  it('the visitor headers count only from an authenticated relay: a browser post keeps its own address and needs its render token', async () => {
    const res = await t.http().post('/api/intake/forms/wp-contact').set('Origin', ORIGIN).set('X-Visitor-IP', '198.51.100.1').set('X-Visitor-Time-On-Page', '99').type('form').send(body({ website: '' })).expect(202);
    const s = await submissionOf(res.body.reference);
    expect(s.ip).not.toBe('198.51.100.1');
    expect(reasons(s)).toContain('render_token_missing');
  });

  /** Runs an embed script in a page of the customer's site (a minimal DOM), loaded from `src`: where does the form post? */
  const runEmbed = (script: string, src: string | null) => {
    const attributes: Record<string, string> = {};
    const fetched: string[] = [];
    const form = { setAttribute: (name: string, value: string) => (attributes[name] = value), querySelector: () => null, appendChild: () => undefined };
    const document = { currentScript: src === null ? null : { src }, readyState: 'complete', querySelectorAll: () => [form], createElement: () => ({}) };
    const fetch = (url: string) => {
      fetched.push(url);
      return new Promise(() => undefined); // the render token's answer is not what this looks at
    };
    runInNewContext(script, { document, fetch });
    return { action: attributes.action ?? null, fetched };
  };

  it('without PUBLIC_BASE_URL the embed script posts to the address it was loaded from, never to the Host the request named', async () => {
    const res = await t.http().get('/api/intake/forms/wp-contact/embed.js').set('Host', 'evil.example').expect(200);
    expect(res.text).not.toContain('evil.example');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const page = runEmbed(res.text, 'https://crm.firm.example/api/intake/forms/wp-contact/embed.js?v=2');
    expect(page).toEqual({ action: 'https://crm.firm.example/api/intake/forms/wp-contact', fetched: ['https://crm.firm.example/api/intake/forms/wp-contact/render-token'] });
    // Without its own address (an inline copy of the script) it leaves the form alone rather than guess.
    expect(runEmbed(res.text, null)).toEqual({ action: null, fetched: [] });
  });

  it('a relay posting for many visitors is not held to one visitor’s per-address limit at the edge', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await relay(relayKey, { 'X-Visitor-IP': `192.0.2.${i + 1}`, 'X-Visitor-Time-On-Page': '30' }).type('form').send(body())).status);
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
  });
});
