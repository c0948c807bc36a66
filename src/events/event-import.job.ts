import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { runAsSystem } from '../access/access-context';
import { AuditService } from '../audit/audit.service';
import { SYSTEM_ACTOR, type Actor } from '../domain/actor';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobQueue } from '../common/job-queue';
import { EventImportRunner } from './event-import.runner';
import { EventImportsRepository } from './event-imports.repository';

/** The attendee import's jobs; their schedules and options are in the job catalogue (src/jobs/job-catalogue.ts). */
export const EVENT_IMPORT_RUN = 'event-import.run';
export const EVENT_IMPORT_GIVE_UP = 'event-import.give-up';
export const EVENT_IMPORT_PURGE = 'event-import.purge';

/**
 * Runs of one import's job before pg-boss gives up on it (its dead-letter job then fails the
 * import): room for MAX_ATTEMPTS errors and a few stops or crashes besides.
 */
export const IMPORT_RUNS = 10;

/** A run job's data: the import, and the job's own id (the dead-letter job, a new job, needs it). */
export interface ImportRun {
  importId: string;
  jobId: string;
}

/**
 * The attendee import as background work: the run job sent when an import is queued, its
 * dead-letter job, and the purge. JobsService calls these; the import itself is the runner's.
 */
@Injectable()
export class EventImportJobs {
  private readonly logger = new Logger('EventImports');

  constructor(
    private readonly queue: JobQueue,
    private readonly runner: EventImportRunner,
    private readonly repository: EventImportsRepository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new id for the run job of an import about to be queued. */
  newJobId(): string {
    return randomUUID();
  }

  /**
   * Sends the run job in the transaction that queues the import: the job exists if and only if
   * the import is queued. The import's id is the singleton key: one run at a time.
   */
  async send(tx: EntityManager, importId: string, jobId: string): Promise<void> {
    const data: ImportRun = { importId, jobId };
    await this.queue.send(EVENT_IMPORT_RUN, data, { id: jobId, singletonKey: importId, tx });
  }

  /** After the sending transaction committed: this instance's worker (if it runs jobs) takes the job now. */
  wake(): void {
    this.queue.wake(EVENT_IMPORT_RUN);
  }

  run(data: ImportRun): Promise<void> {
    return this.runner.run(data.importId);
  }

  /** pg-boss used every retry of a run job (its runs kept stopping or dying): the import fails, and staff may start it again. */
  async giveUp(data: ImportRun): Promise<void> {
    await runAsSystem('event import', () =>
      this.repository.transaction(async (tx) => {
        const given = await this.repository.giveUp(tx, data.importId, data.jobId);
        if (!given) return;
        this.logger.warn(`Event import ${data.importId} failed: gave up after ${given.attempts} attempts`);
        const actor: Actor = given.startedBy ? { type: 'user', id: given.startedBy, roles: [], requestId: given.requestId, ip: null } : SYSTEM_ACTOR;
        await this.audit.record(actor, { action: 'event_import.failed', entityType: 'event_import', entityId: data.importId }, tx);
      }),
    );
  }

  /** Housekeeping: unused uploads and rejected lines older than EVENT_IMPORT_KEEP_DAYS go (they hold personal data nobody imported). */
  async purge(): Promise<void> {
    const purged = await runAsSystem('event import purge', () => this.repository.purgeOlderThan(this.config.EVENT_IMPORT_KEEP_DAYS));
    if (purged.files || purged.rejections) this.logger.log(`Event import purge: ${purged.files} stored files, ${purged.rejections} rejected lines deleted`);
  }

  /** Imports left queued or running by the runner's own poller (before imports were jobs) get their run job. */
  async adopt(): Promise<void> {
    const adopted = await runAsSystem('event import', () =>
      this.repository.transaction(async (tx) => {
        const imports = await this.repository.adoptQueued(tx);
        for (const i of imports) await this.send(tx, i.id, i.jobId);
        return imports.length;
      }),
    );
    if (adopted) {
      this.logger.log(`Event imports: ${adopted} queued imports given a run job`);
      this.wake();
    }
  }
}
