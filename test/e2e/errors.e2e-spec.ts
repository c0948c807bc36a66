import { startTestApp, type TestApp } from '../helpers/app';

describe('errors are problem documents, bad input is a 4xx', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
    admin = (await t.userWith('admin')).token;
  });
  afterAll(() => t.close());

  const expectProblem = (res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
  };

  it('malformed JSON is a 400', async () => {
    const res = await t.http().post('/api/users').set('Authorization', `Bearer ${admin}`).set('Content-Type', 'application/json').send('{"email": ');
    expectProblem(res, 400);
    expect(res.body.detail).toMatch(/JSON/);
  });

  it('a body over the configured limit is a 413', async () => {
    const res = await t.http().post('/api/users').set('Authorization', `Bearer ${admin}`).send({ name: 'x'.repeat(4096) });
    expectProblem(res, 413);
  });

  it('an unknown route is a 404 problem document', async () => {
    const res = await t.http().get('/api/no-such-thing');
    expectProblem(res, 404);
    expect(res.body.instance).toBe('/api/no-such-thing');
  });

  it('unknown fields and invalid fields are refused with one error per field, and nothing is stored', async () => {
    const res = await t.http().post('/api/users').set('Authorization', `Bearer ${admin}`).send({ email: 'not-an-email', roles: ['boss'], password: 'short', isSuperuser: true });
    expectProblem(res, 422);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(new Set(fields)).toEqual(new Set(['email', 'name', 'roles', 'password', 'isSuperuser']));
    const users = await t.http().get('/api/users').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(users.body.items.map((u: { email: string }) => u.email)).not.toContain('not-an-email');
  });

  it('a malformed id in the path is a 400, not a 500', async () => {
    expectProblem(await t.http().get('/api/users/not-a-uuid').set('Authorization', `Bearer ${admin}`), 400);
  });

  it('an invalid cursor or query parameter is a 4xx naming the field', async () => {
    const cursor = await t.http().get('/api/users?cursor=%%%').set('Authorization', `Bearer ${admin}`);
    expectProblem(cursor, 400);
    const limit = await t.http().get('/api/users?limit=100000').set('Authorization', `Bearer ${admin}`);
    expectProblem(limit, 422);
    expect(limit.body.errors[0].field).toBe('limit');
  });

  it('responses carry security headers and a request id', async () => {
    const res = await t.http().get('/health').set('X-Request-Id', 'probe-123').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-request-id']).toBe('probe-123');
  });
});
