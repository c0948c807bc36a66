/**
 * `npm run bench -- console`: how fast the console shows a list of 50 leads with
 * CONSOLE_BENCH_PERSONS persons (default 1,000,000) in the database, in a real browser (Debian's
 * chromium-headless-shell, or CHROMIUM_PATH): from a click on "Leads" until the 50 rows are on
 * the screen, beside the same page fetched from the API alone (the baseline: what the console adds
 * is the ratio). Also a filtered list (status) and a search (name). Needs the console built (`npm
 * start` or `npm test` builds it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { Pool } from 'pg';
import { round, startService, temporaryDatabase } from './harness';

const PERSONS = Number(process.env.CONSOLE_BENCH_PERSONS ?? 1_000_000);
const RUNS = 7;
const PASSWORD = 'console-bench-passphrase-1';
const ROOT = join(__dirname, '..', '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seed(pool: Pool): Promise<void> {
  await pool.query(
    `INSERT INTO person (id, first_name, last_name, email, status, sync_state, created_at, updated_at)
     SELECT gen_random_uuid(), 'First' || n, 'Last' || n, 'p' || n || '@bench.test',
            (ARRAY['new','contacted','qualified','disqualified'])[1 + n % 4], 'synced', now() - n * interval '1 minute', now()
       FROM generate_series(1, $1) n`,
    [PERSONS],
  );
  await pool.query(
    `INSERT INTO capture (id, person_id, source, received_at, payload, mapped, request, inquiry_type, legal_bases, policy_version, retention_anchor, retention_anchor_at, retention_due_at, actor_type)
     SELECT gen_random_uuid(), p.id, 'web_form', p.created_at, '{}', '{}', 'We would like a quote for a new web shop', 'services', '{}', 'en-1', 'collection', p.created_at, p.created_at + interval '8 years', 'anonymous'
       FROM person p`,
  );
  await pool.query('VACUUM ANALYZE person');
  await pool.query('VACUUM ANALYZE capture');
}

/** From a click on the Leads menu (coming from another screen) until `rows` rows show: milliseconds. */
async function timeList(page: Page, hash: string, rows: number): Promise<number> {
  await page.goto(`/console/#/account/password`);
  await page.getByRole('button', { name: 'Change password' }).waitFor();
  const start = Date.now();
  await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  await page.locator('tbody tr').nth(rows - 1).waitFor();
  return Date.now() - start;
}

async function timeApi(base: string, token: string, query: string): Promise<number> {
  const start = Date.now();
  const res = await fetch(`${base}/api/persons?${query}`, { headers: { Authorization: `Bearer ${token}` } });
  await res.json();
  return Date.now() - start;
}

export async function run(): Promise<void> {
  if (!existsSync(join(ROOT, 'console', 'dist', 'index.html'))) throw new Error('The console is not built: run `node scripts/build-if-stale.js console` first.');
  const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((p) => p && existsSync(p));
  if (!executablePath) throw new Error('No Chromium: apt-get install chromium-headless-shell, or set CHROMIUM_PATH.');
  const database = await temporaryDatabase();
  const pool = new Pool({ connectionString: database.url, max: 2 });
  const env = { DATABASE_URL: database.url, DATABASE_APP_URL: database.appUrl };
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  const browser = await chromium.launch({ executablePath });
  const figures: Record<string, number> = {};
  try {
    console.log(`console: ${PERSONS} persons with a capture each (CONSOLE_BENCH_PERSONS to change)`);
    await seed(pool);
    execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli.js'), 'users:create', '--email', 'sales@bench.test', '--role', 'sales'], { env: { ...process.env, ...env, CRM_USER_PASSWORD: PASSWORD }, stdio: 'ignore' });
    service = await startService(database, { JWT_SECRET: 'b'.repeat(48), NODE_ENV: 'development' });
    const base = `http://127.0.0.1:${service.port}`;
    const token = ((await (await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'sales@bench.test', password: PASSWORD }) })).json()) as { accessToken: string }).accessToken;
    const page = await browser.newPage({ baseURL: base });
    await page.goto('/console/');
    await page.getByRole('textbox', { name: 'E-mail' }).fill('sales@bench.test');
    await page.getByRole('textbox', { name: 'Password' }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('tbody tr').nth(49).waitFor();

    const cases = [
      { name: 'newest 50', hash: '#/persons', query: 'limit=50&sort=-createdAt' },
      { name: 'status filter', hash: `#/persons?filter=${encodeURIComponent(JSON.stringify({ status: ['qualified'] }))}`, query: 'limit=50&sort=-createdAt&status=qualified' },
      { name: 'name search', hash: `#/persons?filter=${encodeURIComponent(JSON.stringify({ q: 'Last12' }))}`, query: 'limit=50&sort=-createdAt&q=Last12' },
    ];
    for (const c of cases) {
      const list: number[] = [];
      const api: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        list.push(await timeList(page, c.hash, 50));
        api.push(await timeApi(base, token, c.query));
      }
      const [l, a] = [median(list), median(api)];
      console.log(`  ${c.name}: ${l} ms in the console (median of ${RUNS}), ${a} ms from the API alone; ${round(l / a, 2)}x`);
      figures[c.name] = l;
      figures[`${c.name} api`] = a;
    }
  } finally {
    await browser.close();
    await service?.stop();
    await pool.end();
    await database.close();
  }
  // Last, after the service's own goodbye lines.
  const [list, api] = [figures['newest 50'], figures['newest 50 api']];
  console.log(JSON.stringify({ bench: 'console', persons: PERSONS, list_ms: list, api_ms: api, ratio: round(list / api, 2), filtered_ms: figures['status filter'], search_ms: figures['name search'] }));
}
