/**
 * `npm run bench -- import`: an Eventbrite-style attendee list of 100,000 lines (20% of them
 * people already among 1,000,000 in the database) imported end to end through the service,
 * which runs in its own process as production does: HTTP upload (dryRun=false), then polling
 * the import until it is done. The import is set-based (batches of 500 lines: one locked
 * lookup, one write statement for persons, captures, timeline, registrations, audit, outbox).
 *
 * Baseline, in the same run, on a copy of the same database: COPY of the same file into a
 * staging table and one set-based upsert into person (no normalisation, no captures, no audit).
 *
 * Prints lines/s and the service process's peak RSS (VmHWM); the last line is one JSON object.
 * BENCH_ROWS and BENCH_SEED_PERSONS change the sizes.
 */
import * as argon2 from 'argon2';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { round, startService, temporaryDatabase } from './harness';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const SEED_PERSONS = Number(process.env.BENCH_SEED_PERSONS ?? 1_000_000);
const EXISTING_SHARE = 0.2;
const PASSWORD = 'bench-password-1234';

const HEADER = [
  'Order #', 'Order Date', 'First Name', 'Last Name', 'Email', 'Quantity', 'Ticket Type', 'Attendee #', 'Order Type', 'Currency', 'Total Paid',
  'Attendee Status', 'Home City', 'Home Country', 'Cell Phone', 'Job Title', 'Company', 'Work City', 'Work Country', 'What brings you here?',
];
const TICKETS = ['Early bird', 'Standard', 'VIP', 'Student'];
const TITLES = ['CTO', 'Developer', 'Architect', 'Head of IT', 'Data Engineer', 'Product Manager'];
const CITIES = ['Oslo', 'Bergen', 'Trondheim', 'Stavanger', 'Tromsø', 'Kristiansand'];

/** A deterministic pseudo-random sequence (the same file every run). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The attendee list: every fifth line someone already in the database (by e-mail), the rest new, a few refunded. */
function attendeeCsv(): Buffer {
  const random = mulberry32(42);
  const lines = [HEADER.join(',')];
  const existingStep = Math.max(1, Math.floor(SEED_PERSONS / Math.ceil(ROWS * EXISTING_SHARE)));
  for (let i = 0; i < ROWS; i++) {
    const existing = i % 5 === 0;
    const k = existing ? (i / 5) * existingStep + 1 : 0;
    const email = existing ? `seed${k}@seed.example` : `attendee${i}@bench-${i % 97}.example`;
    const phone = existing ? '' : `+47 4${String(1_000_000 + i).slice(-7)}`;
    const city = CITIES[Math.floor(random() * CITIES.length)];
    lines.push([
      String(100_000 + Math.floor(i / 2)), '2025-08-01 10:00', existing ? 'Seed' : 'Bench', existing ? `Person ${k}` : `Attendee ${i}`, email, '1',
      TICKETS[Math.floor(random() * TICKETS.length)], String(500_000 + i), 'Eventbrite Completed', 'NOK', '1500', random() < 0.02 ? 'Refunded' : 'Attending',
      city, 'Norway', phone, TITLES[Math.floor(random() * TITLES.length)], `Company ${i % 3000} AS`, city, 'Norway',
      random() < 0.3 ? 'Kubernetes, observability; "platform" engineering' : '',
    ].map(quote).join(','));
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

/** One set-based INSERT ... SELECT generate_series, as the owner; then statistics, as a live database would have. */
async function seed(url: string): Promise<number> {
  const started = Date.now();
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO person (first_name, last_name, email, phone, company_name, position, status, sync_state, created_at, updated_at)
       SELECT 'Seed', 'Person ' || g, 'seed' || g || '@seed.example', '+479' || lpad(g::text, 7, '0'), 'Seed Company ' || (g % 5000), 'Engineer', 'new', 'synced',
              now() - make_interval(days => g % 2000), now() - make_interval(days => g % 1000)
         FROM generate_series(1, $1::int) AS g`,
      [SEED_PERSONS],
    );
    await client.query('VACUUM ANALYZE person');
  } finally {
    await client.end();
  }
  return (Date.now() - started) / 1000;
}

async function cloneDatabase(ownerUrl: string, name: string): Promise<string> {
  const admin = new URL(ownerUrl);
  const source = admin.pathname.slice(1);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${source} STRATEGY = FILE_COPY`);
  } finally {
    await client.end();
  }
  const copy = new URL(ownerUrl);
  copy.pathname = `/${name}`;
  return copy.toString();
}

