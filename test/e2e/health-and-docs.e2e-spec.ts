import { startTestApp, type TestApp } from '../helpers/app';

describe('operations: health and API documentation', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('GET /health answers while the process lives; /health/ready checks the database and migrations', async () => {
    await t.http().get('/health').expect(200, { status: 'ok', info: {}, error: {}, details: {} });
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, migrations: { status: 'up' } });
  });

  it('/health/ready says not ready while a migration is missing', async () => {
    const db = t.owner;
    const [last] = await db.query(`SELECT id, timestamp, name FROM migrations ORDER BY id DESC LIMIT 1`);
    await db.query(`DELETE FROM migrations WHERE id = $1`, [last.id]);
    try {
      const res = await t.http().get('/health/ready').expect(503);
      expect(res.body.details.migrations).toMatchObject({ status: 'down', message: 'migrations are pending' });
    } finally {
      await db.query(`INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)`, [last.id, last.timestamp, last.name]);
    }
  });

  it('serves the OpenAPI UI and JSON, with every route and DTO described', async () => {
    const ui = await t.http().get('/api/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = (await t.http().get('/api/docs-json').expect(200)).body;
    const operations = Object.entries(doc.paths as Record<string, Record<string, { summary?: string; responses?: object; security?: unknown }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, ...op })),
    );
    expect(operations.length).toBeGreaterThan(8);
    expect(operations.filter((op) => !op.summary).map((op) => op.route)).toEqual([]);
    expect(operations.filter((op) => Object.keys(op.responses ?? {}).length === 0).map((op) => op.route)).toEqual([]);
    const staffRoute = operations.find((op) => op.route === 'GET /api/users');
    expect(staffRoute?.security).toEqual([{ bearer: [] }]);
    const schemas = doc.components.schemas as Record<string, { properties?: object }>;
    for (const name of ['CreateUserDto', 'UserView', 'TokenView', 'CreatedApiKeyView', 'AuditPage']) {
      expect({ name, properties: Object.keys(schemas[name]?.properties ?? {}).length > 0 }).toEqual({ name, properties: true });
    }
  });
});
