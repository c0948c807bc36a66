import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** Keys are hashed: the counter table holds no e-mail addresses or IPs. */
const keyOf = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * Failed logins counted per account and per IP, in PostgreSQL so every app instance shares
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

  /** Seconds until another attempt is allowed, or 0 when it is allowed now. */
  async retryAfter(email: string, ip: string): Promise<number> {
    const [account, address] = await Promise.all([this.perAccount.get(keyOf(email)), this.perIp.get(keyOf(ip))]);
    const blocked = [
      [account, this.perAccount.points],
      [address, this.perIp.points],
    ] as const;
    const waits = blocked.filter(([res, points]) => res && res.consumedPoints >= points).map(([res]) => Math.ceil(res!.msBeforeNext / 1000));
    return waits.length ? Math.max(1, ...waits) : 0;
  }

  async failed(email: string, ip: string): Promise<void> {
    // penalty() adds points without rejecting, so the count stays exact past the limit.
    await Promise.all([this.perAccount.penalty(keyOf(email)), this.perIp.penalty(keyOf(ip))]);
  }

  async succeeded(email: string): Promise<void> {
    await this.perAccount.delete(keyOf(email));
  }
}
