import { loadEnvironment, ConfigurationError, type AppConfig } from './config/app-config';
import { openDatabase } from './database/database';
import { DataDirectoryInUseError, localSecrets } from './database/embedded-postgres';
import { migrate } from './database/migrate';
import { prepareServiceRole } from './database/service-role';
import { createApp } from './app';
import { bootLogger, logFormatFor } from './common/logging';

async function main(): Promise<void> {
  const env = loadEnvironment(process.env);
  // Boot messages, before the application's logger exists; never personal data.
  const boot = bootLogger(logFormatFor(env));
  const say = (msg: string) => boot.info(msg);
  const started = Date.now();
  const database = await openDatabase(env, 'fail');
  let stopping = false;
  try {
    const applied = await migrate(database.url);
    if (applied.length) say(`Applied migrations: ${applied.join(', ')}`);
    await prepareServiceRole(database.url, database.appUrl);
    const config: AppConfig = { ...env, databaseUrl: database.url, databaseAppUrl: database.appUrl, jwtSecret: env.JWT_SECRET ?? localSecrets(env.DATA_DIR).jwtSecret };
    const app = await createApp(config);

    // SIGINT/SIGTERM: stop taking requests, let running ones finish, close the pool, then stop PostgreSQL.
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      say(`Received ${signal}: draining requests and stopping`);
      try {
        await app.close();
      } finally {
        await database.stop();
        say('Stopped cleanly');
        process.exit(0);
      }
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));

    await app.listen({ port: env.PORT, host: env.HOST });
    say(`Listening on http://${env.HOST}:${env.PORT} (ready in ${Date.now() - started} ms); API docs at /api/docs`);
  } catch (err) {
    await database.stop().catch(() => undefined);
    throw err;
  }
}

main().catch((err) => {
  const known = err instanceof ConfigurationError || err instanceof DataDirectoryInUseError;
  process.stderr.write(`${known ? err.message : `Could not start: ${err instanceof Error ? err.stack : String(err)}`}\n`);
  process.exit(1);
});
