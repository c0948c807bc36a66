import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { currentIdentity, runAsStaff, runAsSystem, runWithoutIdentity } from '../access/access-context';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import type { UploadForm } from '../common/multipart';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { ProblemException, type FieldError } from '../common/problem-details';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { LeadsService } from '../leads/leads.service';
import { PolicyService } from '../policy/policy.service';
import type { ImportView } from './dto/event-import.dto';
import type { EventImport, ImportCounts } from './entities/event-import.entity';
import type { Event } from './entities/event.entity';
import { EventImportJobs } from './event-import.job';
import { BATCH_ROWS } from './event-import.runner';
import { EventImportsRepository } from './event-imports.repository';
import { EventsRepository } from './events.repository';
import { UploadSpool } from './import/upload-spool';
import { UnreadableFileError, UploadInspector, UploadRecordCounter, type FileShape } from './import/attendee-file';
import { attendeeLines, countLines, HEADER_SEARCH_RECORDS, readLayout, type FileLayout } from './import/attendee-lines';
import type { Attendee, Rejection } from './import/attendee-row';
import { answerDelimiter, toCsv } from './import/csv-out';
import { describeColumns, planColumns, type ColumnPlan } from './import/header-map';
import { addCounts, FileIdentities, knownPersons, planBatch, PlannedWrites, zeroCounts } from './import/registration-plan';

/** The largest attendee list accepted (about 200,000 Eventbrite lines); the route's multipart limit is the same. */
export const MAX_IMPORT_FILE_BYTES = 50 * 1024 * 1024;
const SHOWN_REJECTIONS = 1000;
/** Uploads one user may send at once (per instance): a stalled upload holds only a temporary file, but not without end. */
export const MAX_UPLOADS_PER_USER = 2;

/** Room for the form around the file (boundaries, part headers, the mapping) when judging a declared Content-Length. */
export const FORM_ROOM_BYTES = 1024 * 1024;

const invalid = (errors: FieldError[], detail = 'Some fields are missing or invalid; see errors.') => new ProblemException(422, detail, { errors });
const tooLarge = () =>
  new ProblemException(413, `The file is larger than the ${MAX_IMPORT_FILE_BYTES / 1024 / 1024} MiB an attendee list may have; split it into smaller files (each with the header line) and upload each.`, {
    errors: [{ field: 'file', message: `must be at most ${MAX_IMPORT_FILE_BYTES} bytes` }],
  });

/** The multipart reader's own refusals (second file, too many fields, a form cut short) as problems staff can act on. */
function multipartProblem(err: unknown): unknown {
  if (err instanceof ProblemException) return err;
  switch ((err as { code?: string }).code) {
    case 'FST_FILES_LIMIT':
      return invalid([{ field: 'file', message: 'attach one file only' }]);
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return invalid([{ field: 'mapping', message: 'the form has far more fields than `file` and `mapping`' }]);
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return invalid([{ field: 'mapping', message: 'is not a field this form can read' }]);
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge();
  }
  // A database error storing a piece, or a bug, is the service's own problem, not the client's.
  if ((err as { driverError?: unknown }).driverError || err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) return err;
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return err;
  return new ProblemException(400, 'The upload is not a complete multipart/form-data body (cut short or malformed); send it again.');
}

/** What the upload transaction left: a new import, or the earlier import of the same file (and mapping). */
type Received = { created: EventImport; shape: FileShape; layout: FileLayout; columns: ColumnPlan[] } | { existing: EventImport };

/** A stable text of the mapping, so the same mapping written in another key order is the same import. */
const canonical = (mapping: Record<string, string> | null) => (mapping ? JSON.stringify(Object.keys(mapping).sort().map((k) => [k, mapping[k]])) : '');

/** Re-enters the identity current now, for work a stream runs later from wherever it is pulled. */
function sameIdentity(): <T>(work: () => Promise<T>) => Promise<T> {
  const identity = currentIdentity();
  return <T>(work: () => Promise<T>) =>
    identity?.kind === 'system' ? runAsSystem(identity.reason, work) : identity?.kind === 'staff' ? runAsStaff(identity.userId, identity.roles, work) : runWithoutIdentity(work);
}

/**
 * Attendee list imports as staff see them: upload (a dry run unless asked otherwise), start,
 * progress, rejected lines. The import itself is the runner's.
 */
@Injectable()
export class EventImportsService {
  /** Uploads in progress per user, in this instance. */
  private readonly uploads = new Map<string, number>();

