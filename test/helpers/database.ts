import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
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
  return {
    url: url.toString(),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
