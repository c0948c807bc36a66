import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { loggingParams } from './common/logging';
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
import { PolicyModule } from './policy/policy.module';
import { ReviewModule } from './screening/review.module';
import { ScreeningModule } from './screening/screening.module';

export interface AppOptions {
  /** Where JSON log lines go (stdout by default); tests capture them. */
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
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(loggingParams(config.LOG_LEVEL, options.logDestination)),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), migrationsRun: false }),
        PolicyModule,
        AuditModule,
        AuthModule,
        HealthModule,
        NotificationsModule,
        ScreeningModule,
        LeadsModule,
        IntakeModule,
        ReviewModule,
        HubspotModule.forRoot({ sleep: options.hubspotSleep }),
        JobsModule,
      ],
    };
  }
}
