import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import type TestAgent from 'supertest/lib/agent';
import { createApp } from '../../src/app';
import type { AppOptions } from '../../src/app.module';
import type { Role } from '../../src/domain/roles';
import { loadEnvironment, type AppConfig } from '../../src/config/app-config';
import { factory, TEST_PASSWORD } from '../factory';
import { createTestDatabase, type TestDatabase } from './database';

export { TEST_PASSWORD };


export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  /**
   * The test's own view of the database, as its owner: row-level security does not apply, so
   * checks see every row. The app itself connects as the service role.
   */
  owner: DataSource;
  http(): TestAgent;
  /** Data made through the service's own services (see test/factory.ts). */
  make: ReturnType<typeof factory>;
  /** A new staff user with these roles, and a bearer token for them. */
  userWith(...roles: Role[]): Promise<{ id: string; email: string; token: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions extends AppOptions {
  env?: Record<string, string>;
  /** An existing database to share (a second instance), instead of a fresh one. */
  db?: TestDatabase;
  /** Runs on the configured app before init(), e.g. to watch routes being registered. */
  beforeInit?: (app: NestFastifyApplication) => void;
}

/** The real application on this test file's own database, ready for supertest. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const env = loadEnvironment({ NODE_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', JOBS_ENABLED: 'false', INTAKE_LIMIT_PER_IP_PER_MINUTE: '100000', INTAKE_LIMIT_PER_SENDER_PER_HOUR: '100000', ...options.env });
  const config: AppConfig = { ...env, databaseUrl: db.url, databaseAppUrl: db.appUrl, jwtSecret: 'test-only-jwt-secret-of-at-least-32-chars' };
  const app = await createApp(config, options);
  const owner = await createDataSource(db.url, 2).initialize();
  options.beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const http = () => request(app.getHttpServer());
  return {
    app,
    config,
    db,
    owner,
    http,
    make: factory(app),
    async userWith(...roles) {
      const user = await factory(app).staff(...roles);
      const res = await http().post('/api/auth/login').send({ email: user.email, password: TEST_PASSWORD }).expect(200);
      return { id: user.id, email: user.email, token: res.body.accessToken as string };
    },
    async close() {
      await app.close();
      await owner.destroy();
      if (!options.db) await db.drop();
    },
  };
}
