import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from '../entities';
import { SnakeNamingStrategy } from './naming.strategy';

/** How long a request may wait for the database: for a connection, and for one statement. */
export interface DatabaseTimeouts {
  connectMs: number;
  statementMs: number;
}

export function dataSourceOptions(url: string, poolSize = 10, timeouts?: DatabaseTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    // gen_random_uuid() is built in since PostgreSQL 13; extensions, if ever needed, go in migrations.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    logging: false,
    extra: {
      max: poolSize,
      application_name: 'lead-intake-crm',
      // A stalled database costs a request seconds, not minutes: the wait for a connection, each
      // statement and an abandoned transaction are bounded (pg passes the last two to the session).
      ...(timeouts && {
        connectionTimeoutMillis: timeouts.connectMs,
        statement_timeout: timeouts.statementMs,
        idle_in_transaction_session_timeout: 4 * timeouts.statementMs,
        // A server that stalls altogether cannot time its statements out: the client gives up too.
        query_timeout: timeouts.statementMs + 1000,
      }),
    },
  };
}

export function createDataSource(url: string, poolSize?: number): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}
