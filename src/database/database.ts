import { ConfigurationError, type EnvironmentVariables } from '../config/app-config';
import { startEmbeddedPostgres, type EmbeddedOptions, type EmbeddedServer } from './embedded-postgres';

/**
 * The PostgreSQL server to use: DATABASE_URL when set (nothing is started), otherwise the
 * embedded server under DATA_DIR. `attach` lets CLI commands share a server the app runs.
 */
export async function openDatabase(
  env: EnvironmentVariables,
  ifRunning: 'fail' | 'attach',
  onLog?: (line: string) => void,
  supervise?: EmbeddedOptions['supervise'],
): Promise<EmbeddedServer> {
  if (env.DATABASE_URL) {
    if (!env.DATABASE_APP_URL) {
      throw new ConfigurationError(
        'DATABASE_APP_URL: set it with DATABASE_URL: the login role the service works as (e.g. postgres://crm_service:secret@host:5432/crm), ' +
          'which must not own the tables, so that row-level security applies to it.',
      );
    }
    return { url: env.DATABASE_URL, appUrl: env.DATABASE_APP_URL, stop: async () => undefined };
  }
  return startEmbeddedPostgres({ dataDir: env.DATA_DIR, port: env.EMBEDDED_PG_PORT, ifRunning, onLog, supervise });
}
