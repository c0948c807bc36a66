import { createDataSource } from './data-source';

/**
 * Applies pending migrations, one transaction each. An advisory lock makes instances that
 * start together take turns, so each migration runs once.
 */
export async function migrate(url: string): Promise<string[]> {
  const ds = createDataSource(url, 2);
  await ds.initialize();
  const lock = ds.createQueryRunner();
  try {
    await lock.connect();
    await lock.query(`SELECT pg_advisory_lock(hashtext('lead-intake-crm.migrations'))`);
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(hashtext('lead-intake-crm.migrations'))`).catch(() => undefined);
    await lock.release();
    await ds.destroy();
  }
}
