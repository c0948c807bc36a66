import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { HubspotSyncService } from '../hubspot/hubspot-sync.service';
import { MailInboxPoller } from '../intake/mail/mail-inbox.poller';
import { ReviewService } from '../screening/review.service';

export const HUBSPOT_DRAIN = 'hubspot.drain';
export const QUARANTINE_PURGE = 'quarantine.purge';
export const MAIL_POLL = 'mail.poll';
const TRIGGER_EVERY_MS = 2_000;

/**
 * Background jobs on pg-boss (a queue in PostgreSQL: every instance may work it, a crashed job
 * is retried). The HubSpot drain is asked for every two seconds; pg-boss throttles the asks to
 * one job per window across all instances, and the drain's SKIP LOCKED claims keep two running
 * drains from sending anything twice.
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private boss?: PgBoss;
  private trigger?: NodeJS.Timeout;

  constructor(
    private readonly hubspot: HubspotSyncService,
    private readonly review: ReviewService,
    private readonly mailInbox: MailInboxPoller,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.JOBS_ENABLED) return;
    // pg-boss keeps its own tables in its own schema and migrates them itself.
    this.boss = new PgBoss({ connectionString: this.config.databaseUrl, schema: 'pgboss', max: 2, application_name: 'lead-intake-crm-jobs' });
    this.boss.on('error', (err: Error) => this.logger.warn(`pg-boss error ${(err as { code?: string }).code ?? err.name}`));
    await this.boss.start();

    // Nightly: quarantine past its retention period is deleted.
    await this.boss.createQueue(QUARANTINE_PURGE, { name: QUARANTINE_PURGE });
    await this.boss.work(QUARANTINE_PURGE, async () => {
      const purged = await this.review.purge();
      this.logger.log(`Quarantine purge: ${purged} submissions deleted`);
    });
    await this.boss.schedule(QUARANTINE_PURGE, '17 3 * * *');

    // Every minute: unread mail from the shared inbox, one poll at a time across all instances
    // (a failed poll is only logged; the next minute's poll reconnects and takes what was left).
    if (this.mailInbox.configured) {
      await this.boss.createQueue(MAIL_POLL, { name: MAIL_POLL, policy: 'singleton' });
      await this.boss.work(MAIL_POLL, async () => {
        await this.mailInbox.pollOnce();
      });
      await this.boss.schedule(MAIL_POLL, '* * * * *');
    } else {
      await this.boss.unschedule(MAIL_POLL).catch(() => undefined);
    }

    if (!this.hubspot.configured) {
      this.logger.log('HubSpot sync is not configured (no HUBSPOT_ACCESS_TOKEN): changes wait in the outbox');
      return;
    }
    await this.boss.createQueue(HUBSPOT_DRAIN, { name: HUBSPOT_DRAIN, retryLimit: 5, retryBackoff: true });
    await this.boss.work(HUBSPOT_DRAIN, { pollingIntervalSeconds: 1 }, async () => {
      await this.hubspot.drain();
    });
    const ask = () => this.boss?.send(HUBSPOT_DRAIN, {}, { singletonKey: 'drain', singletonSeconds: TRIGGER_EVERY_MS / 1000 }).catch(() => undefined);
    this.trigger = setInterval(ask, TRIGGER_EVERY_MS);
    this.trigger.unref();
    void ask();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.trigger);
    await this.boss?.stop({ graceful: true, wait: true, timeout: 15_000 });
  }
}
