import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { runAsSystem } from '../access/access-context';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { SYSTEM_ACTOR } from '../domain/actor';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { FoundPerson } from '../leads/leads.repository';
import { LeadsService, type NewCapture } from '../leads/leads.service';
import { PolicyService } from '../policy/policy.service';
import type { EventImport, ImportCounts } from './entities/event-import.entity';
import type { Event } from './entities/event.entity';
import { EventImportsRepository, type BatchSession } from './event-imports.repository';
import { EventsRepository } from './events.repository';
import { UnreadableFileError, type FileShape } from './import/attendee-file';
import { attendeeLines, countLines, readLayout } from './import/attendee-lines';
import type { Attendee, Rejection, RowContext } from './import/attendee-row';
import { planColumns } from './import/header-map';
import { addCounts, FileIdentities, knownPersons, planBatch, zeroCounts, type BatchPlan } from './import/registration-plan';

/**
 * Attendee lines per transaction: one lock-and-find and one write statement each. 500 measured
 * as fast as 1,000 (again with two batches in flight), with less held in memory (peak RSS 10-30
 * MB lower) and at most 1,000 advisory locks per transaction (the lock table is shared by every session).
 */
export const BATCH_ROWS = 500;
/** Runs that end in an error before the import fails for good (stopped or crashed runs count too: see IMPORT_RUNS). */
const MAX_ATTEMPTS = 5;
/** Conflicts a retried batch resolves: a deadlock, a serialisation failure, a person someone else just created. */
const RETRYABLE = new Set(['40P01', '40001', '23505']);

