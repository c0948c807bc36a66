import { Writable } from 'node:stream';
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app';

/** Every log line the app writes, as text. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

describe('[SEC-TRANSFER] logs never carry personal data or secrets', () => {
  let t: TestApp;
  const logs = new Capture();

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'trace' }, logDestination: logs });
  });
  afterAll(() => t.close());

  it('a request carrying names, e-mails, phones, free text, passwords and tokens leaves none of them in the log', async () => {
    const admin = await t.userWith('admin');
    const secrets = {
      name: 'Ingrid Bergersen',
      email: 'ingrid.bergersen@example.test',
      phone: '+4791234567',
      text: 'Please call me about our confidential merger',
      password: 'hunter2-but-longer',
      token: admin.token,
    };
    // In the body, the query string and the headers; accepted, refused and failed requests alike.
    await t.http().post('/api/users').set('Authorization', `Bearer ${admin.token}`).send({ email: secrets.email, name: secrets.name, roles: ['sales'], password: secrets.password }).expect(201);
    await t.http().post('/api/users').set('Authorization', `Bearer ${admin.token}`).send({ email: secrets.email, name: secrets.name, phone: secrets.phone, message: secrets.text, roles: ['sales'], password: secrets.password }).expect(422);
    await t.http().get(`/api/users?search=${encodeURIComponent(secrets.email)}&phone=${encodeURIComponent(secrets.phone)}`).set('Authorization', `Bearer ${admin.token}`).expect(422);
    await t.http().post('/api/auth/login').send({ email: secrets.email, password: secrets.password }).expect(200);
    await t.http().post('/api/auth/login').send({ email: secrets.email, password: TEST_PASSWORD }).expect(401);
    await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send(`{"email":"${secrets.email}", "password": `).expect(400);
    // A web-form submission: accepted, and refused for a bad field.
    await t.http().post('/api/intake-forms').set('Authorization', `Bearer ${admin.token}`)
      .send({ key: 'log-probe', name: 'Log probe', allowedOrigins: ['https://www.example.com'], fieldMapping: { n: 'name', e: 'email', p: 'phone', m: 'request' }, defaultInquiryType: 'other' }).expect(201);
    const form = { n: secrets.name, e: secrets.email, p: secrets.phone, m: secrets.text };
    await t.http().post('/api/intake/forms/log-probe').set('Origin', 'https://www.example.com').type('form').send(new URLSearchParams(form).toString()).expect(202);
    await t.http().post('/api/intake/forms/log-probe').set('Origin', 'https://www.example.com').send({ ...form, e: 'not an address', p: 'not a phone' }).expect(422); // no way to reach them
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${secrets.token}`).set('X-Api-Key', 'crm_000000000000_secretsecretsecretsecretsecretsecretsecret0').set('Cookie', `session=${secrets.token}`).expect(200);

    expect(logs.text.split('\n').filter((l) => l.includes('"request completed"')).length).toBeGreaterThanOrEqual(10);
    for (const [kind, value] of Object.entries(secrets)) {
      expect({ kind, found: logs.text.includes(value) }).toEqual({ kind, found: false });
    }
    expect(logs.text).not.toMatch(/ingrid|bergersen|91234567|merger|hunter2|secretsecret/i);
    // The request id ties log lines to audit entries instead.
    expect(logs.text).toMatch(/"req":\{"id":"[0-9a-f-]{36}","method":"POST","path":"\/api\/users"\}/);
  });

  it('each request is one log line, under its echoed X-Request-Id, on the API and on the routes outside its prefix', async () => {
    const admin = await t.userWith('admin');
    const paths = ['/health', '/health/ready', '/api/auth/me', '/api/no-such-route'];
    for (const [i, path] of paths.entries()) {
      const res = await t.http().get(path).set('Authorization', `Bearer ${admin.token}`).set('X-Request-Id', `one-line-${i}`);
      expect(res.headers['x-request-id']).toBe(`one-line-${i}`);
    }
    // The line is written when the response finishes; the last one may still be on its way.
    const linesOf = (id: string) => logs.text.split('\n').filter((l) => l.includes(`"id":"${id}"`) && l.includes('"msg":"request'));
    const deadline = Date.now() + 5_000;
    while (linesOf(`one-line-${paths.length - 1}`).length === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    expect(paths.map((path, i) => ({ path, lines: linesOf(`one-line-${i}`).length }))).toEqual(paths.map((path) => ({ path, lines: 1 })));
  });
});
