import { loadEnvironment, ConfigurationError, type AppConfig } from './config/app-config';
import { openDatabase } from './database/database';
import { DataDirectoryInUseError, localSecrets, MAX_RESTARTS } from './database/embedded-postgres';
import { migrate } from './database/migrate';
import { prepareServiceRole } from './database/service-role';
import { createApp } from './app';
import { Draining } from './health/draining';
import { bootLogger, logFormatFor } from './common/logging';

async function main(): Promise<void> {
  const env = loadEnvironment(process.env);
  // Boot messages, before the application's logger exists; never personal data.
  const boot = bootLogger(logFormatFor(env));
  const say = (msg: string) => boot.info(msg);
  const started = Date.now();
  // The embedded PostgreSQL is watched: restarted with backoff if it dies; if it cannot be, the
  // service exits with a clear message so whatever supervises it restarts the whole thing.
  const database = await openDatabase(env, 'fail', undefined, {
    onRestart: (attempt, reason) => boot.warn(`The embedded PostgreSQL stopped (${reason}); restarting it (attempt ${attempt} of ${MAX_RESTARTS}). Requests are answered 503 meanwhile.`),
    onRestarted: () => say('The embedded PostgreSQL is running again'),
    onGiveUp: (err) => {
      process.stderr.write(`The embedded PostgreSQL could not be restarted (${err.message}); stopping the service so its supervisor can restart it. See DATA_DIR/postgres.log.\n`);
      process.exit(1);
    },
  });
  let stopping = false;
  try {
    const applied = await migrate(database.url);
    if (applied.length) say(`Applied migrations: ${applied.join(', ')}`);
    await prepareServiceRole(database.url, database.appUrl);
    const config: AppConfig = { ...env, databaseUrl: database.url, databaseAppUrl: database.appUrl, jwtSecret: env.JWT_SECRET ?? localSecrets(env.DATA_DIR).jwtSecret };
    const app = await createApp(config);

    // SIGTERM (the orchestrator): readiness turns 503 and answers close their connections for
    // SHUTDOWN_DRAIN_MS, so the load balancer moves on; then the server stops taking requests,
    // running ones finish, the pool closes and PostgreSQL stops. SIGINT (a person at the
    // terminal) skips the wait.
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      const wait = signal === 'SIGTERM' ? env.SHUTDOWN_DRAIN_MS : 0;
      say(`Received ${signal}: draining requests${wait ? ` (readiness 503 for ${wait} ms)` : ''} and stopping`);
      app.get(Draining).start();
      try {
        if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
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
