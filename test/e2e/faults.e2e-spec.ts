import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../bench/harness';
import { localSecrets } from '../../src/database/embedded-postgres';
import { CLI, MAIN, run, waitUntilReady, type Run } from '../helpers/service-process';

/*
 * Faults, on the service as production runs it (its own process and embedded PostgreSQL, on
 * loopback). Time limits from what the test does on a busy 2-core machine: two starts of the
 * service (about 4 s idle each), a CLI run, a PostgreSQL restart with backoff, two stops.
 */
const START_MS = 40_000;
const RESTART_MS = 60_000;
const TEST_MS = 2 * START_MS + 20_000 + RESTART_MS + 60_000;

const ORIGIN = 'https://www.example.com';
const FORM = { key: 'faults', name: 'Faults', allowedOrigins: [ORIGIN], fieldMapping: { name: 'name', email: 'email', message: 'request' }, defaultInquiryType: 'other' };

interface Answer {
  status: number;
  reference?: string;
  retryAfter: string | null;
  error?: string;
}

describe('faults: a killed database and a stopping service lose nothing that was answered 2xx', () => {
  let dataDir: string;
  let port: number;
  let service: Run;
  let serial = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'crm-faults-'));
    chmodSync(dataDir, 0o755);
    port = await freePort();
    const env = {
      DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
      INTAKE_LIMIT_PER_IP_PER_MINUTE: '100000', INTAKE_LIMIT_PER_SENDER_PER_HOUR: '100000', SHUTDOWN_DRAIN_MS: '1000',
      DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '2000',
    };
    service = run(MAIN, [], env);
    await waitUntilReady(port, service, START_MS);
    const cli = run(CLI, ['users:create', '--email', 'faults.admin@example.test', '--role', 'admin'], { ...env, CRM_USER_PASSWORD: 'faults-admin-password' });
    expect(await cli.exited).toBe(0);
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'faults.admin@example.test', password: 'faults-admin-password' }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const form = await fetch(`http://127.0.0.1:${port}/api/intake-forms`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` }, body: JSON.stringify(FORM) });
    expect(form.status).toBe(201);
  }, 2 * START_MS);
  afterAll(async () => {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await service?.exited;
    // A PostgreSQL left by the killed service stops when its data directory's owner is gone; stop it here.
    try {
      process.kill(Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGINT');
    } catch {
      /* stopped with the service */
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const submit = async (): Promise<Answer> => {
    const n = ++serial;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/intake/forms/${FORM.key}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: ORIGIN },
        body: JSON.stringify({ name: `Visitor ${n}`, email: `visitor${n}@example.no`, message: `Request number ${n} about a project` }),
      });
      const body = (await res.json().catch(() => ({}))) as { reference?: string };
      return { status: res.status, reference: body.reference, retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      return { status: 0, retryAfter: null, error: String((err as { cause?: { code?: string } }).cause?.code ?? err) };
    }
  };
  const ready = () => fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, () => 0);
  const stored = async (references: string[]) => {
    const client = new Client({ connectionString: `postgres://postgres:${localSecrets(dataDir).pgPassword}@127.0.0.1:${readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]}/crm` });
    await client.connect();
    try {
      return (await client.query(`SELECT count(*)::int AS n FROM intake_submission WHERE id = ANY($1)`, [references])).rows[0].n as number;
    } finally {
      await client.end();
    }
  };

  it('PostgreSQL killed under steady intake: 503 with Retry-After meanwhile (never 500), readiness 503, restarted by itself, and every 202 stored', async () => {
    const answers: Answer[] = [];
    let steady = true;
    const workers = Array.from({ length: 3 }, async () => {
      while (steady) answers.push(await submit());
    });
    const until = async (what: () => Promise<boolean>, withinMs: number) => {
      const deadline = Date.now() + withinMs;
      while (!(await what())) {
        if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms; answers so far: ${JSON.stringify(answers.slice(-5))}\n${service.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(async () => answers.filter((a) => a.status === 202).length >= 20, START_MS);

    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    const readiness: number[] = [];
    await until(async () => (readiness.push(await ready()), readiness.at(-1) === 503), RESTART_MS);
    await until(async () => answers.some((a) => a.status === 503), RESTART_MS);
    await until(async () => (await ready()) === 200, RESTART_MS);
    const afterRestart = answers.length;
    await until(async () => answers.slice(afterRestart).filter((a) => a.status === 202).length >= 10, START_MS);
    steady = false;
    await Promise.all(workers);

    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    expect(answers.filter((a) => a.status === 503).every((a) => Number(a.retryAfter) > 0)).toBe(true);
    expect(readiness).not.toContain(500);
    expect(answers.filter((a) => a.status === 0)).toEqual([]);
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.reference!);
    expect(await stored(accepted)).toBe(accepted.length);
    expect(service.output()).toMatch(/restarting it \(attempt 1 of 5\)/);
  }, TEST_MS);

  it('a database that stalls altogether: requests are answered 503 while it is still stalled, and work again after', async () => {
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const backends = execFileSync('pgrep', ['-P', String(postmaster)]).toString().trim().split('\n').map(Number);
    const all = [postmaster, ...backends];
    all.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    let during: Answer[];
    try {
      // Answered while every PostgreSQL process is stopped: the timeouts answer, not the stall's end.
      during = await Promise.all(Array.from({ length: 5 }, () => submit()));
    } finally {
      all.forEach((pid) => process.kill(pid, 'SIGCONT'));
    }
    expect(during.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    expect(during.every((a) => Number(a.retryAfter) > 0)).toBe(true);
    const deadline = Date.now() + START_MS;
    let after = await submit();
    while (after.status !== 202 && Date.now() < deadline) after = await submit();
    expect(after.status).toBe(202);
  }, TEST_MS);

  it('SIGTERM with 50 requests in flight: readiness turns 503, every request is answered, none is reset', async () => {
    const inFlight = Array.from({ length: 50 }, () => submit());
    // Those that reach the server after the signal are still served: it takes requests for SHUTDOWN_DRAIN_MS.
    service.child.kill('SIGTERM');
    const readiness = await ready();
    const answers = await Promise.all(inFlight);
    expect(await service.exited).toBe(0);

    expect(readiness).toBe(503);
    expect(answers.filter((a) => a.status === 0)).toEqual([]);
    expect(answers.every((a) => a.status === 202 || a.status === 503)).toBe(true);
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.reference!);
    expect(accepted.length).toBeGreaterThan(0);
  }, TEST_MS);
});