/** Peak resident set of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function serviceRun(database: { url: string; appUrl: string }, file: Buffer): Promise<{ seconds: number; peakRssMb: number; outcome: Record<string, number> }> {
  const owner = new Pool({ connectionString: database.url, max: 1 });
  await owner.query(`INSERT INTO staff_user (email, name, password_hash, roles) VALUES ('bench@example.test', 'Bench', $1, '{event_staff}')`, [await argon2.hash(PASSWORD, { type: argon2.argon2id })]);
  await owner.end();
  const service = await startService(database);
  try {
    const base = `http://127.0.0.1:${service.port}`;
    const call = async (path: string, init: RequestInit = {}, token?: string) => {
      const res = await fetch(`${base}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
      const body = (await res.json()) as Record<string, any>;
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const { accessToken } = await call('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.test', password: PASSWORD }) });
    const event = await call('/api/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Bench Conference', date: '2025-09-10', place: 'Oslo', organiserName: 'Bench Org', organiserContact: 'org@bench.example' }) }, accessToken);

    const started = Date.now();
    const form = new FormData();
    form.append('file', new Blob([file], { type: 'text/csv' }), 'attendees.csv');
    const accepted = await call(`/api/events/${event.id}/imports?dryRun=false`, { method: 'POST', body: form }, accessToken);
    let view = accepted;
    let lastShown = -1;
    while (view.status !== 'done') {
      if (view.status === 'failed') throw new Error(`the import failed: ${view.error}`);
      await new Promise((r) => setTimeout(r, 100));
      view = await call(`/api/events/${event.id}/imports/${accepted.id}`, {}, accessToken);
      const shown = Math.floor(view.progress.processed / 25_000);
      if (shown !== lastShown && view.progress.processed) {
        lastShown = shown;
        console.log(`  … ${view.progress.processed}/${view.progress.total} lines after ${round((Date.now() - started) / 1000, 1)} s`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    return { seconds, peakRssMb: peakRssMb(service.process.pid!), outcome: view.outcome };
  } finally {
    await service.stop();
  }
}

/** The floor: COPY of the same file into a staging table, then one upsert into person. */
async function baselineRun(url: string, file: Buffer): Promise<number> {
  // Server-side COPY reads the file as the PostgreSQL server's user: a readable temporary copy.
  const dir = mkdtempSync(join(tmpdir(), 'crm-bench-import-'));
  chmodSync(dir, 0o755);
  const path = join(dir, 'attendees.csv');
  writeFileSync(path, file, { mode: 0o644 });
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const started = Date.now();
    await client.query('BEGIN');
    await client.query(`CREATE TEMP TABLE staging (${HEADER.map((_, i) => `c${i} text`).join(', ')}) ON COMMIT DROP`);
    await client.query(`COPY staging FROM ${client.escapeLiteral(path)} WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`);
    const col = (name: string) => `c${HEADER.indexOf(name)}`;
    await client.query(
      `INSERT INTO person (first_name, last_name, email, phone, company_name, position, location)
       SELECT DISTINCT ON (lower(trim(${col('Email')}))) ${col('First Name')}, ${col('Last Name')}, lower(trim(${col('Email')})), nullif(${col('Cell Phone')}, ''),
              ${col('Company')}, ${col('Job Title')}, ${col('Work City')} || ', ' || ${col('Work Country')}
         FROM staging WHERE ${col('Email')} <> '' AND ${col('Attendee Status')} NOT IN ('Refunded', 'Cancelled')
        ORDER BY lower(trim(${col('Email')}))
       ON CONFLICT (email) WHERE email IS NOT NULL DO UPDATE SET company_name = coalesce(person.company_name, excluded.company_name), updated_at = now()`,
    );
    await client.query('COMMIT');
    return (Date.now() - started) / 1000;
  } finally {
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const database = await temporaryDatabase();
  try {
    console.log(`import: ${ROWS} attendee lines (${EXISTING_SHARE * 100}% already among ${SEED_PERSONS} persons), through the service in its own process`);
    const seeded = await seed(database.url);
    console.log(`  seeded ${SEED_PERSONS} persons in ${round(seeded, 1)} s (not measured)`);
    const file = attendeeCsv();
    console.log(`  file: ${round(file.length / 1024 / 1024, 1)} MB CSV`);
    const baselineUrl = await cloneDatabase(database.url, 'crm_baseline');

    const measured = await serviceRun(database, file);
    console.log(`  service:  ${round(measured.seconds, 2)} s, ${round(ROWS / measured.seconds, 0)} lines/s, peak RSS ${round(measured.peakRssMb, 0)} MB`);
    console.log(`            ${JSON.stringify(measured.outcome)}`);
    const baselineSeconds = await baselineRun(baselineUrl, file);
    console.log(`  baseline: ${round(baselineSeconds, 2)} s, ${round(ROWS / baselineSeconds, 0)} lines/s (COPY into staging + one upsert into person)`);
    console.log(`  ratio:    ${round(measured.seconds / baselineSeconds, 2)}x the baseline`);
    console.log(JSON.stringify({ bench: 'import', rows: ROWS, seconds: round(measured.seconds, 2), baseline_seconds: round(baselineSeconds, 2), ratio: round(measured.seconds / baselineSeconds, 2), peak_rss_mb: round(measured.peakRssMb, 0) }));
  } finally {
    await database.close();
  }
}
