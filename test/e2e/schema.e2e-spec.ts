import { createDataSource } from '../../src/database/data-source';
import { migrate } from '../../src/database/migrate';
import { createTestDatabase } from '../helpers/database';

describe('migrations', () => {
  it('applied to an empty database, leave nothing for the entities to change (no pending schema diff)', async () => {
    const db = await createTestDatabase({ empty: true });
    try {
      const applied = await migrate(db.url);
      expect(applied.length).toBeGreaterThan(0);
      const ds = createDataSource(db.url, 1);
      await ds.initialize();
      try {
        const diff = await ds.driver.createSchemaBuilder().log();
        expect(diff.upQueries.map((q) => q.query)).toEqual([]);
        expect(await ds.showMigrations()).toBe(false);
      } finally {
        await ds.destroy();
      }
    } finally {
      await db.drop();
    }
  });

  it('revert all the way down and apply again', async () => {
    const db = await createTestDatabase({ empty: true });
    const ds = createDataSource(db.url, 1);
    try {
      const applied = await migrate(db.url);
      await ds.initialize();
      for (let i = 0; i < applied.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      const tables = await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`);
      expect(tables).toEqual([]);
      expect(await migrate(db.url)).toEqual(applied);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });
});
