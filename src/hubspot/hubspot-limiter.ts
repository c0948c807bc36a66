import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { HUBSPOT_SLEEP, type Sleep } from './hubspot.client';

const WINDOW_S = 0.5;
const WINDOWS_PER_ROLLING_SPAN = 10 / WINDOW_S + 1;

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
      // HubSpot's window rolls; the store's windows are fixed. Any 10 s span touches at most
      // 21 half-second windows, so a 21st of the budget per half second can never exceed it.
      points: Math.max(1, Math.floor(config.HUBSPOT_RATE_LIMIT_PER_10S / WINDOWS_PER_ROLLING_SPAN)),
      duration: WINDOW_S,
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
