import { startTestApp, type TestApp } from '../helpers/app';

/*
 * A few thousand hostile bodies with a fixed seed, sent to every public route in-process: none
 * may be a 5xx, and none may leave an arrival half stored. Time limit from what it does: about
 * 2,500 requests at a few milliseconds each on a busy 2-core machine.
 */
const BODIES = 2500;
const FUZZ_MS = 240_000;
const ORIGIN = 'https://www.example.com';
const DRIFT_TOKEN = 'drift-verification-token-for-fuzz';
const FORM = { key: 'fuzz', name: 'Fuzz', allowedOrigins: [ORIGIN], fieldMapping: { name: 'name', email: 'email', phone: 'phone', message: 'request', age: 'age' }, defaultInquiryType: 'other' };

/** mulberry32: a small seeded generator, so a failing body can be made again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz: hostile bodies on the public routes', () => {
  let t: TestApp;
  let mailKey: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { DRIFT_VERIFICATION_TOKEN: DRIFT_TOKEN } });
    const admin = (await t.userWith('admin')).token;
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(FORM).expect(201);
    mailKey = (await t.http().post('/api/api-keys').set('Authorization', `Bearer ${admin}`).send({ name: 'relay', channel: 'email' }).expect(201)).body.key;
  });
  afterAll(() => t.close());

  it(`${BODIES} seeded hostile bodies: no 5xx, no arrival left half stored`, async () => {
    const next = random(20261205);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const nasty = ['\u0000', '\ud800', '\udfff', '\ufeff', '%00', '%ED%A0%80', '<'.repeat(50), '<a href="x">', '\\', '"', '\r\n', '€', '𝔘', '=?utf-8?Q?=00?=', 'a'.repeat(300)];
    const text = (max: number) => Array.from({ length: Math.floor(next() * max) }, () => (next() < 0.3 ? pick(nasty) : String.fromCharCode(32 + Math.floor(next() * 0x24f)))).join('');
    const nested = (depth: number): unknown => (depth <= 0 ? text(5) : next() < 0.5 ? [nested(depth - 1)] : { [text(3)]: nested(depth - 1) });
    const fields = () => ({ name: text(20), email: next() < 0.5 ? `x${Math.floor(next() * 1e6)}@example.no` : text(15), phone: text(12), message: text(200), age: text(3), [text(5)]: text(5) });
    const multipart = (boundary: string | null, cutShort: boolean) => {
      const b = boundary ?? 'x';
      const parts = Object.entries(fields()).map(([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('');
      const body = parts + `--${b}--\r\n`;
      return { type: boundary === null ? 'multipart/form-data' : `multipart/form-data; boundary=${b}`, body: cutShort ? body.slice(0, Math.floor(next() * body.length)) : body };
    };
    const mail = () =>
      [`From: ${pick([`"${text(10)}" <m${Math.floor(next() * 1e6)}@example.no>`, text(20), ''])}`, `Subject: ${pick(['=?utf-8?Q?Hi=00?=', '=?utf-8?B?' + Buffer.from(text(20)).toString('base64') + '?=', text(30)])}`, `Content-Type: ${pick(['text/plain; charset=utf-8', 'multipart/mixed; boundary=q', 'text/html'])}`, `Content-Transfer-Encoding: ${pick(['quoted-printable', 'base64', '8bit'])}`, '', text(300)].join('\r\n');

    const encode = (v: string) => encodeURIComponent(v.toWellFormed()); // a lone surrogate is sent raw or as %ED%A0%80 instead
    const fastify = t.app.getHttpAdapter().getInstance();
    const failures: string[] = [];
    for (let i = 0; i < BODIES; i++) {
      const route = pick(['form', 'form', 'drift', 'mail', 'login', 'token'] as const);
      let type: string | undefined;
      let payload: string | Buffer;
      const shape = pick(['json', 'json-nested', 'urlencoded', 'multipart', 'multipart-cut', 'multipart-noboundary', 'rfc822', 'text', 'bytes', 'none'] as const);
      switch (shape) {
        case 'json':
          [type, payload] = ['application/json', next() < 0.8 ? JSON.stringify(route === 'drift' ? { type: pick(['contact_identified', 'new_message', text(5)]), token: DRIFT_TOKEN, orgId: 1, data: { id: Math.floor(next() * 1e6), attributes: fields() } } : fields()) : text(100)];
          break;
        case 'json-nested':
          [type, payload] = ['application/json', JSON.stringify({ token: DRIFT_TOKEN, type: 'contact_identified', data: nested(Math.floor(next() * 200)) })];
          break;
        case 'urlencoded':
          [type, payload] = ['application/x-www-form-urlencoded', Object.entries(fields()).map(([k, v]) => `${pick([encode(k), k])}=${pick([v, encode(v)])}`).join(pick(['&', '&&', ';']))];
          break;
        case 'multipart':
        case 'multipart-cut':
        case 'multipart-noboundary': {
          const m = multipart(shape === 'multipart-noboundary' ? null : `b${i}`, shape === 'multipart-cut');
          [type, payload] = [m.type, m.body];
          break;
        }
        case 'rfc822':
          [type, payload] = ['message/rfc822', mail()];
          break;
        case 'text':
          [type, payload] = ['text/plain', text(200)];
          break;
        case 'bytes':
          [type, payload] = [pick(['application/json', 'application/x-www-form-urlencoded', 'message/rfc822', 'application/octet-stream']), Buffer.from(Array.from({ length: Math.floor(next() * 2000) }, () => Math.floor(next() * 256)))];
          break;
        case 'none':
          [type, payload] = [undefined, text(50)];
          break;
      }
      const url = { form: `/api/intake/forms/${FORM.key}`, drift: '/api/intake/chatbot/drift', mail: '/api/intake/email', login: '/api/auth/login', token: `/api/intake/forms/${FORM.key}/render-token` }[route];
      const res = await fastify.inject({
        method: route === 'token' ? 'GET' : 'POST',
        url,
        headers: { ...(type ? { 'content-type': type } : {}), origin: ORIGIN, 'x-api-key': mailKey, 'x-forwarded-for': `10.0.${i % 250}.1` },
        ...(route === 'token' ? {} : { payload }),
      });
      if (res.statusCode >= 500) failures.push(`#${i} ${route} ${shape}: ${res.statusCode} ${res.body.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    // Every arrival stored was settled: accepted, held or blocked; none stopped half way.
    expect(await t.owner.query(`SELECT id, channel FROM intake_submission WHERE status = 'received'`)).toEqual([]);
  }, FUZZ_MS);
});
