import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/database/embedded-postgres';
import { migrate } from '../src/database/migrate';
import { prepareServiceRole } from '../src/database/service-role';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A fresh embedded PostgreSQL with every migration applied, in a temporary directory (benchmarks and the test run). */
export async function temporaryDatabase(): Promise<{ server: EmbeddedServer; url: string; appUrl: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'crm-bench-'));
  chmodSync(dataDir, 0o755); // run as root, PostgreSQL runs as the postgres user and must reach its cluster
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), ifRunning: 'fail' });
  await migrate(server.url);
  await prepareServiceRole(server.url, server.appUrl);
  return {
    server,
    url: server.url,
    appUrl: server.appUrl,
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The service as production runs it, in its own process, on the given database. */
export async function startService(database: { url: string; appUrl: string }, env: Record<string, string> = {}): Promise<{ port: number; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  // As production runs it (package.json's start, the Dockerfile): its heap capped. BENCH_NODE_ARGS
  // adds flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the service under load.
  const nodeArgs = ['--max-old-space-size=384', ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, join(__dirname, '..', 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, DATABASE_APP_URL: database.appUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the service did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
