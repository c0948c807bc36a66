import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { migrate } from '../src/database/migrate';

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

/** Starts one embedded PostgreSQL for the whole run and migrates the template database (`crm`). */
export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'crm-test-'));
  chmodSync(dataDir, 0o755); // run as root, PostgreSQL runs as the postgres user and must reach its cluster
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), ifRunning: 'fail' });
  await migrate(server.url);
  // Workers inherit the environment: each test file clones the template from this server.
  process.env.CRM_TEST_TEMPLATE_URL = server.url;
  (globalThis as Record<string, unknown>).__crmTestServer = { server, dataDir };
}
