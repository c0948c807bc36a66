import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { createHubspotClient, HUBSPOT_CLIENT, HUBSPOT_SLEEP, type Sleep } from './hubspot.client';
import { HubspotController } from './hubspot.controller';
import { HubspotLimiter } from './hubspot-limiter';
import { HubspotStatusService } from './hubspot-status.service';
import { HubspotSyncService } from './hubspot-sync.service';
import { HubspotRepository } from './hubspot.repository';
import { LeadsModule } from '../leads/leads.module';

const realSleep: Sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

@Global()
@Module({})
export class HubspotModule {
  /** `sleep` is how the sync waits out HubSpot's windows; tests pass one that moves a fake clock. */
  static forRoot(options: { sleep?: Sleep } = {}): DynamicModule {
    return {
      module: HubspotModule,
      imports: [LeadsModule],
      controllers: [HubspotController],
      providers: [
        { provide: HUBSPOT_CLIENT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createHubspotClient(config) },
        { provide: HUBSPOT_SLEEP, useValue: options.sleep ?? realSleep },
        HubspotRepository,
        HubspotLimiter,
        HubspotSyncService,
        HubspotStatusService,
      ],
      exports: [HubspotSyncService, HubspotStatusService],
    };
  }
}
