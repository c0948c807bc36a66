import { ConsoleModule } from './console/console.module';
import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { enforceIdentityOnCheckout } from './access/access-pool';
import { AccountsModule } from './accounts/accounts.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { EventsModule } from './events/events.module';
import { logFormatFor, loggingParams } from './common/logging';
import type { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/data-source';
import { HealthModule } from './health/health.module';
import type { Sleep } from './hubspot/hubspot.client';
import { HubspotModule } from './hubspot/hubspot.module';
import { IntakeModule } from './intake/intake.module';
import { JobsModule } from './jobs/jobs.module';
import { LeadsModule } from './leads/leads.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PrivacyModule } from './privacy/privacy.module';
import { PolicyModule } from './policy/policy.module';
import { QuarantineModule } from './quarantine/quarantine.module';
import { ScreeningModule } from './screening/screening.module';

export interface AppOptions {
  /** Where log lines go (stdout by default); tests capture them. */
  logDestination?: NodeJS.WritableStream;
  /** How the HubSpot sync waits out rate-limit windows (tests move a fake clock instead). */
  hubspotSleep?: Sleep;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config, options),
        LoggerModule.forRoot(loggingParams(config.LOG_LEVEL, options.logDestination, logFormatFor(config))),
        // As the service role, and every connection handed out carries the caller's identity.
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(config.databaseAppUrl, 10, { connectMs: config.DATABASE_CONNECT_TIMEOUT_MS, statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS }), migrationsRun: false }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            enforceIdentityOnCheckout((dataSource.driver as PostgresDriver).master as Pool);
            return dataSource;
          },
        }),
        PolicyModule,
        AuditModule,
        AuthModule,
        HealthModule,
        NotificationsModule,
        ScreeningModule,
        LeadsModule,
        AccountsModule,
        PrivacyModule,
        IntakeModule,
        EventsModule,
        QuarantineModule,
        HubspotModule,
        JobsModule,
        ConsoleModule,
      ],
    };
  }
}
