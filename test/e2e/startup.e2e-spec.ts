import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/harness';
import { CLI, MAIN as main, run, waitUntilReady as ready, type Run } from '../helpers/service-process';

/*
 * Time limits from what the test does, for a machine with both cores busy (Jest's fixed 60 s was
 * too little there): a start of the service, its own PostgreSQL included (about 4 s idle), a run
 * of the CLI, a clean stop. The test starts the service three times (one is refused), runs the
 * CLI once and stops twice.
 */
const SERVICE_START_MS = 40_000;
const CLI_RUN_MS = 20_000;
const SERVICE_STOP_MS = 20_000; // SIGTERM waits SHUTDOWN_DRAIN_MS (5 s) first
const TEST_MS = 3 * SERVICE_START_MS + CLI_RUN_MS + 2 * SERVICE_STOP_MS;

const waitUntilReady = (port: number, service: Run) => ready(port, service, SERVICE_START_MS);

const login = (port: number) =>
  fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'first.admin@example.test', password: 'first-admin-password' }),
  }).then((r) => r.status);

describe('npm start: the service on its own embedded PostgreSQL', () => {
  let dataDir: string;
  const running: Run[] = [];

  beforeAll(() => {
    if (!existsSync(main)) throw new Error('dist/ is missing: run the tests with `npm test` (it builds first).');
    dataDir = mkdtempSync(join(tmpdir(), 'crm-start-'));
    chmodSync(dataDir, 0o755);
  });
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGINT');
    await Promise.all(running.map((r) => r.exited));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts with no settings, refuses a second instance on the same data, stops cleanly, and keeps every row across a restart', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const env = { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'warn' };

    const first = run(main, [], env);
    running.push(first);
    await waitUntilReady(port, first);

    const second = run(main, [], { ...env, PORT: String(await freePort()) });
    running.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/already running .*another instance of the service is using this data directory/);

    // The first admin, made with the CLI while the service runs (it attaches to the same server).
    const cli = run(CLI, ['users:create', '--email', 'first.admin@example.test', '--role', 'admin'], { ...env, CRM_USER_PASSWORD: 'first-admin-password' });
    expect(await cli.exited).toBe(0);
    expect(await login(port)).toBe(200);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).not.toMatch(/error/i);
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const again = run(main, [], env);
    running.push(again);
    await waitUntilReady(port, again);
    expect(await login(port)).toBe(200);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }, TEST_MS);
});
