import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app';

const ORIGIN = 'https://www.example.com';
const DRIFT_TOKEN = 'drift-verification-token-for-edge-tests';
const FORM = {
  key: 'edge-contact',
  name: 'Edge contact',
  allowedOrigins: [ORIGIN],
  fieldMapping: { name: 'name', email: 'email', message: 'request' },
  defaultInquiryType: 'other',
};

/** The status the server answers with while the body is still on its way: headers and a first piece only. */
async function answerBeforeBody(port: number, path: string, headers: Record<string, string | number>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => (['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED'].includes(err.code ?? '') ? undefined : reject(err)));
    req.write(Buffer.alloc(1024, 'a')); // 1 KiB of the declared megabytes, and no more
  });
}

/**
 * Streams `total` bytes (`head`, then `a`s, chunked: no Content-Length) and never ends the body:
 * an answer can only come from a server that refuses while reading. Resolves with the answer and
 * how much had been sent when it came.
 */
async function streamWithoutEnd(port: number, path: string, headers: Record<string, string>, head: string, total: number): Promise<{ status: number; headers: Record<string, unknown>; body: string; sent: number }> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sent });
      });
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => (['ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED'].includes(err.code ?? '') ? undefined : reject(err)));
    const write = () => {
      if (sent === 0) {
        req.write(head);
        sent += Buffer.byteLength(head);
      }
      while (!answered && sent < total) {
        const piece = sent + chunk.length > total ? chunk.subarray(0, total - sent) : chunk;
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', write);
      }
      // Everything sent and no end: the answer has to come without it.
    };
    write();
  });
}

