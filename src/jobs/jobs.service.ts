import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type PgBoss from 'pg-boss';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobQueue } from '../common/job-queue';
import { EventImportJobs, type ImportRun } from '../events/event-import.job';
import { HubspotSyncService } from '../hubspot/hubspot-sync.service';
import { MailInboxPoller } from '../intake/mail/mail-inbox.poller';
import { ReviewService } from '../quarantine/review.service';
import { RetentionService } from '../leads/retention.service';
import { PrivacyRequestsService } from '../privacy/privacy-requests.service';
import { SessionsService } from '../auth/sessions.service';
import { IntakeFormsService } from '../intake/forms/intake-forms.service';
import { JOB_CATALOGUE, type JobEntry, type JobName } from './job-catalogue';

export { HUBSPOT_DRAIN, MAIL_POLL, QUARANTINE_PURGE } from './job-catalogue';

type Handler = (job: PgBoss.Job<object>) => Promise<unknown>;

/**
 * Registers the job catalogue on pg-boss: every instance defines the queues (so it can send),
 * and with JOBS_ENABLED it also works each job whose integration is configured and keeps its
 * schedule. The handlers call the features' services; the rules stay there.
 */
@Injectable()
export class JobsService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly asks: NodeJS.Timeout[] = [];

  /** One handler per job of the catalogue (the type makes a missing one a compile error). */
  private readonly handlers: Record<JobName, Handler> = {
    'hubspot.drain': async () => {
      await this.hubspot.drain();
    },
    'quarantine.purge': async () => {
      const purged = await this.review.purge();
      this.logger.log(`Quarantine purge: ${purged} submissions deleted`);
    },
    'retention.sweep': async () => {
      const report = await this.retention.sweep();
      this.logger.log(`Retention sweep: ${JSON.stringify(report)}`);
    },
    'intake.trap-report': async () => {
      const reported = await this.forms.reportTrappedForms();
      if (reported.length) this.logger.log(`Trapped forms reported to the admins: ${reported.join(', ')}`);
    },
    'sessions.purge': async () => {
      const purged = await this.sessions.purge();
      this.logger.log(`Sessions purge: ${purged} ended sessions deleted`);
    },
    'privacy.reminders': async () => {
      await this.privacy.remindDueSoon();
    },
    'mail.poll': async () => {
      await this.mailInbox.pollOnce();
    },
    'event-import.run': (job) => this.eventImports.run(job.data as ImportRun),
    'event-import.give-up': (job) => this.eventImports.giveUp(job.data as ImportRun),
    'event-import.purge': () => this.eventImports.purge(),
  };

  constructor(
    private readonly queue: JobQueue,
    private readonly hubspot: HubspotSyncService,
    private readonly review: ReviewService,
    private readonly mailInbox: MailInboxPoller,
    private readonly eventImports: EventImportJobs,
    private readonly retention: RetentionService,
    private readonly privacy: PrivacyRequestsService,
    private readonly sessions: SessionsService,
    private readonly forms: IntakeFormsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.queue.define(JOB_CATALOGUE.map((j) => ({ ...j.queue, name: j.name })));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.JOBS_ENABLED) return;
    await this.queue.start();
    for (const job of JOB_CATALOGUE as readonly JobEntry[]) await this.register(job);
    await this.eventImports.adopt();
  }

  private configured(job: JobEntry): boolean {
    if (job.needs === 'hubspot') return this.hubspot.configured;
    if (job.needs === 'imap') return this.mailInbox.configured;
    return true;
  }

  private async register(job: JobEntry): Promise<void> {
    const cron = 'cron' in job.trigger ? job.trigger.cron : null;
    if (!this.configured(job)) {
      if (job.needs === 'hubspot') this.logger.log('HubSpot sync is not configured (no HUBSPOT_ACCESS_TOKEN): changes wait in the outbox');
      if (cron) await this.queue.unschedule(job.name).catch(() => undefined);
      return;
    }
    const handler = this.handlers[job.name as JobName];
    await this.queue.work(job.name, job.pollingIntervalSeconds ? { pollingIntervalSeconds: job.pollingIntervalSeconds } : {}, async ([one]) => handler(one));
    if (cron) await this.queue.schedule(job.name, cron);
    if ('askEverySeconds' in job.trigger) {
      const seconds = job.trigger.askEverySeconds;
      const ask = () => void this.queue.send(job.name, {}, { singletonKey: job.name, singletonSeconds: seconds }).catch(() => undefined);
      const timer = setInterval(ask, seconds * 1000);
      timer.unref();
      this.asks.push(timer);
      ask();
    }
  }

  beforeApplicationShutdown(): void {
    for (const timer of this.asks) clearInterval(timer);
  }
}
