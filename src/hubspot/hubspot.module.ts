import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { createHubspotClient, HUBSPOT_CLIENT, HUBSPOT_SLEEP } from './hubspot.client';
import { HubspotController } from './hubspot.controller';
import { HubspotLimiter } from './hubspot-limiter';
import { HubspotStatusService } from './hubspot-status.service';
import { HubspotSyncService } from './hubspot-sync.service';
import { HubspotRepository } from './hubspot.repository';

@Global()
@Module({
  controllers: [HubspotController],
  providers: [
    { provide: HUBSPOT_CLIENT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createHubspotClient(config) },
    { provide: HUBSPOT_SLEEP, useValue: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) },
    HubspotRepository,
    HubspotLimiter,
    HubspotSyncService,
    HubspotStatusService,
  ],
  exports: [HubspotSyncService, HubspotStatusService],
})
export class HubspotModule {}
