import { Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG, APP_OPTIONS } from '../config/config.module';
import { AuditModule } from '../audit/audit.module';
import { createHubspotClient, HUBSPOT_CLIENT, HUBSPOT_SLEEP, type Sleep } from './hubspot.client';
import { HubspotController } from './hubspot.controller';
import { HubspotLimiter } from './hubspot-limiter';
import { HubspotStatusService } from './hubspot-status.service';
import { HubspotSyncService } from './hubspot-sync.service';
import { HubspotRepository } from './hubspot.repository';
import { LeadsModule } from '../leads/leads.module';
import { NotificationsModule } from '../notifications/notifications.module';

const realSleep: Sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

@Module({
  imports: [AuditModule, LeadsModule, NotificationsModule],
  controllers: [HubspotController],
  providers: [
    { provide: HUBSPOT_CLIENT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createHubspotClient(config) },
    // How the sync waits out HubSpot's windows; tests pass one that moves a fake clock (AppOptions.hubspotSleep).
    { provide: HUBSPOT_SLEEP, inject: [APP_OPTIONS], useFactory: (options: { hubspotSleep?: Sleep }) => options.hubspotSleep ?? realSleep },
    HubspotRepository,
    HubspotLimiter,
    HubspotSyncService,
    HubspotStatusService,
  ],
  exports: [HubspotSyncService, HubspotStatusService],
})
export class HubspotModule {}