  constructor(
    private readonly imports: EventImportsRepository,
    private readonly events: EventsRepository,
    private readonly jobs: EventImportJobs,
    private readonly policy: PolicyService,
    private readonly leads: LeadsService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Reads the upload part by part, after the guards, straight into the stored pieces of the file
   * (its SHA-256 and size computed on the way; never the whole file in memory), then checks it:
   * an unreadable file, a bad mapping, a file without an e-mail or phone column or one over the
   * size limit is a 4xx, and the transaction that stored it rolls back, leaving nothing behind.
   * The form's `mapping` field may come before or after the file. The same file (and mapping)
   * for the same event is the same import: nothing is done twice.
   * Dry run: stores the file and the report (201). Otherwise: stores the file, answers 202, and
   * the import runs in the background.
   */
  async upload(actor: Actor, eventId: string, form: UploadForm | null, dryRun: boolean): Promise<{ status: 200 | 201 | 202; view: ImportView }> {
    const event = await this.event(eventId);
    if (!form) throw new ProblemException(415, 'Send the attendee list as multipart/form-data, the file in the field `file`.');
    // Refused before a byte of it is read: more than the file limit plus room for the form around it.
    if (form.declaredBytes !== null && form.declaredBytes > MAX_IMPORT_FILE_BYTES + FORM_ROOM_BYTES) throw tooLarge();

    const release = this.uploading(actor);
    let spool: UploadSpool | undefined;
    let received: Received;
    let sha256: string | null = null;
    try {
      spool = await UploadSpool.open();
      // The body first, at the sender's pace, with no connection held; then one short transaction.
      const { inspector, counter, mapping } = await this.receive(form, spool);
      await spool.end();
      const { bytes, shape, ...hashed } = this.readable(() => inspector.finish(canonical(mapping)));
      sha256 = hashed.sha256;
      received = await this.imports.transaction(async (tx): Promise<Received> => {
        const pendingId = await this.imports.insertPending(tx, eventId);
        const stored = this.imports.fileWriter(tx, pendingId);
        for await (const piece of spool!.read()) await stored.write(piece);
        await stored.end();
        // The pieces are visible to this transaction only: read them back through it.
        const open = () => this.imports.openFile(pendingId, bytes, (work) => work(), tx);
        const layout = await this.readableAsync(() => readLayout(open(), shape, mapping));
        const { columns, errors } = planColumns(layout.header, mapping, layout.sample);
        if (errors.length) {
          const where = layout.found ? '' : ` Line ${layout.line} was read as the header: none of the first ${HEADER_SEARCH_RECORDS} lines names an e-mail or phone column.`;
          throw invalid(errors, `The file’s columns cannot be read as an attendee list; see errors.${where}`);
        }

        const existing = await this.imports.findByHash(eventId, sha256!, tx);
        if (existing) {
          const restart = !dryRun && (existing.status === 'analysed' || existing.status === 'failed');
          if (restart) {
            if (existing.fileDeletedAt) await this.imports.moveFile(tx, pendingId, existing.id);
            await this.queue(tx, actor, existing.id);
          }
          await this.imports.remove(pendingId, tx);
          return { existing };
        }
        // Before a 202, the whole file must be readable: the count is the progress total. A CSV's
        // was counted as it arrived; an XLSX workbook is read back.
        const total = dryRun ? null : (this.readable(() => counter.finish(shape, layout.leading)) ?? (await this.readableAsync(() => countLines(open(), shape, layout))));
        const jobId = dryRun ? null : this.jobs.newJobId();
        const imp = await this.imports.complete(tx, pendingId, {
          eventId, status: dryRun ? 'analysed' : 'queued', fileSha256: sha256!, fileBytes: bytes, format: shape.format, encoding: shape.encoding, delimiter: shape.delimiter,
          columns: describeColumns(columns), headerLine: layout.line, mapping, createdBy: actor.id, startedBy: dryRun ? null : actor.id, totalRows: total, requestId: actor.requestId, jobId,
        });
        await this.audit.record(actor, { action: 'event_import.uploaded', entityType: 'event_import', entityId: imp.id, after: { eventId, format: shape.format, bytes, dryRun } }, tx);
        if (jobId) await this.jobs.send(tx, imp.id, jobId);
        return { created: imp, shape, layout, columns };
      });
    } catch (err) {
      // The same file uploaded twice at once: the other upload won (its file is stored), this one is that import.
      const again = (err as { driverError?: { code?: string } }).driverError?.code === '23505' && sha256 ? await this.imports.findByHash(eventId, sha256) : null;
      if (again) return this.again(actor, again, dryRun);
      throw err;
    } finally {
      release();
      await spool?.dispose();
    }

    if ('existing' in received) {
      const { existing } = received;
      if (!dryRun && existing.status !== 'done') this.jobs.wake();
      return { status: dryRun || existing.status === 'done' ? 200 : 202, view: await this.view(existing.eventId, existing.id) };
    }
    const { created, shape, layout, columns } = received;
    if (!dryRun) {
      this.jobs.wake();
      return { status: 202, view: await this.view(eventId, created.id) };
    }
    try {
      const analysis = await this.analyse(event, created, shape, layout.line, columns);
      await this.imports.transaction((tx) => this.imports.saveAnalysis(tx, created.id, analysis));
    } catch (err) {
      // Nothing half-done stays: the file, the import and its rejected lines go together.
      await this.imports.remove(created.id);
      if (err instanceof UnreadableFileError) throw new ProblemException(err.status, err.message, { errors: [{ field: 'file', message: err.message }] });
      throw err;
    }
    return { status: 201, view: await this.view(eventId, created.id) };
  }

  /** Starts an analysed (or failed) import; idempotent for one already on its way. */
  async start(actor: Actor, eventId: string, importId: string): Promise<ImportView> {
    const imp = await this.find(eventId, importId);
    if (imp.status === 'done') throw new ProblemException(409, 'This file was imported already; importing it again would change nothing.');
    if (imp.fileDeletedAt) throw new ProblemException(409, 'The stored file was deleted (it was not imported in time); upload it again.');
    await this.imports.transaction((tx) => this.queue(tx, actor, imp.id));
    this.jobs.wake();
    return this.view(eventId, importId);
  }

  async get(eventId: string, importId: string): Promise<ImportView> {
    await this.find(eventId, importId);
    return this.view(eventId, importId);
  }

  async list(eventId: string, limit: number, cursor?: string): Promise<Page<ImportView>> {
    await this.event(eventId);
    const before = decodeCursor(cursor) as [string, string] | undefined;
    if (before && !(before.length === 2 && typeof before[0] === 'string' && !Number.isNaN(Date.parse(before[0])) && /^[0-9a-f-]{36}$/i.test(String(before[1])))) {
      throw new ProblemException(400, 'The cursor is not one this service issued; start again without it.', { errors: [{ field: 'cursor', message: 'invalid cursor' }] });
    }
    const rows = await this.imports.listForEvent(eventId, limit + 1, before);
    const page = toPage(rows, limit, (i) => [new Date(i.createdAt).toISOString(), i.id]);
    return { items: await Promise.all(page.items.map((i) => this.view(eventId, i.id, i))), nextCursor: page.nextCursor };
  }

  /**
   * Every rejected line as CSV: line, reason, what to fix, then the line's own columns, so staff
   * can correct it and upload the corrected lines. Streamed page by page; cells neutralised.
   */
  async rejectedCsv(eventId: string, importId: string): Promise<{ fileName: string; stream: Readable }> {
    const imp = await this.find(eventId, importId);
    const headers = imp.columns.map((c) => c.header);
    const delimiter = answerDelimiter(imp.delimiter);
    const as = sameIdentity();
    const repo = this.imports;
    async function* lines(): AsyncGenerator<string> {
      yield toCsv([['Line', 'Reason', 'What to fix', ...headers]], true, delimiter);
      for (let after = 0; ; ) {
        const page = await as(() => repo.rejections(imp.id, after, 5000));
        if (!page.length) return;
        yield toCsv(page.map((r) => [r.line, r.reason, r.message, ...headers.map((h) => r.values?.[h] ?? '')]), false, delimiter);
        after = page[page.length - 1].line;
      }
    }
    return { fileName: `rejected-${importId.slice(0, 8)}.csv`, stream: Readable.from(lines()) };
  }

  // --- the dry run ------------------------------------------------------------------------

  /**
   * What an import would do, with no person, capture or registration written: each line read,
   * the rejected ones stored (for rejected.csv), and who the rest are, looked up a batch at a
   * time as the system (matching must see every person, whoever is asking). The batches are
   * the import's, planned the same way, and each lookup sees what the batches before it would
   * have written (PlannedWrites): the counts are the ones the import then reports.
   */
  private async analyse(event: Event, imp: EventImport, shape: FileShape, headerLine: number, columns: ColumnPlan[]): Promise<ImportCounts> {
    const ctx = { phoneRegion: this.config.DEFAULT_PHONE_REGION, minimumAge: this.policy.minimumAge(), today: new Date(imp.createdAt) };
    const planned = new PlannedWrites(imp.id);
    const taken = new Set<string>();
    let counts = zeroCounts();
    let seen = new FileIdentities();
    let batch: Attendee[] = [];
    let rejections: Rejection[] = [];
    const flush = async () => {
      const emails = [...new Set(batch.flatMap((a) => (a.email ? [a.email] : [])))];
      const phones = [...new Set(batch.flatMap((a) => (a.phone ? [a.phone] : [])))];
      const found = await runAsSystem('event import', async () => {
        const persons = await this.leads.findByIdentities(emails, phones);
        return knownPersons(persons, await this.imports.registrations(null, event.id, persons.map((p) => p.id)));
      });
      const plan = planBatch(batch, planned.lookup(found, emails, phones), imp.id, taken);
      planned.apply(plan);
      counts = addCounts(counts, {
        newPersons: plan.created.length,
        matchedPersons: plan.matched.length,
        registrations: plan.created.length + plan.matched.length,
        alreadyRegistered: plan.alreadyRegistered,
        duplicateRows: plan.duplicates,
        rejectedRows: plan.restricted.length,
      });
      const stored = [...rejections, ...plan.restricted];
      if (stored.length) await this.imports.transaction((tx) => this.imports.insertRejections(tx, imp.id, stored));
      [batch, rejections, seen] = [[], [], new FileIdentities()];
    };
    for await (const lines of attendeeLines(this.imports.openFile(imp.id, imp.fileBytes, sameIdentity()), shape, headerLine, columns, ctx)) {
      for (const { result } of lines) {
        if (result.kind === 'blank') continue;
        counts.rows++;
        if (result.kind === 'not_attending') counts.notAttending++;
        else if (result.kind === 'rejected') {
          counts.rejectedRows++;
          rejections.push(result.rejection);
        } else {
          if (result.attendee.warning) rejections.push(result.attendee.warning);
          if (seen.seen(result.attendee)) counts.duplicateRows++;
          else batch.push(result.attendee);
        }
        if (batch.length >= BATCH_ROWS || rejections.length >= BATCH_ROWS) await flush();
      }
    }
    await flush();
    return counts;
  }

  // --- helpers ----------------------------------------------------------------------------

  /** An upload seen before (found after a race with its twin): report it, or start it when asked to import and it has not been. */
  private async again(actor: Actor, existing: EventImport, dryRun: boolean): Promise<{ status: 200 | 202; view: ImportView }> {
    if (dryRun || existing.status === 'done') return { status: 200, view: await this.view(existing.eventId, existing.id) };
    if (existing.status === 'analysed' || existing.status === 'failed') {
      if (existing.fileDeletedAt) throw new ProblemException(409, 'The stored file was deleted while it was uploaded again; upload it once more.');
      await this.imports.transaction((tx) => this.queue(tx, actor, existing.id));
    }
    this.jobs.wake();
    return { status: 202, view: await this.view(existing.eventId, existing.id) };
  }

  /**
   * Queues an analysed or failed import and sends its run job, in the caller's transaction (so
   * the job exists exactly when the import is queued); one already queued or running keeps its job.
   */
  private async queue(tx: EntityManager, actor: Actor, importId: string): Promise<void> {
    const jobId = this.jobs.newJobId();
    if (await this.imports.queue(tx, importId, actor.id, actor.requestId, jobId)) await this.jobs.send(tx, importId, jobId);
    await this.audit.record(actor, { action: 'event_import.started', entityType: 'event_import', entityId: importId }, tx);
  }

  /** Counts a user's uploads in progress in this instance; beyond MAX_UPLOADS_PER_USER, a 429. */
  private uploading(actor: Actor): () => void {
    const key = actor.id ?? 'anonymous';
    const now = this.uploads.get(key) ?? 0;
    if (now >= MAX_UPLOADS_PER_USER) {
      throw new ProblemException(429, `You have ${now} uploads in progress; wait for one to finish.`, { retryAfterSeconds: 10 });
    }
    this.uploads.set(key, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.uploads.get(key) ?? 1) - 1;
      if (left) this.uploads.set(key, left);
      else this.uploads.delete(key);
    };
  }

