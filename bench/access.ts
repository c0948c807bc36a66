import { Client } from 'pg';
import { runAsStaff } from '../src/access/access-context';
import { createApp } from '../src/app';
import { loadEnvironment } from '../src/config/app-config';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/database/data-source';
import { Person } from '../src/leads/entities/person.entity';
import { LeadsRepository, type PersonFilter } from '../src/leads/leads.repository';
import { round, temporaryDatabase } from './harness';

/**
 * `npm run bench -- access`: the staff list and search with the customer rule on (row-level
 * security, the service role, a staff identity on the connection) beside the same queries run as
 * the owner without the rule, on 1,000,000 persons, 10,000 companies (10% active customers) and
 * 500 users, interleaved in one run.
 */
const PERSONS = Number(process.env.BENCH_PERSONS ?? 1_000_000);
const COMPANIES = 10_000;
const USERS = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);

const FIRST = ['anna', 'ola', 'kari', 'per', 'ingrid', 'lars', 'sofie', 'jonas', 'emma', 'henrik', 'nora', 'erik', 'maja', 'sindre', 'tuva', 'magnus'];
const LAST = ['hansen', 'johansen', 'olsen', 'larsen', 'andersen', 'pedersen', 'nilsen', 'kristiansen', 'jensen', 'karlsen', 'johnsen', 'pettersen', 'eriksen', 'berg', 'haugen', 'hagen', 'johannessen', 'andreassen', 'jacobsen', 'dahl'];

export async function __seed(url: string): Promise<void> {
  return seed(url);
}

async function seed(url: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`INSERT INTO staff_user (email, name, password_hash, roles)
      SELECT 'user' || g || '@firm.example', 'User ' || g, 'not-a-hash', CASE WHEN g <= 50 THEN ARRAY['account_manager'] WHEN g <= 55 THEN ARRAY['admin'] ELSE ARRAY['sales'] END
        FROM generate_series(1, ${USERS}) g`);
    await c.query(`INSERT INTO company (name, domain, is_customer, last_service_delivery_at)
      SELECT 'Company ' || g, 'company' || g || '.example', g % 10 = 0, CASE WHEN g % 10 = 0 THEN now() - interval '30 days' END FROM generate_series(1, ${COMPANIES}) g`);
    // Each of the 50 account managers looks after 20 customers; 200 grants, a quarter of them expired.
    await c.query(`INSERT INTO account_manager (company_id, user_id)
      SELECT c.id, u.id FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM company WHERE is_customer) c
        JOIN (SELECT id, row_number() OVER (ORDER BY email) AS n FROM staff_user WHERE roles = ARRAY['account_manager']) u ON u.n = 1 + (c.n % 50)`);
    await c.query(`INSERT INTO customer_access_grant (company_id, user_id, reason, expires_at)
      SELECT c.id, u.id, 'bench', CASE WHEN c.n % 4 = 0 THEN now() - interval '1 day' END
        FROM (SELECT id, row_number() OVER (ORDER BY name) AS n FROM company WHERE is_customer LIMIT 200) c
        JOIN (SELECT id, row_number() OVER (ORDER BY email) AS n FROM staff_user WHERE roles = ARRAY['sales']) u ON u.n = c.n`);
    // 70% of people belong to a company; the trigger marks those of customers (about 7%).
    await c.query(`INSERT INTO person (first_name, last_name, email, company_id, company_name, status, created_at, updated_at)
      SELECT (ARRAY[${FIRST.map((f) => `'${f}'`).join(',')}])[1 + g % ${FIRST.length}],
             (ARRAY[${LAST.map((l) => `'${l}'`).join(',')}])[1 + (g / 7) % ${LAST.length}] || CASE WHEN g % 3 = 0 THEN '' ELSE (g % 997)::text END,
             'p' || g || '@mail' || (g % 5000) || '.example',
             CASE WHEN g % 10 < 7 THEN c.id END, CASE WHEN g % 10 < 7 THEN c.name END,
             (ARRAY['new','contacted','qualified','disqualified'])[1 + g % 4],
             now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval
        FROM generate_series(1, ${PERSONS}) g
        LEFT JOIN company c ON c.name = 'Company ' || (1 + (g / 10) % ${COMPANIES})`);
    await c.query('VACUUM ANALYZE');
  } finally {
    await c.end();
  }
}

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

