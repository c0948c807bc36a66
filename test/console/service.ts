/**
 * The service the browser suite works against: the built service (`dist/`), on its own embedded
 * PostgreSQL in a temporary folder, started as `npm start` starts it, with staff users made by the
 * operator CLI and a few leads entered through the API. Shared by the global set-up, the teardown
 * and the tests (which read the seed from a file the set-up writes).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PASSWORD = 'console-journeys-passphrase-1';
export const ROOT = join(__dirname, '..', '..');
export const SEED_FILE = join(tmpdir(), `crm-console-seed-${process.env.CONSOLE_PORT}.json`);
export const JWT_SECRET = 'console-journeys-secret-'.padEnd(48, 'x');
/** Access tokens live 5 seconds here, so a journey outlives several of them (the console renews them). */
export const ACCESS_TOKEN_SECONDS = 5;
const WEBSITE = 'https://www.firm.example';

export type StaffRole = 'admin' | 'sales' | 'account_manager' | 'dpo' | 'event_staff';
export interface Seed {
  pid: number;
  dataDir: string;
  baseUrl: string;
  users: Record<StaffRole, { email: string; id: string }>;
  /** Leads entered by sales; a customer of the account manager's company, which sales may not see. */
  leads: { id: string; name: string; email: string; request: string }[];
  customer: { id: string; name: string; email: string };
}

export function serviceEnv(dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: process.env.CONSOLE_PORT,
    EMBEDDED_PG_PORT: process.env.CONSOLE_PG_PORT,
    DATA_DIR: dataDir,
    JWT_SECRET,
    JWT_TTL_SECONDS: String(ACCESS_TOKEN_SECONDS),
    JOBS_ENABLED: 'true', // attendee imports run as jobs
    LOG_LEVEL: 'warn',
  };
}

/** Polls until the service is ready, up to a deadline that covers a first start of PostgreSQL on a busy machine. */
async function ready(baseUrl: string, child: { exitCode: number | null }): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The service exited (${child.exitCode}) before it was ready.`);
    const ok = await fetch(`${baseUrl}/health/ready`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error('The service was not ready within two minutes.');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function call<T>(baseUrl: string, token: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

export async function signIn(baseUrl: string, email: string): Promise<string> {
  return (await call<{ accessToken: string }>(baseUrl, null, 'POST', '/api/auth/login', { email, password: PASSWORD })).accessToken;
}

export async function startService(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'crm-console-'));
  chmodSync(dataDir, 0o755); // run as root, PostgreSQL runs as the postgres user and must reach its cluster
  const env = serviceEnv(dataDir);
  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    const seeded = await seedService(baseUrl, env, child);
    writeFileSync(SEED_FILE, JSON.stringify({ ...seeded, pid: child.pid!, dataDir, baseUrl }));
    child.unref();
  } catch (err) {
    child.kill('SIGINT'); // a failed set-up leaves nothing running
    throw err;
  }
}

async function seedService(baseUrl: string, env: NodeJS.ProcessEnv, child: { exitCode: number | null }): Promise<Omit<Seed, 'pid' | 'dataDir' | 'baseUrl'>> {
  await ready(baseUrl, child);

  const users = {} as Seed['users'];
  for (const role of ['admin', 'sales', 'account_manager', 'dpo', 'event_staff'] as StaffRole[]) {
    const email = `${role.replace('_', '-')}@firm.test`;
    execFileSync(process.execPath, ['dist/src/cli.js', 'users:create', '--email', email, '--name', `${role.replace('_', ' ')} user`.replace(/^./, (c) => c.toUpperCase()), '--role', role], {
      cwd: ROOT,
      env: { ...env, CRM_USER_PASSWORD: PASSWORD },
      stdio: 'ignore',
    });
    users[role] = { email, id: (await call<{ id: string }>(baseUrl, await signIn(baseUrl, email), 'GET', '/api/auth/me')).id };
  }

  const sales = await signIn(baseUrl, users.sales.email);
  const leads: Seed['leads'] = [];
  for (const [first, last, company, request] of [
    ['Ada', 'Lovelace', 'Analytical Engines', 'We need a new billing platform'],
    ['Grace', 'Hopper', 'Compiler Works', 'A second opinion on our cloud migration'],
    ['Alan', 'Turing', 'Bletchley Labs', 'Could you build us a data pipeline?'],
  ]) {
    const email = `${first.toLowerCase()}@example.org`;
    const { id } = await call<{ id: string }>(baseUrl, sales, 'POST', '/api/persons', { source: 'phone', firstName: first, lastName: last, email, companyName: company, inquiryType: 'services', request });
    leads.push({ id, name: `${first} ${last}`, email, request });
  }
  // A second record of Grace Hopper (a new address), to merge.
  await call(baseUrl, sales, 'POST', '/api/persons', { source: 'manual', firstName: 'Grace', lastName: 'Hopper', email: 'grace.hopper@navy.example', position: 'Rear Admiral', inquiryType: 'other' });
  const admin = await signIn(baseUrl, users.admin.email);
  const customer = { name: 'Carla Customer', email: 'carla@customer.example' };
  const { id: customerId } = await call<{ id: string }>(baseUrl, admin, 'POST', '/api/persons', { source: 'manual', firstName: 'Carla', lastName: 'Customer', email: customer.email, inquiryType: 'services', request: 'Renewal of our support contract' });
  await call(baseUrl, admin, 'POST', `/api/persons/${customerId}/convert`, { company: { name: 'Customer Company AS' }, accountManagerIds: [users.account_manager.id] });

  // A mail to the sales inbox, with a file (the mail channel's relay posts it as it came).
  const { key: mailKey } = await call<{ key: string }>(baseUrl, admin, 'POST', '/api/api-keys', { name: 'Mail relay', channel: 'email' });
  const mail = [
    'From: Margaret Hamilton <margaret@apollo.example>', 'To: sales@firm.test', 'Subject: Flight software review', 'Message-ID: <review-1@apollo.example>',
    'Date: Thu, 03 Dec 2026 09:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain; charset=utf-8', '', 'Could you review our flight software? The brief is attached.', '',
    '--b', 'Content-Type: application/pdf; name="brief.pdf"', 'Content-Disposition: attachment; filename="brief.pdf"', 'Content-Transfer-Encoding: base64', '',
    Buffer.from('%PDF-1.4 brief').toString('base64'), '--b--', '',
  ].join('\r\n');
  const posted = await fetch(`${baseUrl}/api/intake/email`, { method: 'POST', headers: { 'X-Api-Key': mailKey, 'Content-Type': 'message/rfc822' }, body: mail });
  if (!posted.ok) throw new Error(`the mail was refused: ${posted.status} ${await posted.text()}`);

  // Two arrivals held by screening (the honeypot filled in): the quarantine's work.
  await call(baseUrl, admin, 'POST', '/api/intake-forms', { key: 'contact-us', name: 'Contact us', fieldMapping: { name: 'name', email: 'email', message: 'request' }, defaultInquiryType: 'other', honeypotField: 'website', allowedOrigins: [WEBSITE] });
  for (const who of ['Held One', 'Held Two']) {
    await call(baseUrl, null, 'POST', '/api/intake/forms/contact-us', { name: who, email: `${who.replace(' ', '.').toLowerCase()}@example.net`, message: 'Cheap followers, buy now', website: 'http://spam.example' }, { Origin: WEBSITE });
  }

  return { users, leads, customer: { id: customerId, ...customer } };
}

export function seed(): Seed {
  return JSON.parse(readFileSync(SEED_FILE, 'utf8')) as Seed;
}