  /**
   * The form, part by part: the file streamed into `file` (hashed and measured on the way, refused
   * with 413 past the limit), the mapping kept, anything else named as an error.
   */
  private async receive(
    form: UploadForm,
    file: { write(data: Buffer): Promise<void>; end(): Promise<void> },
  ): Promise<{ inspector: UploadInspector; counter: UploadRecordCounter; mapping: Record<string, string> | null }> {
    const inspector = new UploadInspector();
    const counter = new UploadRecordCounter();
    const errors: FieldError[] = [];
    let mappingText: unknown;
    let gotFile = false;
    try {
      for await (const part of form.parts()) {
        if (part.type === 'file') {
          // Anything but the one file is refused at once, unread (the connection is closed after the answer).
          if (part.fieldname !== 'file') throw invalid([{ field: part.fieldname, message: 'is not a field of this form; send the attendee list in the field `file`' }]);
          gotFile = true;
          for await (const data of part.file as AsyncIterable<Buffer>) {
            inspector.update(data);
            if (inspector.bytes > MAX_IMPORT_FILE_BYTES) throw tooLarge();
            counter.update(data);
            await file.write(data);
          }
          // The parser stops at the limit and marks the file cut short.
          if (part.file.truncated) throw tooLarge();
          await file.end();
        } else if (part.fieldname === 'mapping') {
          if (mappingText !== undefined) errors.push({ field: 'mapping', message: 'send it once' });
          mappingText = part.value;
        } else errors.push({ field: part.fieldname, message: 'is not a field of this form' });
      }
    } catch (err) {
      throw multipartProblem(err);
    }
    if (!gotFile) errors.push({ field: 'file', message: 'attach the attendee list (CSV or XLSX) as a file in this field' });
    let mapping: Record<string, string> | null = null;
    if (mappingText !== undefined && mappingText !== '') {
      let parsed: unknown;
      try {
        parsed = typeof mappingText === 'string' ? JSON.parse(mappingText) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string') || Object.keys(parsed).length > 500) {
        errors.push({ field: 'mapping', message: 'must be a JSON object of column header to field, e.g. {"Navn på kort": "fullName"}' });
      } else mapping = parsed as Record<string, string>;
    }
    if (errors.length) throw invalid(errors);
    return { inspector, counter, mapping };
  }