export const CONTENT_TYPES = { csv: 'text/csv', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' } as const;

class LeaseLost extends Error {}
class FileGone extends Error {}
/** Thrown to pg-boss when the import was given back (stopping, or a retryable failure): its job is retried and resumes after the last committed batch. */
export class ImportInterrupted extends Error {
  constructor(readonly code: string) {
    super(`event import interrupted (${code}); its job is retried`);
    this.name = 'ImportInterrupted';
  }
}

const sqlState = (err: unknown) => (err as { code?: unknown }).code;
/** For logs and the import's `error`: a class or code, never a message that could quote a row. */
const errorCode = (err: unknown) => String(sqlState(err) ?? (err as Error)?.name ?? 'Error');

export const eventDay = (event: Pick<Event, 'date'>) => new Date(`${event.date}T00:00:00Z`);

/**
 * Runs an import, as the system (row-level security shows the system every person, which
 * matching needs), for a run of its pg-boss job (EventImportJobs): claims it under a new runner
 * token and goes on after its last committed batch. Stopping or a retryable failure gives the
 * import back and throws, so pg-boss retries the job (here or on another instance).
 */
@Injectable()
export class EventImportRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger('EventImports');
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(
    readonly repository: EventImportsRepository,
    private readonly events: EventsRepository,
    private readonly policy: PolicyService,
    private readonly leads: LeadsService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Stops between batches and gives running imports back (before pg-boss stops), so their jobs are retried elsewhere or at the next start. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One run of a job of the import; a no-op when the import is done or failed. */
  run(importId: string): Promise<void> {
    const work = runAsSystem('event import', async () => {
      if (this.stopping) throw new ImportInterrupted('stopping');
      const token = randomUUID();
      const claimed = await this.repository.claim(importId, token);
      if (claimed) await this.execute(claimed, token);
    });
    const tracked = work.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return work;
  }

  private async execute(imp: EventImport, token: string): Promise<void> {
    const actor: Actor = imp.startedBy ? { type: 'user', id: imp.startedBy, roles: [], requestId: imp.requestId, ip: null } : SYSTEM_ACTOR;
    try {
      let outcome = await this.importFile(imp, token, actor);
      // A conflict with a concurrent writer (a deadlock, someone else's new person): go on from the checkpoint.
      for (let restarts = 1; outcome === 'restart'; restarts++) {
        const current = await this.repository.findById(imp.eventId, imp.id);
        if (!current || current.runnerToken !== token) throw new LeaseLost();
        if (restarts > MAX_ATTEMPTS) throw Object.assign(new Error('conflicts'), { code: 'conflicts' });
        outcome = await this.importFile(current, token, actor);
      }
      if (!outcome) {
        await this.repository.release(imp.id, token, null);
        throw new ImportInterrupted('stopping');
      }
      await this.repository.transaction(async (tx) => {
        if (await this.repository.finish(tx, imp.id, token, outcome.counts, outcome.processed)) {
          await this.audit.record(actor, { action: 'event_import.finished', entityType: 'event_import', entityId: imp.id, after: { ...outcome.counts } }, tx);
        }
      });
    } catch (err) {
      if (err instanceof ImportInterrupted) throw err;
      // Another run holds the import now (this one outlived its job's expiry): that run goes on from the checkpoint.
      if (err instanceof LeaseLost) return;
      const permanent = err instanceof UnreadableFileError || err instanceof FileGone || imp.attempts >= MAX_ATTEMPTS;
      this.logger.warn(`Event import ${imp.id} ${permanent ? 'failed' : 'interrupted, will resume'}: ${errorCode(err)}`);
      if (!permanent) {
        await this.repository.release(imp.id, token, errorCode(err));
        throw new ImportInterrupted(errorCode(err));
      }
      // UnreadableFileError messages are written for staff and quote no cell.
      const reason = err instanceof UnreadableFileError ? err.message : err instanceof FileGone ? 'The stored file is gone; upload it again.' : `Gave up after ${imp.attempts} attempts (${errorCode(err)}).`;
      await this.repository.transaction(async (tx) => {
        if (await this.repository.fail(tx, imp.id, token, reason)) {
          await this.audit.record(actor, { action: 'event_import.failed', entityType: 'event_import', entityId: imp.id }, tx);
        }
      });
    }
  }

  /**
   * The whole file, resumed after the checkpoint. Returns null when stopped part-way (shutting
   * down), 'restart' when a batch met a conflict and the run must go on from the checkpoint.
   */
  private async importFile(imp: EventImport, token: string, actor: Actor): Promise<Committed | null | 'restart'> {
    if (imp.fileDeletedAt) throw new FileGone();
    const event = await this.events.findById(imp.eventId);
    if (!event) throw new FileGone();
    const shape: FileShape = { format: imp.format, encoding: imp.encoding, delimiter: imp.delimiter };
    const open = () => this.repository.openFile(imp.id, imp.fileBytes, (work) => runAsSystem('event import', work));
    const layout = await readLayout(open(), shape, imp.mapping);
    if (imp.totalRows === null) await this.repository.setTotal(imp.id, token, await countLines(open(), shape, layout));
    const { columns } = planColumns(layout.header, imp.mapping, layout.sample);
    const ctx: RowContext = { phoneRegion: this.config.DEFAULT_PHONE_REGION, minimumAge: this.policy.minimumAge(), today: new Date(imp.createdAt) };

    const pipeline = new BatchPipeline(this, imp, token, actor, event, { counts: imp.outcome ?? zeroCounts(), processed: imp.processedRows });
    if (imp.doneThroughLine > 0) await this.recallTaken(imp, event, attendeeLines(open(), shape, layout.line, columns, ctx), pipeline.taken);
    let job: BatchJob = newJob(imp.doneThroughLine);
    try {
      reading: for await (const lines of attendeeLines(open(), shape, layout.line, columns, ctx)) {
        for (const { line, result } of lines) {
          if (line <= imp.doneThroughLine) continue; // committed before
          if (this.stopping || pipeline.failed) break reading;
          job.lastLine = line;
          if (result.kind === 'blank') continue;
          job.rows++;
          job.read.rows++;
          if (result.kind === 'not_attending') job.read.notAttending++;
          else if (result.kind === 'rejected') {
            job.read.rejectedRows++;
            job.rejections.push(result.rejection);
          } else {
            if (result.attendee.warning) job.rejections.push(result.attendee.warning);
            if (job.seen.seen(result.attendee)) job.read.duplicateRows++;
            else job.attendees.push(result.attendee);
          }
          if (job.attendees.length >= BATCH_ROWS || job.rejections.length >= BATCH_ROWS) {
            await pipeline.submit(job);
            job = newJob(line);
          }
        }
      }
      if (!this.stopping && !pipeline.failed) await pipeline.submit(job);
      const done = await pipeline.finish();
      return this.stopping ? null : done;
    } catch (err) {
      await pipeline.finish().catch(() => undefined);
      if (err instanceof LeaseLost) throw err;
      if (RETRYABLE.has(sqlState(err) as string)) return 'restart';
      throw err;
    }
  }

  /**
   * A resumed run: whom the committed batches took (see planBatch's `taken`), planned again from
   * their lines, so that someone registered before the import and named again after the
   * checkpoint is a duplicate, as in an uninterrupted run and the dry run, not registered twice
   * over. Reads only; on resume only.
   */
  private async recallTaken(imp: EventImport, event: Event, lines: AsyncIterable<{ line: number; result: { kind: string; attendee?: Attendee } }[]>, taken: Set<string>): Promise<void> {
    let batch: Attendee[] = [];
    const plan = async () => {
      const emails = [...new Set(batch.flatMap((a) => (a.email ? [a.email] : [])))];
      const phones = [...new Set(batch.flatMap((a) => (a.phone ? [a.phone] : [])))];
      const found = await runAsSystem('event import', () => this.leads.findByIdentities(emails, phones));
      const registered = await runAsSystem('event import', () => this.repository.registrations(null, event.id, found.map((p) => p.id)));
      planBatch(batch, knownPersons(found, registered), imp.id, taken);
      batch = [];
    };
    reading: for await (const chunk of lines) {
      for (const { line, result } of chunk) {
        if (line > imp.doneThroughLine) break reading;
        if (result.kind === 'attendee') batch.push(result.attendee!);
        if (batch.length >= BATCH_ROWS) await plan();
      }
    }
    if (batch.length) await plan();
  }

  /**
   * Stage one of a batch, in file order: its identities locked and its persons found (by
   * leads, the rule every channel uses), who each line is planned, and the captures to hand to
   * leads' writer built.
   */
  async prepareBatch(imp: EventImport, actor: Actor, event: Event, job: BatchJob, taken: Set<string>): Promise<PreparedBatch> {
    const emails = [...new Set(job.attendees.flatMap((a) => (a.email ? [a.email] : [])))];
    const phones = [...new Set(job.attendees.flatMap((a) => (a.phone ? [a.phone] : [])))];
    const session = await this.repository.openBatch();
    try {
      const leadsSession = { client: session.client, ownTransaction: false, release: () => undefined };
      const found = await this.leads.lockAndFind(leadsSession, emails, phones);
      const registered = await this.repository.registrations(session.client, event.id, found.map((p) => p.id));
      const plan = planBatch(job.attendees, knownPersons(found, registered), imp.id, taken);
      const delta = addCounts(job.read, {
        newPersons: plan.created.length,
        matchedPersons: plan.matched.length,
        registrations: plan.created.length + plan.matched.length,
        alreadyRegistered: plan.alreadyRegistered,
        duplicateRows: plan.duplicates,
        rejectedRows: plan.restricted.length,
      });
      return { session, found, delta, captures: this.capturesOf(imp, actor, event, plan), rejections: [...job.rejections, ...plan.restricted] };
    } catch (err) {
      await this.repository.rollback(session);
      session.release();
      throw err;
    }
  }

  /** Stage two: the captures through leads' writer, with the batch's registrations and rejected lines in the same statement. */
  async writeBatch(imp: EventImport, batch: PreparedBatch): Promise<void> {
    const leadsSession = { client: batch.session.client, ownTransaction: false, release: () => undefined };
    const lines = batch.captures.map(({ attendee }) => attendee);
    const registrations = this.repository.registrationsWritten({
      importId: imp.id,
      eventId: imp.eventId,
      registrations: {
        lines: lines.map((a) => a.line),
        ticketTypes: lines.map((a) => a.ticketType),
        orderRefs: lines.map((a) => a.orderRef),
        attendeeRefs: lines.map((a) => a.attendeeRef),
        registeredAts: lines.map((a) => a.registeredAt?.toISOString() ?? null),
      },
      rejections: batch.rejections,
    });
    await this.leads.captureMany(leadsSession, batch.captures.map(({ capture }) => capture), batch.found, registrations);
  }

  /**
   * Each planned line as an event capture: the line as received, the fields read from it, a
   * contract basis for attending (7.3(1)) beside keeping the history (7.3(2)), a clock from
   * the event day (leads keeps it forward-only), and the registration on the timeline.
   */
  private capturesOf(imp: EventImport, actor: Actor, event: Event, plan: BatchPlan): PreparedBatch['captures'] {
    const day = eventDay(event);
    const receivedAt = new Date(imp.createdAt);
    // Attending is a contract matter (7.3(1)); a consent question answered yes adds its purpose on consent.
    const legalBases = (a: Attendee) => ({ ...this.leads.legalBases('event', null, a.consents.map((c) => c.purpose)), handle_request: 'contract' as const });
    const capture = (a: Attendee, personId?: string) => ({
      attendee: a,
      capture: {
        actor,
        input: {
          source: 'event' as const,
          sourceRef: `event_import:${imp.id}:${a.line}`,
          receivedAt,
          contentType: CONTENT_TYPES[imp.format],
          payloadJson: a.payloadJson,
          person: a.person,
          warnings: a.warnings.length ? a.warnings : undefined,
          consents: a.consents.map((c) => c.purpose),
          consentWording: Object.fromEntries(a.consents.map((c) => [c.purpose, c.wording])),
          legalBases: legalBases(a),
          retentionAnchorAt: day,
          personId,
          activity: {
            type: 'event_registration' as const,
            details: { eventId: event.id, eventName: event.name, eventDate: event.date, importId: imp.id, line: a.line, ticketType: a.ticketType, attendeeStatus: a.attendeeStatus },
          },
        },
      },
    });
    return [...plan.created.map((a) => capture(a)), ...plan.matched.map(({ attendee, known }) => capture(attendee, known.id))];
  }
}

/** Where the import stands after its last committed batch. */
interface Committed {
  counts: ImportCounts;
  processed: number;
}

/**
 * Lines read for one batch: the attendees to write, the rejected lines, and what reading them
 * counted. Someone named twice within the batch is caught here; across batches the database
 * knows (they are registered by this import already), so no file-wide set is held in memory.
 */
interface BatchJob {
  seen: FileIdentities;
  attendees: Attendee[];
  rejections: Rejection[];
  read: ImportCounts;
  rows: number;
  lastLine: number;
}

const newJob = (lastLine: number): BatchJob => ({ seen: new FileIdentities(), attendees: [], rejections: [], read: zeroCounts(), rows: 0, lastLine });

interface PreparedBatch {
  session: BatchSession;
  /** The batch's persons as leads found them, locked by this transaction. */
  found: FoundPerson[];
  delta: ImportCounts;
  captures: { attendee: Attendee; capture: { actor: Actor; input: NewCapture } }[];
  rejections: Rejection[];
}

/**
 * Batches in flight at once: one writing while the next locks and finds, and the one after is
 * read. Three (two writing side by side) measured no faster on the two-core bench machine, where
 * this process and PostgreSQL already share both cores, and held ~15 MB more at its peak (RSS
 * 390-400 MB against 376-382 MB for 100,000 lines).
 */
const IN_FLIGHT = 2;

/**
 * Batches through three stages. Locking and finding run one batch at a time in file order, so a
 * later batch that names someone an earlier one holds waits for it in PostgreSQL; the big write
 * statements may run side by side (with IN_FLIGHT above two); commits go in file order, each with the
 * checkpoint, and a batch whose predecessor failed rolls back. So the checkpoint only ever
 * covers committed lines, and no batch waits in PostgreSQL for a later one (no deadlock).
 */
class BatchPipeline {
  private prepared: Promise<unknown> = Promise.resolve();
  private committed: Promise<Committed>;
  private readonly running = new Set<Promise<unknown>>();
  /**
   * Persons the batches of this run found (planBatch): someone registered before the import and
   * named again in a later batch is a duplicate, as in the dry run. A run resumed after a restart
   * recalls it from the committed lines first (EventImportRunner.recallTaken).
   */
  readonly taken = new Set<string>();
  failed = false;

  constructor(
    private readonly runner: EventImportRunner,
    private readonly imp: EventImport,
    private readonly token: string,
    private readonly actor: Actor,
    private readonly event: Event,
    start: Committed,
  ) {
    this.committed = Promise.resolve(start);
  }

  async submit(job: BatchJob): Promise<void> {
    while (this.running.size >= IN_FLIGHT) await Promise.race(this.running).catch(() => undefined);
    const previous = this.committed;
    const prepare = this.prepared.then(() => this.runner.prepareBatch(this.imp, this.actor, this.event, job, this.taken));
    this.prepared = prepare.then(
      () => undefined,
      () => undefined,
    ); // the order only: holding the prepared batch here would keep its rows alive
    const done = (async (): Promise<Committed> => {
      const prepared = await prepare;
      const { session, delta } = prepared;
      try {
        await this.runner.writeBatch(this.imp, prepared);
        const before = await previous;
        const after = { counts: addCounts(before.counts, delta), processed: before.processed + job.rows };
        const held = await this.runner.repository.checkpoint(session, this.imp.id, this.token, { processedRows: after.processed, doneThroughLine: job.lastLine, outcome: after.counts });
        if (!held) throw new LeaseLost();
        await this.runner.repository.commit(session);
        return after;
      } catch (err) {
        await this.runner.repository.rollback(session);
        throw err;
      } finally {
        session.release();
      }
    })();
    done.catch(() => {
      this.failed = true;
    });
    this.committed = done;
    const tracked = done.catch(() => undefined).finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  /** Waits for every batch; the last commit's standing, or the first failure. */
  async finish(): Promise<Committed> {
    await Promise.allSettled([...this.running]);
    return this.committed;
  }
}
