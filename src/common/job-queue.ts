import { Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** pg-boss keeps its tables in this schema of our database and migrates them itself. */
export const JOB_SCHEMA = 'pgboss';

/** A queue as pg-boss keeps it: its policy, retries, expiry and dead-letter queue (the job catalogue lists them). */
export type QueueDefinition = Omit<PgBoss.Queue, 'name'> & { name: string };

export interface SendOptions {
  /** The job's id, when the caller records it (a second send with the same id is a no-op while the job is kept). */
  id?: string;
  /** With a singleton or stately queue: one job per key (at a time, or per state). */
  singletonKey?: string;
  /** At most one job per key in each window of this many seconds. */
  singletonSeconds?: number;
  /** Sent in this transaction: the job exists only if it commits. */
  tx?: EntityManager;
}

/**
 * The one pg-boss of this process: features send jobs through it, and the jobs module registers
 * the workers and schedules of the job catalogue on it. Every instance can send (an API-only
 * instance with JOBS_ENABLED=false too: pg-boss is started on the first send, without
 * maintenance or schedules); only instances with JOBS_ENABLED run jobs.
 */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly queues = new Map<string, QueueDefinition>();
  private readonly workers = new Map<string, string[]>();
  private starting?: Promise<PgBoss>;
  private boss?: PgBoss;
  private stopping = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The queues jobs may be sent to; created (or brought in line with these options) when pg-boss starts. */
  define(queues: QueueDefinition[]): void {
    if (this.starting) throw new Error('queues are defined before pg-boss starts');
    for (const q of queues) this.queues.set(q.name, q);
  }

  /** pg-boss, started once: its schema migrated, each defined queue in place, and the service role allowed to send. */
  start(): Promise<PgBoss> {
    this.starting ??= this.open().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async open(): Promise<PgBoss> {
    const runs = this.config.JOBS_ENABLED;
    const boss = new PgBoss({
      connectionString: this.config.databaseUrl,
      schema: JOB_SCHEMA,
      max: 2,
      application_name: 'lead-intake-crm-jobs',
      // Expiry, archiving and cron belong to the instances that run jobs.
      supervise: runs,
      schedule: runs,
    });
    boss.on('error', (err: Error) => {
      const code = (err as { code?: string }).code ?? err.name;
      // Once stopping, a connection the database closes as it shuts down (57P01) is the expected end, not a fault.
      if (this.stopping && code === '57P01') return;
      this.logger.warn(`pg-boss error ${code}`);
    });
    await boss.start();
    // A dead-letter queue must exist before the queue that names it.
    const ordered = [...this.queues.values()].sort((a, b) => Number(!!a.deadLetter) - Number(!!b.deadLetter));
    for (const q of ordered) {
      await boss.createQueue(q.name, q);
      // createQueue leaves an existing queue as it was: what the catalogue says now applies to it too.
      await boss.updateQueue(q.name, q);
    }
    // A job sent in the app's own transaction is written by the service's login role (the one
    // row-level security applies to): it may add jobs and read back their id, nothing else.
    // Serialised: concurrent GRANTs on one object can fail.
    const service = `"${decodeURIComponent(new URL(this.config.databaseAppUrl).username).replace(/"/g, '""')}"`;
    await boss.getDb().executeSql(
      `BEGIN;
       SELECT pg_advisory_xact_lock(hashtext('lead-intake-crm.job-grants'));
       GRANT USAGE ON SCHEMA ${JOB_SCHEMA} TO ${service};
       GRANT SELECT ON ${JOB_SCHEMA}.queue TO ${service};
       GRANT INSERT, SELECT (id) ON ${JOB_SCHEMA}.job TO ${service};
       COMMIT;`,
      [],
    );
    this.boss = boss;
    return boss;
  }

  /** Adds a job; null when a singleton key or the id says it exists already. */
  async send(name: string, data: object, options: SendOptions = {}): Promise<string | null> {
    if (!this.queues.has(name)) throw new Error(`no queue ${name} in the job catalogue`);
    const boss = await this.start();
    const { tx, ...rest } = options;
    const db: PgBoss.Db | undefined = tx && { executeSql: async (text, values) => ({ rows: (await tx.query(text, values)) as unknown[] }) };
    return boss.send(name, data, { ...rest, ...(db ? { db } : {}) });
  }

  /** Runs `handler` for jobs of this queue in this instance (one at a time per call). */
  async work<T extends object>(name: string, options: PgBoss.WorkOptions, handler: PgBoss.WorkHandler<T>): Promise<void> {
    const boss = await this.start();
    const id = await boss.work<T>(name, options, handler);
    this.workers.set(name, [...(this.workers.get(name) ?? []), id]);
  }

  /** This instance's workers of the queue look now rather than at their next poll (after a send committed). */
  wake(name: string): void {
    for (const id of this.workers.get(name) ?? []) this.boss?.notifyWorker(id);
  }

  /** The queues this instance works. */
  working(): string[] {
    return [...this.workers.keys()];
  }

  async schedule(name: string, cron: string): Promise<void> {
    await (await this.start()).schedule(name, cron);
  }

  async unschedule(name: string): Promise<void> {
    await (await this.start()).unschedule(name);
  }

  /** Running jobs get 15 s to end (the attendee import stops between batches before this); the rest are retried elsewhere. */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const boss = await this.starting?.catch(() => undefined);
    await boss?.stop({ graceful: true, wait: true, timeout: 15_000 });
  }
}

@Module({ providers: [JobQueue], exports: [JobQueue] })
export class JobQueueModule {}
