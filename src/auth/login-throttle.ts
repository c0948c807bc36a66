import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** Keys are hashed: the counter table holds no e-mail addresses or IPs. */
const keyOf = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('base64url');

/**
 * Sign-in attempts counted three ways, in PostgreSQL so every app instance shares them
 * (rate-limiter-flexible's PostgreSQL store, table from the migrations):
 *
 * - per account and IP, tight (LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP, 5): a guesser at one
 *   address is stopped on that account after a few tries, and only that address is;
 * - per account, across all IPs, high (LOGIN_MAX_FAILURES_PER_ACCOUNT, 100): a guess spread over
 *   many addresses still meets a ceiling;
 * - per IP, across accounts (LOGIN_MAX_FAILURES_PER_IP, 50): one address spraying many accounts.
 *
 * Why not a tight per-account lock alone: OWASP's authentication cheat sheet counts failures
 * per account so many addresses cannot share one guess budget, but warns that lockout can be
 * turned against the user; with a tight account-wide lock anyone who knows an address (an
 * admin's included) could keep that user out from everywhere. Here a stranger at one address
 * locks out only themselves; reaching the account-wide ceiling takes many addresses.
 * The keys do not depend on whether the account exists: unknown addresses are throttled exactly
 * like known ones (no enumeration).
 */
@Injectable()
export class LoginThrottle {
  private readonly perAccountAndIp: RateLimiterAbstract;
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;

  constructor(@InjectDataSource() dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    const common = { storeClient: (dataSource.driver as PostgresDriver).master, tableName: 'rate_limit', tableCreated: true, duration: config.LOGIN_FAILURE_WINDOW_SECONDS };
    this.perAccountAndIp = new RateLimiterPostgres({ ...common, keyPrefix: 'login_account_ip', points: config.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP });
    this.perAccount = new RateLimiterPostgres({ ...common, keyPrefix: 'login_account', points: config.LOGIN_MAX_FAILURES_PER_ACCOUNT });
    this.perIp = new RateLimiterPostgres({ ...common, keyPrefix: 'login_ip', points: config.LOGIN_MAX_FAILURES_PER_IP });
  }

  /**
   * Counts this attempt before the password is checked, so parallel guesses cannot all slip
   * under the limit; 0 when allowed, else the seconds to wait.
   */
  async attempt(email: string, ip: string): Promise<number> {
    const results = await Promise.allSettled([
      this.perAccountAndIp.consume(keyOf(email, ip)),
      this.perAccount.consume(keyOf(email)),
      this.perIp.consume(keyOf(ip)),
    ]);
    const waits = results.flatMap((r) => {
      if (r.status === 'fulfilled') return [];
      if (r.reason instanceof RateLimiterRes) return [Math.ceil(r.reason.msBeforeNext / 1000)];
      throw r.reason;
    });
    return waits.length ? Math.max(1, ...waits) : 0;
  }

  /**
   * A successful sign-in clears this address's count on the account and gives the attempt's
   * point back to the others: the account-wide count is not wiped, so the user's own sign-in
   * does not hand a distributed guesser a fresh budget.
   */
  async succeeded(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccountAndIp.delete(keyOf(email, ip)), this.perAccount.reward(keyOf(email), 1), this.perIp.reward(keyOf(ip), 1)]);
  }
}