describe('the public edge: hostile bodies are refused before they cost anything', () => {
  let t: TestApp;
  let port: number;
  let admin: string;
  let mailKey: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { DRIFT_VERIFICATION_TOKEN: DRIFT_TOKEN } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    admin = (await t.userWith('admin')).token;
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(FORM).expect(201);
    mailKey = (await t.http().post('/api/api-keys').set('Authorization', `Bearer ${admin}`).send({ name: 'relay', channel: 'email' }).expect(201)).body.key;
  });
  afterAll(() => t.close());

  const submit = () => t.http().post(`/api/intake/forms/${FORM.key}`).set('Origin', ORIGIN);
  const arrivals = async () => (await t.owner.query(`SELECT count(*)::int AS n FROM intake_submission`))[0].n as number;

  it('a raw mail sent to the web-form route is a 415, never parsed into fields', async () => {
    const before = await arrivals();
    const res = await submit().set('Content-Type', 'message/rfc822').send(Buffer.alloc(200_000, 'x'));
    expect(res.status).toBe(415);
    expect(res.body.detail).toMatch(/application\/json or application\/x-www-form-urlencoded or multipart\/form-data, not message\/rfc822/);
    expect(await arrivals()).toBe(before);
  });

  it('a staff route answers 401 while a 5 MB body is still arriving (the body is not read first)', async () => {
    const res = await answerBeforeBody(port, '/api/users', { 'Content-Type': 'application/json', 'Content-Length': 5_000_000 });
    expect(res.status).toBe(401);
  });

  it('an upload route answers 401 before any part of a multipart body is read', async () => {
    const res = await answerBeforeBody(port, '/api/events/00000000-0000-4000-8000-000000000000/imports', { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': 5_000_000 });
    expect(res.status).toBe(401);
  });

  it('a content type a staff route does not take is a 415 before its body is read', async () => {
    const res = await answerBeforeBody(port, '/api/users', { Authorization: `Bearer ${admin}`, 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': 5_000_000 });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body).detail).toMatch(/Send the body as application\/json/);
  });

  it('a url-encoded form with more fields than any form has is a 413, unparsed', async () => {
    const body = Array.from({ length: 1000 }, (_, i) => `f${i}=1`).join('&');
    const res = await submit().set('Content-Type', 'application/x-www-form-urlencoded').send(body);
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/more than 200 fields/);
  });

  it('a submission with far more fields than its form maps is a 413, and nothing is stored', async () => {
    const before = await arrivals();
    const fields = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`extra${i}`, 'x']));
    const res = await submit().send({ name: 'Kari Nordmann', email: 'kari@example.no', message: 'Hello', ...fields });
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/this form takes at most 33/);
    expect(await arrivals()).toBe(before);
  });

  it('NUL and lone surrogates in a JSON or url-encoded post are stored as U+FFFD, not a 500', async () => {
    const json = await submit().send({ name: 'Kari\u0000 Nordmann', email: 'kari.nul@example.no', message: 'Broken \ud800 pair and a \udc00 half' });
    expect(json.status).toBe(202);
    const form = await submit().set('Content-Type', 'application/x-www-form-urlencoded').send('name=Ola%00+Nordmann&email=ola.nul%40example.no&message=%ED%A0%80+bytes+that+are+no+character%00');
    expect(form.status).toBe(202);
    const stored = await t.owner.query(`SELECT payload AS fields FROM capture WHERE id = ANY($1) ORDER BY received_at`, [[json.body.reference, form.body.reference]]);
    expect(stored.map((r: { fields: Record<string, string> }) => r.fields.name)).toEqual(['Kari\ufffd Nordmann', 'Ola\ufffd Nordmann']);
    expect(stored[0].fields.message).toBe('Broken \ufffd pair and a \ufffd half');
    expect(stored[1].fields.message).toMatch(/^\ufffd+ bytes that are no character\ufffd$/);
  });

  it('a Drift event with NUL and lone surrogates is taken; one nested deeper than 32 levels is a 400', async () => {
    const contact = { id: 99, createdAt: 1772524800000, attributes: { email: 'nul.chat@example.no', name: 'Chat\u0000 Person', company: 'Bad \ud83d Pair AS' } };
    const ok = await t.http().post('/api/intake/chatbot/drift').send({ type: 'contact_identified', token: DRIFT_TOKEN, orgId: 1, data: contact });
    expect(ok.status).toBe(200);
    const [person] = await t.owner.query(`SELECT first_name, company_name FROM person WHERE email = 'nul.chat@example.no'`);
    expect(person).toEqual({ first_name: 'Chat\ufffd', company_name: 'Bad \ufffd Pair AS' });
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const refused = await t.http().post('/api/intake/chatbot/drift').send({ type: 'contact_identified', token: DRIFT_TOKEN, orgId: 1, data: { ...contact, attributes: { ...contact.attributes, deep } } });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/nests deeper than 32 levels/);
  });

  it('a mail with a quoted-printable =00 in its body and a NUL in its encoded subject is taken', async () => {
    const raw = Buffer.from(
      ['From: Nul Sender <nul.mail@example.no>', 'To: post@firm.example', 'Subject: =?utf-8?Q?Offer=00_request?=', 'Message-ID: <nul-1@example.no>', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', 'We need a quote=00 for our project.', ''].join('\r\n'),
    );
    const res = await t.http().post('/api/intake/email').set('X-Api-Key', mailKey).set('Content-Type', 'message/rfc822').send(raw);
    expect(res.status).toBe(202);
    const [capture] = await t.owner.query(`SELECT payload FROM capture WHERE id = $1`, [res.body.reference]);
    expect(capture.payload).toMatchObject({ subject: 'Offer\ufffd request', text: 'We need a quote\ufffd for our project.' });
  });

  it('a mail with more parts than the reader takes is a 422 naming why, not a 500', async () => {
    const parts = Array.from({ length: 1001 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('');
    const raw = Buffer.from(['From: many@example.no', 'Message-ID: <many@example.no>', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b', '', parts + '--b--', ''].join('\r\n'));
    const res = await t.http().post('/api/intake/email').set('X-Api-Key', mailKey).set('Content-Type', 'message/rfc822').send(raw);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/more parts, or parts nested deeper/);
  });

  it('a multipart body without a boundary, or cut short, is a 400 on the form route', async () => {
    const noBoundary = await submit().set('Content-Type', 'multipart/form-data').send('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n');
    expect(noBoundary.status).toBe(400);
    const cutShort = await submit().set('Content-Type', 'multipart/form-data; boundary=x').send('--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nKari');
    expect(cutShort.status).toBe(400);
    expect(cutShort.body.detail).toMatch(/multipart body is malformed or cut short/);
  });

  it('a retried post (same Idempotency-Key, or the same fields) gets the first reference and stores nothing new; the key with other content is a 422', async () => {
    const before = await arrivals();
    const body = { name: 'Retry Person', email: 'retry@example.no', message: 'Sent twice by a relay' };
    const first = await submit().set('Idempotency-Key', 'relay-42').send(body).expect(202);
    const again = await submit().set('Idempotency-Key', 'relay-42').send(body).expect(202);
    expect(again.body.reference).toBe(first.body.reference);
    const edited = await submit().set('Idempotency-Key', 'relay-42').send({ ...body, message: 'Sent twice by a relay, edited' }).expect(422);
    expect(edited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(edited.body.detail).toMatch(/Idempotency-Key was used with a different request/);
    expect(edited.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'was used with a different request' }]);
    // Refusing the reuse frees nothing: the first post's key still answers its retry.
    expect((await submit().set('Idempotency-Key', 'relay-42').send(body).expect(202)).body.reference).toBe(first.body.reference);
    const doubleClick = await submit().send({ ...body, message: 'A double click' }).expect(202);
    const second = await submit().send({ ...body, message: 'A double click' }).expect(202);
    expect(second.body.reference).toBe(doubleClick.body.reference);
    expect(await arrivals()).toBe(before + 2);
    const other = await submit().send({ ...body, message: 'Another request' }).expect(202);
    expect(other.body.reference).not.toBe(doubleClick.body.reference);
  });

  it('a stalled attendee upload holds no database connection, and a user may have two at once', async () => {
    const staff = await t.userWith('event_staff');
    const event = await t.http().post('/api/events').set('Authorization', `Bearer ${staff.token}`).send({ name: 'Stall', date: '2026-01-10', place: 'Oslo', organiserName: 'Us', organiserContact: 'events@firm.example' }).expect(201);
    const path = `/api/events/${event.body.id}/imports`;
    const head = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nEmail,Name\r\n';
    const stalled = [0, 1].map(() => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { Authorization: `Bearer ${staff.token}`, 'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': 10_000_000 } });
      req.on('error', () => undefined);
      req.write(head + 'a@example.no,A\r\n'.repeat(2000)); // then nothing more: a stalled sender
      return req;
    });
    try {
      // The server is reading them (their spools are on disk) ...
      const deadline = Date.now() + 30_000;
      while (readdirSync(tmpdir()).filter((d) => d.startsWith('crm-upload-')).length < 2) {
        if (Date.now() > deadline) throw new Error('the uploads were never read');
        await new Promise((r) => setTimeout(r, 50));
      }
      // ... and no connection of the service waits in an open transaction for them.
      const [{ n }] = await t.owner.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`);
      expect(n).toBe(0);
      const third = await answerBeforeBody(port, path, { Authorization: `Bearer ${staff.token}`, 'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': 10_000_000 });
      expect(third.status).toBe(429);
      expect(JSON.parse(third.body).detail).toMatch(/You have 2 uploads in progress/);
    } finally {
      stalled.forEach((req) => req.destroy());
    }
  });

  describe('a multipart body is counted while it is read, whatever its parts', () => {
    const FORM_CAP = 256 * 1024;
    const multipartTo = (path: string, extra: Record<string, string> = {}) => ({ 'Content-Type': 'multipart/form-data; boundary=XB', 'Transfer-Encoding': 'chunked', ...extra, path });

    it('a preamble just over the form route’s 256 KiB is a 413 naming the limit, answered before the body ends, and the connection is closed', async () => {
      const before = await arrivals();
      const { path, ...headers } = multipartTo(`/api/intake/forms/${FORM.key}`, { Origin: ORIGIN });
      const res = await streamWithoutEnd(port, path, headers, '', FORM_CAP + 64 * 1024);
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers.connection).toBe('close');
      expect(JSON.parse(res.body)).toMatchObject({ status: 413, detail: 'The request body is larger than the 256 KiB this route accepts.', limitBytes: FORM_CAP });
      expect(await arrivals()).toBe(before);
    });

    it('so is an epilogue after the closing boundary', async () => {
      const { path, ...headers } = multipartTo(`/api/intake/forms/${FORM.key}`, { Origin: ORIGIN });
      const head = '--XB\r\nContent-Disposition: form-data; name="name"\r\n\r\nKari\r\n--XB--\r\n';
      const res = await streamWithoutEnd(port, path, headers, head, FORM_CAP + 64 * 1024);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).detail).toMatch(/larger than the 256 KiB/);
    });

    it('a declared length over the cap is a 413 before anything is read', async () => {
      const res = await answerBeforeBody(port, `/api/intake/forms/${FORM.key}`, { Origin: ORIGIN, 'Content-Type': 'multipart/form-data; boundary=XB', 'Content-Length': FORM_CAP + 1 });
      expect(res.status).toBe(413);
    });

    it('an upload route has its own larger cap (51 MiB: the 50 MiB attendee list and its form): a preamble just over it is a 413 before the body ends', async () => {
      const staff = await t.userWith('event_staff');
      const event = await t.http().post('/api/events').set('Authorization', `Bearer ${staff.token}`).send({ name: 'Cap', date: '2026-01-10', place: 'Oslo', organiserName: 'Us', organiserContact: 'events@firm.example' }).expect(201);
      const { path, ...headers } = multipartTo(`/api/events/${event.body.id}/imports`, { Authorization: `Bearer ${staff.token}` });
      const res = await streamWithoutEnd(port, path, headers, '', 51 * 1024 * 1024 + 64 * 1024);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body).detail).toBe('The request body is larger than the 51 MiB this route accepts.');
    });

    it('a body sent to no route is a 404 before it is read', async () => {
      const { path, ...headers } = multipartTo('/health');
      const res = await streamWithoutEnd(port, path, headers, '', 1024 * 1024);
      expect(res.status).toBe(404);
      expect(res.headers.connection).toBe('close');
    });

    it('a small form with a file, or far too many parts, is a 413 saying which limit, not that it is large', async () => {
      const file = await submit().field('name', 'Kari').attach('cv', Buffer.from('%PDF-1.4'), 'cv.pdf');
      expect(file.status).toBe(413);
      expect(file.body.detail).toBe('Files are not accepted here; send the form’s fields only.');
      const parts = Array.from({ length: 3000 }, (_, i) => `--XB\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n1\r\n`).join('') + '--XB--\r\n';
      const many = await submit().set('Content-Type', 'multipart/form-data; boundary=XB').send(parts);
      expect(many.status).toBe(413);
      expect(many.body.detail).toBe('The form has more than the 200 fields accepted here.');
    });
  });

  describe('a 4xx says what to fix', () => {
    it('a JSON key named __proto__ or constructor is named, as the url-encoded parser names it', async () => {
      const proto = await submit().set('Content-Type', 'application/json').send('{"name":"Kari","__proto__":{"admin":true}}');
      expect(proto.status).toBe(400);
      expect(proto.body.detail).toBe('A field may not be named __proto__.');
      const ctor = await submit().set('Content-Type', 'application/json').send('{"name":"Kari","extra":{"constructor":{"prototype":{"x":1}}}}');
      expect(ctor.status).toBe(400);
      expect(ctor.body.detail).toBe('A field may not be named constructor.');
      const broken = await submit().set('Content-Type', 'application/json').send('{"name":');
      expect(broken.body.detail).toMatch(/not valid JSON/);
    });

    it('a NUL in a path parameter is a 400 naming the parameter, not a database error', async () => {
      const res = await t.http().post('/api/intake/forms/edge%00contact').set('Origin', ORIGIN).send({ name: 'Kari' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'formKey', message: 'must not hold a NUL or half a surrogate pair' }]);
      expect(res.body.detail).toMatch(/path parameter formKey/);
      const get = await t.http().get('/api/intake/forms/edge%00contact/render-token');
      expect(get.status).toBe(400);
      expect(get.body.errors[0].field).toBe('formKey');
    });

    it('a Drift message time out of any sane range is a 422 naming data.createdAt', async () => {
      const res = await t.http().post('/api/intake/chatbot/drift').send({ type: 'new_message', token: DRIFT_TOKEN, orgId: 1, data: { id: 5, conversationId: 6, type: 'chat', body: 'hi', author: { type: 'contact', id: 99 }, createdAt: -1e15 } });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ field: 'data.createdAt', message: 'must be a time in epoch milliseconds, from 2000 until a day from now' }]);
    });

    it('a path parameter over the router’s length limit is a 414 problem document, and a broken percent-encoding a 400 one', async () => {
      const long = await t.http().get(`/api/intake/forms/${'k'.repeat(101)}/render-token`);
      expect(long.status).toBe(414);
      expect(long.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(long.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(long.text)).toMatchObject({ status: 414, detail: 'A path parameter is longer than the 100 characters any of ours may be.' });
      const bad = await t.http().get('/api/intake/forms/%E0%A4%A/render-token');
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  it('login takes JSON only: a multipart or url-encoded body is a 415, not a parse error', async () => {
    const res = await t.http().post('/api/auth/login').set('Content-Type', 'multipart/form-data; boundary=x').send('--x\r\n');
    expect(res.status).toBe(415);
  });
});

describe('per-visitor limits and trusted proxies', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { INTAKE_LIMIT_PER_IP_PER_MINUTE: '3' } });
    const admin = (await t.userWith('admin')).token;
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin}`).send(FORM).expect(201);
  });
  afterAll(() => t.close());

  it('invalid posts count against the per-visitor limit: the fourth is a 429 before it is read', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await t.http().post(`/api/intake/forms/${FORM.key}`).set('Origin', ORIGIN).send({ name: 'No Address' })).status).toBe(422);
    }
    const limited = await t.http().post(`/api/intake/forms/${FORM.key}`).set('Origin', ORIGIN).send({ name: 'No Address' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('with no trusted proxy, X-Forwarded-For does not choose the visitor’s address', async () => {
    // The limit above is spent for this peer; a forged forwarding header does not buy a new one.
    const res = await t.http().post(`/api/intake/forms/${FORM.key}`).set('Origin', ORIGIN).set('X-Forwarded-For', '198.51.100.77').send({ name: 'Kari', email: 'kari@example.no' });
    expect(res.status).toBe(429);
  });
});
