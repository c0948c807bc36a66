import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  /** As the owner (a superuser): for setting up and checking from outside the service. */
  url: string;
  /** As the service role, which row-level security applies to: what the app under test uses. */
  appUrl: string;
  drop(): Promise<void>;
}

function templateUrl(): URL {
  const url = process.env.CRM_TEST_TEMPLATE_URL;
  if (!url) throw new Error('CRM_TEST_TEMPLATE_URL is not set: run the tests through jest (its global setup starts PostgreSQL).');
  return new URL(url);
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const admin = templateUrl();
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of this test file's own: a copy of the migrated template, or an empty one. */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `crm_test_${randomBytes(6).toString('hex')}`;
  const template = templateUrl().pathname.slice(1);
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${options.empty ? 'template0' : template}`));
  const url = templateUrl();
  url.pathname = `/${name}`;
  const appUrl = new URL(process.env.CRM_TEST_SERVICE_URL ?? '');
  appUrl.pathname = `/${name}`;
  return {
    url: url.toString(),
    appUrl: appUrl.toString(),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
