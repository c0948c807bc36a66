/**
 * Services on a real database, without HTTP: the application's modules as a Nest context on
 * this test file's own database (a copy of the migrated template), connected as the service
 * role so row-level security applies as in production. `owner` sees every row, for checks.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { AppModule, type AppOptions } from '../../src/app.module';
import { loadEnvironment, type AppConfig } from '../../src/config/app-config';
import { createDataSource } from '../../src/database/data-source';
import { factory } from '../factory';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

export interface ServiceContext {
  app: INestApplicationContext;
  config: AppConfig;
  db: TestDatabase;
  owner: DataSource;
  make: ReturnType<typeof factory>;
  close(): Promise<void>;
}

export async function startServices(options: AppOptions & { env?: Record<string, string> } = {}): Promise<ServiceContext> {
  const db = await createTestDatabase();
  const env = loadEnvironment({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', ...options.env });
  const config: AppConfig = { ...env, databaseUrl: db.url, databaseAppUrl: db.appUrl, jwtSecret: 'test-only-jwt-secret-of-at-least-32-chars' };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, options), { logger: false });
  await app.init();
  const owner = await createDataSource(db.url, 2).initialize();
  return {
    app, config, db, owner, make: factory(app),
    async close() {
      await app.close();
      await owner.destroy();
      await db.drop();
    },
  };
}
