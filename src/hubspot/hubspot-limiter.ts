import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { HUBSPOT_SLEEP, type Sleep } from './hubspot.client';

/**
 * HubSpot's budget per rolling 10 seconds, shared by every app instance: the counter lives in
 * PostgreSQL (rate-limiter-flexible), and a request waits its turn rather than earn a 429.
 */
@Injectable()
export class HubspotLimiter {
  private readonly limiter: RateLimiterPostgres;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig, @Inject(HUBSPOT_SLEEP) private readonly sleep: Sleep) {
    this.limiter = new RateLimiterPostgres({
      storeClient: (dataSource.driver as PostgresDriver).master,
      tableName: 'rate_limit',
      tableCreated: true,
      keyPrefix: 'hubspot',
      points: config.HUBSPOT_RATE_LIMIT_PER_10S,
      duration: 10,
    });
  }

  /** Resolves when one more request fits in the window. */
  async acquire(): Promise<void> {
    for (;;) {
      try {
        await this.limiter.consume('requests', 1);
        return;
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        await this.sleep(Math.max(res.msBeforeNext, 20));
      }
    }
  }
}