  private readable<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof UnreadableFileError) throw new ProblemException(err.status, err.message, { errors: [{ field: 'file', message: err.message }] });
      throw err;
    }
  }

  private async readableAsync<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (err instanceof UnreadableFileError) throw new ProblemException(err.status, err.message, { errors: [{ field: 'file', message: err.message }] });
      throw err;
    }
  }

  private async event(id: string): Promise<Event> {
    const event = await this.events.findById(id);
    if (!event) throw new NotFoundException('There is no such event.');
    return event;
  }

  private async find(eventId: string, importId: string): Promise<EventImport> {
    const imp = await this.imports.findById(eventId, importId);
    if (!imp) throw new NotFoundException('There is no such import for this event.');
    return imp;
  }

  private async view(eventId: string, importId: string, known?: EventImport): Promise<ImportView> {
    const imp = known ?? (await this.find(eventId, importId));
    const rejected = await this.imports.rejections(imp.id, 0, SHOWN_REJECTIONS + 1);
    const base = `/api/events/${eventId}/imports/${imp.id}`;
    return {
      id: imp.id,
      eventId: imp.eventId,
      status: imp.status,
      format: imp.format,
      encoding: imp.encoding,
      delimiter: imp.delimiter,
      fileBytes: imp.fileBytes,
      columns: imp.columns,
      headerLine: imp.headerLine,
      skippedLines: imp.headerLine === null ? null : imp.headerLine - 1,
      droppedColumns: imp.columns.filter((c) => c.target === null).map((c) => c.header),
      progress: { processed: imp.processedRows, total: imp.totalRows },
      analysis: imp.analysis,
      outcome: imp.outcome,
      rejected: rejected.slice(0, SHOWN_REJECTIONS).map(({ line, reason, message }) => ({ line, reason, message })),
      rejectedTruncated: rejected.length > SHOWN_REJECTIONS,
      error: imp.error,
      createdBy: imp.createdBy,
      createdAt: imp.createdAt,
      startedAt: imp.startedAt,
      finishedAt: imp.finishedAt,
      links: { self: base, run: `${base}/run`, rejectedCsv: `${base}/rejected.csv` },
    };
  }
}

