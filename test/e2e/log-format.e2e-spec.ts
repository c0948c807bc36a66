import { Writable } from 'node:stream';
import { startTestApp, type TestApp } from '../helpers/app';

/** Every log line the app writes, as text. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

// Its own file: nestjs-pino builds one request logger per process, so a second app in
// test/log-redaction.e2e-spec.ts would still log through the first one's JSON destination.
describe('[SEC-TRANSFER] the readable development format redacts as the JSON lines do', () => {
  let t: TestApp;
  const logs = new Capture();

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'trace', LOG_FORMAT: 'pretty' }, logDestination: logs });
  });
  afterAll(() => t.close());

  it('a sign-in with an e-mail address and password is logged as a readable line without them', async () => {
    await t.http().post('/api/auth/login').set('X-Request-Id', 'pretty-probe').send({ email: 'ingrid.bergersen@example.test', password: 'hunter2-but-longer' }).expect(401);
    const deadline = Date.now() + 5_000;
    while (!logs.text.includes('pretty-probe') && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const line = logs.text.split('\n').find((l) => l.includes('pretty-probe') && l.includes('request'));
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN)/);
    expect(line).toContain('"path":"/api/auth/login"');
    expect(logs.text).not.toMatch(/ingrid|bergersen|hunter2/i);
  });
});
