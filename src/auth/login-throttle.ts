import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** Keys are hashed: the counter table holds no e-mail addresses or IPs. */
const keyOf = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Sign-in attempts counted per account and per IP (a success clears them), in PostgreSQL so every app instance shares
 * them (rate-limiter-flexible's PostgreSQL store, table from the migrations).
 */
@Injectable()
export class LoginThrottle {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    const common = { storeClient: (dataSource.driver as PostgresDriver).master, tableName: 'rate_limit', tableCreated: true, duration: config.LOGIN_FAILURE_WINDOW_SECONDS };
    this.perAccount = new RateLimiterPostgres({ ...common, keyPrefix: 'login_account', points: config.LOGIN_MAX_FAILURES_PER_ACCOUNT });
    this.perIp = new RateLimiterPostgres({ ...common, keyPrefix: 'login_ip', points: config.LOGIN_MAX_FAILURES_PER_IP });
  }

  /**
   * Counts this attempt before the password is checked, so parallel guesses cannot all slip
   * under the limit; 0 when allowed, else the seconds to wait.
   */
  async attempt(email: string, ip: string): Promise<number> {
    const results = await Promise.allSettled([this.perAccount.consume(keyOf(email)), this.perIp.consume(keyOf(ip))]);
    const waits = results.flatMap((r) => {
      if (r.status === 'fulfilled') return [];
      if (r.reason instanceof RateLimiterRes) return [Math.ceil(r.reason.msBeforeNext / 1000)];
      throw r.reason;
    });
    return waits.length ? Math.max(1, ...waits) : 0;
  }

  /** A successful sign-in clears the account's count and gives the address its point back. */
  async succeeded(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.delete(keyOf(email)), this.perIp.reward(keyOf(ip), 1)]);
  }
}