/** The unrestricted form of LeadsRepository.list: the same statements and ORM fetch, as the owner, with LIKE on the trigram index directly. */
async function ownerList(ds: DataSource, f: Pick<PersonFilter, 'q' | 'statuses' | 'limit'>): Promise<number> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.statuses) where.push(`p.status = ANY($${params.push(f.statuses)})`);
  if (f.q) where.push(`lower(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '') || ' ' || coalesce(p.email, '') || ' ' || coalesce(p.company_name, '')) LIKE $${params.push(`%${f.q}%`)}`);
  const rows: { id: string }[] = await ds.query(
    `SELECT p.id, (p.created_at)::text AS sort_key FROM person p ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.created_at DESC, p.id DESC LIMIT $${params.push(f.limit)}`,
    params,
  );
  if (rows.length) await ds.getRepository(Person).createQueryBuilder('p').where('p.id IN (:...ids)', { ids: rows.map((r) => r.id) }).getMany();
  return rows.length;
}

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  try {
    const seeding = Date.now();
    await seed(database.url);
    console.log(`access: ${PERSONS.toLocaleString('en')} persons, ${COMPANIES.toLocaleString('en')} companies (10% customers), ${USERS} users; seeded in ${round((Date.now() - seeding) / 1000, 1)} s`);

    const env = loadEnvironment({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JOBS_ENABLED: 'false' });
    app = await createApp({ ...env, databaseUrl: database.url, databaseAppUrl: database.appUrl, jwtSecret: 'x'.repeat(32) });
    await app.init();
    const leads = app.get(LeadsRepository);
    const owner = await createDataSource(database.url).initialize();
    const users: { id: string; roles: string[] }[] = await owner.query(`SELECT id, roles FROM staff_user ORDER BY email`);
    const [{ n: customers }] = await owner.query(`SELECT count(*)::int AS n FROM person WHERE customer_company_id IS NOT NULL`);
    console.log(`  ${customers.toLocaleString('en')} persons belong to active customers`);

    const filters: Pick<PersonFilter, 'q' | 'statuses'>[] = [
      {}, { statuses: ['qualified'] }, { statuses: ['new', 'contacted'] },
      { q: 'hansen' }, { q: 'ingrid johnsen' }, { q: 'p123456@' }, { q: 'company 42' }, { q: 'berg4' }, { q: 'mail4711' },
    ];
    const ruled: number[] = [];
    const unruled: number[] = [];
    const byFilter = filters.map(() => ({ ruled: [] as number[], unruled: [] as number[] }));
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      for (const [i, f] of filters.entries()) {
        const user = users[(round_ * filters.length + ruled.length) % users.length];
        const filter: PersonFilter = { ...f, sort: 'createdAt', descending: true, limit: 51 };
        let started = process.hrtime.bigint();
        await runAsStaff(user.id, user.roles as never, () => leads.list(filter));
        ruled.push(Number(process.hrtime.bigint() - started) / 1e6);
        byFilter[i].ruled.push(ruled[ruled.length - 1]);
        started = process.hrtime.bigint();
        await ownerList(owner, { ...f, limit: 51 });
        unruled.push(Number(process.hrtime.bigint() - started) / 1e6);
        byFilter[i].unruled.push(unruled[unruled.length - 1]);
      }
    }
    await owner.destroy();
    for (const [i, f] of filters.entries()) console.log(`    ${JSON.stringify(f).padEnd(36)} p95 ${round(p95(byFilter[i].ruled), 1)} ms, owner ${round(p95(byFilter[i].unruled), 1)} ms`);
    const measured = p95(ruled);
    const baseline = p95(unruled);
    console.log(`  with the rule:    p95 ${round(measured, 1)} ms over ${ruled.length} list and search pages (users of every kind, through the app's repository)`);
    console.log(`  baseline (owner): p95 ${round(baseline, 1)} ms, the same statements without row-level security`);
    console.log(`  ratio:            ${round(measured / baseline)}`);
    console.log(JSON.stringify({ bench: 'access', p95_ms: round(measured, 2), baseline_p95_ms: round(baseline, 2), ratio: round(measured / baseline, 3) }));
  } finally {
    await app?.close();
    await database.close();
  }
}
