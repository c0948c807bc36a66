/**
 * `npm run migration:run | migration:revert | migration:show | migration:generate -- Name`,
 * against DATABASE_URL or the embedded server (attaching to it if the app is running).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnvironment } from '../config/app-config';
import { createDataSource } from './data-source';
import { openDatabase } from './database';

function migrationSource(name: string, timestamp: number, up: string[], down: string[]): string {
  const lines = (qs: string[]) => qs.map((q) => `    await queryRunner.query(\`${q.replace(/[`\\]/g, '\\$&').replace(/\$\{/g, '\\${')}\`);`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${timestamp} implements MigrationInterface {
  name = '${name}${timestamp}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  const env = loadEnvironment(process.env);
  const server = await openDatabase(env, 'attach');
  const ds = createDataSource(server.url, 2);
  await ds.initialize();
  try {
    switch (command) {
      case 'run': {
        const done = await ds.runMigrations({ transaction: 'each' });
        console.log(done.length ? `Applied: ${done.map((m) => m.name).join(', ')}` : 'No pending migrations.');
        break;
      }
      case 'revert':
        await ds.undoLastMigration({ transaction: 'each' });
        console.log('Reverted the last migration.');
        break;
      case 'show':
        console.log((await ds.showMigrations()) ? 'There are pending migrations.' : 'The schema is up to date.');
        break;
      case 'generate': {
        if (!name || !/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error('Usage: npm run migration:generate -- NameInPascalCase');
        const pending = await ds.showMigrations();
        if (pending) throw new Error('Apply pending migrations first (npm run migration:run): a diff against an old schema would repeat them.');
        const sql = await ds.driver.createSchemaBuilder().log();
        if (sql.upQueries.length === 0) {
          console.log('The entities match the schema: nothing to generate.');
          break;
        }
        const timestamp = Date.now();
        const file = join(__dirname, '..', '..', '..', 'migrations', `${timestamp}-${name}.ts`);
        const up = sql.upQueries.map((q) => q.query);
        const down = sql.downQueries.map((q) => q.query).reverse();
        writeFileSync(file, migrationSource(name, timestamp, up, down));
        console.log(`Wrote migrations/${timestamp}-${name}.ts: review it before committing.`);
        break;
      }
      default:
        throw new Error('Usage: migration-cli run | revert | show | generate Name');
    }
  } finally {
    await ds.destroy();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
