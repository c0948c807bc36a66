import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_DIR } from '../../src/console/console.controller';
import { startTestApp, type TestApp } from '../helpers/app';

/** The console's files as the service serves them (the browser suite, test/console/, drives the app itself). */
describe('the staff console at /console', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('serves the page at /console and /console/, never cached, under the same security headers as the API', async () => {
    for (const path of ['/console', '/console/']) {
      const res = await t.http().get(path).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.text).toContain('<div id="root">');
    }
  });

  it('serves the built code under /console/assets/, cached for good (its name changes with its content)', async () => {
    const script = readdirSync(join(CONSOLE_DIR!, 'assets')).find((f) => f.endsWith('.js'))!;
    const res = await t.http().get(`/console/assets/${script}`).expect(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it('serves nothing else: no other file, no way out of the folder', async () => {
    for (const path of ['/console/assets/nothing.js', '/console/assets/..%2F..%2Fpackage.json', '/console/assets/%2e%2e%2findex.html', '/console/index.html', '/console/../package.json', '/console/assets/x.map']) {
      const res = await t.http().get(path);
      expect([400, 404]).toContain(res.status);
      expect(res.text).not.toContain('"name"');
    }
  });
});
