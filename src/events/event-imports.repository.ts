import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { Readable } from 'node:stream';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditEntry } from '../audit/entities/audit-entry.entity';
import type { PersonFields } from '../leads/leads.repository';
import type { ProcessingPurpose } from '../leads/entities/capture.entity';
import type { LegalBasis } from '../policy/policy.types';
import type { EventImport, ImportColumn, ImportCounts, ImportStatus } from './entities/event-import.entity';
import { camelRow } from './events.repository';
import type { Rejection } from './import/attendee-row';

/** The stored file goes in pieces of this size (bytea rows stay well under TOAST's comfort zone). */
export const CHUNK_BYTES = 1024 * 1024;
const SLICE_BYTES = 48 * 1024;

/** A person the batch lookup found, with what the import needs to know about them. */
export interface KnownPerson {
  id: string;
  fields: Required<PersonFields>;
  restricted: boolean;
  /** The import that registered them for this event (null: not registered; a registration by hand has no import). */
  registered: boolean;
  registeredBy: string | null;
  /** The latest anchor of their event captures: the clock a new registration may move. */
  eventAnchorAt: Date | null;
  /** The person the phone lookup prefers for their phone (the same rule as LeadsService). */
  phoneTop: boolean;
}

export interface NewImport {
  eventId: string;
  status: ImportStatus;
  fileSha256: string;
  fileBytes: number;
  format: 'csv' | 'xlsx';
  encoding: string | null;
  delimiter: string | null;
  columns: ImportColumn[];
  mapping: Record<string, string> | null;
  createdBy: string | null;
  startedBy: string | null;
  totalRows: number | null;
  requestId: string | null;
  /** The pg-boss job that runs it (a direct import), sent in the same transaction. */
  jobId: string | null;
}

/** Everything one batch writes, ids made by the caller; see writeBatch. */
export interface BatchWrite {
  importId: string;
  eventId: string;
  newPersons: { id: string; fields: PersonFields }[];
  /** Matched persons: their fields after filling blanks, and whether HubSpot is owed the change. */
  updatedPersons: { id: string; fields: Required<PersonFields>; resync: boolean }[];
  /** What every capture, timeline entry and audit line of the batch shares. */
  capture: {
    receivedAt: Date;
    contentType: string;
    legalBases: Partial<Record<ProcessingPurpose, LegalBasis>>;
    policyVersion: string;
    retentionAnchor: string;
    actorType: string;
    actorId: string | null;
  };
  event: { name: string; date: string };
  audit: Pick<AuditEntry, 'actorType' | 'actorId' | 'entityType' | 'requestId' | 'ip'>;
  /**
   * One registration per index, column by column: its capture (the line as received, the fields
   * read from it, the retention clock), timeline entry, registration row, audit line (its
   * action and changes as AuditService.entry made them) and, unless `outbox` is false (a
   * restricted person, 9.4), a HubSpot outbox row. Dates travel as ISO text.
   */
  registrations: {
    captureIds: string[];
    personIds: string[];
    lines: number[];
    payloadJsons: string[];
    mappedJsons: string[];
    anchorsAt: string[];
    duesAt: string[];
    ticketTypes: (string | null)[];
    orderRefs: (string | null)[];
    attendeeRefs: (string | null)[];
    attendeeStatuses: (string | null)[];
    auditActions: string[];
    auditChangesJsons: string[];
    outbox: boolean[];
  };
  /** Older event captures of these persons take the later anchor; the due date follows each capture's policy version. */
  clockMoves: { personId: string; anchorAt: Date }[];
  eventYearsByPolicyVersion: { version: string; years: number }[];
  rejections: Rejection[];
}

/** JSON texts as the bytes of one JSON array. */
function jsonArrayBytes(texts: string[]): Buffer {
  let size = 2 + Math.max(0, texts.length - 1);
  for (const t of texts) size += Buffer.byteLength(t);
  const out = Buffer.allocUnsafe(size);
  let at = out.write('[');
  texts.forEach((t, i) => {
    if (i) at += out.write(',', at);
    at += out.write(t, at);
  });
  out.write(']', at);
  return out;
}

const PERSON_COLS = ['first_name', 'last_name', 'position', 'email', 'phone', 'skype_id', 'linkedin_url', 'location', 'company_name'] as const;
const PERSON_KEYS = ['firstName', 'lastName', 'position', 'email', 'phone', 'skypeId', 'linkedinUrl', 'location', 'companyName'] as const;

/** A connection held for one batch transaction. */
export interface BatchSession {
  client: PoolClient;
  release(): void;
}

@Injectable()
export class EventImportsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  // --- the import row ---------------------------------------------------------------------

  /**
   * The row an upload's pieces are stored under while it arrives, in the upload's transaction
   * (no one else sees it); `complete` gives it the file's hash and shape once all of it is read.
   */
  async insertPending(tx: EntityManager, eventId: string): Promise<string> {
    const rows = await tx.query(
      `INSERT INTO event_import (id, event_id, status, file_sha256, file_bytes, format, columns) SELECT g.id, $1, 'analysed', 'pending:' || g.id, 0, 'csv', '[]'
         FROM (SELECT gen_random_uuid() AS id) g RETURNING id`,
      [eventId],
    );
    return rows[0].id as string;
  }

  async complete(tx: EntityManager, id: string, i: NewImport): Promise<EventImport> {
    const [rows] = await tx.query(
      `UPDATE event_import SET status = $2, file_sha256 = $3, file_bytes = $4, format = $5, encoding = $6, delimiter = $7, columns = $8, mapping = $9, created_by = $10, started_by = $11,
              total_rows = $12, request_id = $13, job_id = $14, created_at = now(), updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, i.status, i.fileSha256, i.fileBytes, i.format, i.encoding, i.delimiter, JSON.stringify(i.columns), i.mapping && JSON.stringify(i.mapping), i.createdBy, i.startedBy, i.totalRows, i.requestId, i.jobId],
    );
    return camelRow<EventImport>(rows[0]);
  }

  async findById(eventId: string, id: string, tx: EntityManager = this.dataSource.manager): Promise<EventImport | null> {
    const rows = await tx.query(`SELECT * FROM event_import WHERE id = $1 AND event_id = $2`, [id, eventId]);
    return rows.length ? camelRow<EventImport>(rows[0]) : null;
  }

  async findByHash(eventId: string, sha256: string, tx: EntityManager = this.dataSource.manager): Promise<EventImport | null> {
    const rows = await tx.query(`SELECT * FROM event_import WHERE event_id = $1 AND file_sha256 = $2`, [eventId, sha256]);
    return rows.length ? camelRow<EventImport>(rows[0]) : null;
  }

  /** An upload whose dry run could not finish (or a pending one not needed): its file and rejected lines go with it (cascade). */
  async remove(id: string, tx: EntityManager = this.dataSource.manager): Promise<void> {
    await tx.query(`DELETE FROM event_import WHERE id = $1`, [id]);
  }

  async listForEvent(eventId: string, limit: number, before?: [string, string]): Promise<EventImport[]> {
    const params: unknown[] = [eventId, limit];
    const after = before ? `AND (created_at, id) < ($3::timestamptz, $4::uuid)` : '';
    if (before) params.push(...before);
    const rows = await this.dataSource.query(`SELECT * FROM event_import WHERE event_id = $1 ${after} ORDER BY created_at DESC, id DESC LIMIT $2`, params);
    return rows.map((r: Record<string, unknown>) => camelRow<EventImport>(r));
  }

  async saveAnalysis(tx: EntityManager, id: string, analysis: ImportCounts): Promise<void> {
    await tx.query(`UPDATE event_import SET status = 'analysed', analysis = $2, total_rows = $3, updated_at = now() WHERE id = $1`, [id, JSON.stringify(analysis), analysis.rows]);
  }

  /**
   * Queues an analysed or failed import, to be run by the job `jobId` (sent in the same
   * transaction); false for one already queued or running (its job exists) or done.
   */
  async queue(tx: EntityManager, id: string, startedBy: string | null, requestId: string | null, jobId: string): Promise<boolean> {
    const [, count] = await tx.query(
      `UPDATE event_import SET status = 'queued', started_by = $2, request_id = $3, job_id = $4, error = NULL, attempts = 0, runner_token = NULL, updated_at = now()
        WHERE id = $1 AND status IN ('analysed', 'failed')`,
      [id, startedBy, requestId, jobId],
    );
    return count > 0;
  }

  // --- the stored file --------------------------------------------------------------------

  /**
   * Stores a file as it arrives, in pieces of CHUNK_BYTES: at most one piece is held in memory,
   * and `write` resolves once the piece is stored (the caller reads no further until then).
   */
  fileWriter(tx: EntityManager, importId: string): { write(data: Buffer): Promise<void>; end(): Promise<void> } {
    let held: Buffer[] = [];
    let heldBytes = 0;
    let seq = 0;
    const flush = async () => {
      const piece = Buffer.concat(held, heldBytes);
      [held, heldBytes] = [[], 0];
      await tx.query(`INSERT INTO event_import_chunk (import_id, seq, data) VALUES ($1, $2, $3)`, [importId, seq++, piece]);
    };
    return {
      async write(data) {
        held.push(data);
        heldBytes += data.length;
        if (heldBytes >= CHUNK_BYTES) await flush();
      },
      async end() {
        if (heldBytes) await flush();
      },
    };
  }

  /** Gives an earlier import (whose stored file was deleted) the pieces of the same file uploaded again. */
  async moveFile(tx: EntityManager, fromImportId: string, toImportId: string): Promise<void> {
    await tx.query(`DELETE FROM event_import_chunk WHERE import_id = $1`, [toImportId]);
    await tx.query(`UPDATE event_import_chunk SET import_id = $2 WHERE import_id = $1`, [fromImportId, toImportId]);
    await tx.query(`UPDATE event_import SET file_deleted_at = NULL WHERE id = $1`, [toImportId]);
  }

  /**
   * The stored file as a stream, a slice of 48 KiB per read over one connection: memory holds a
   * slice at a time, and each arrives as a small base64 string (a whole stored piece as text
   * would be a string of megabytes for the heap to carry). `as` re-enters the caller's identity
   * for the connection (a stream is read wherever the consumer pulls it from). A missing piece
   * is an error, never a silently shorter file.
   */
  openFile(importId: string, expectedBytes: number, as: <T>(work: () => Promise<T>) => Promise<T>, tx?: EntityManager): Readable {
    const dataSource = this.dataSource;
    const text = `SELECT encode(substring(data FROM $3 FOR ${SLICE_BYTES}), 'base64') AS b64, length(data) AS size FROM event_import_chunk WHERE import_id = $1 AND seq = $2`;
    async function* slices(): AsyncGenerator<Buffer> {
      // In a transaction (an upload not yet committed): its own connection, the only one that sees the pieces.
      const runner = tx ? null : dataSource.createQueryRunner();
      try {
        const client = runner ? ((await as(() => runner.connect())) as PoolClient) : null;
        const fetch = async (values: unknown[]) =>
          client ? (await client.query<{ b64: string | null; size: number }>({ name: 'event_import_file_slice', text, values })).rows : ((await tx!.query(text, values)) as { b64: string | null; size: number }[]);
        let read = 0;
        for (let seq = 0; read < expectedBytes; seq++) {
          let pieceRead = 0;
          for (;;) {
            const rows = await fetch([importId, seq, pieceRead + 1]);
            if (!rows.length) throw new Error('stored import file is incomplete');
            const slice = Buffer.from(rows[0].b64 ?? '', 'base64');
            pieceRead += slice.length;
            read += slice.length;
            if (slice.length) yield slice;
            if (pieceRead >= rows[0].size || !slice.length) break;
          }
        }
      } finally {
        await runner?.release();
      }
    }
    return Readable.from(slices(), { objectMode: false });
  }

  // --- rejected lines ---------------------------------------------------------------------

  async insertRejections(tx: EntityManager, importId: string, rejections: Rejection[]): Promise<void> {
    if (!rejections.length) return;
    await tx.query(
      `INSERT INTO event_import_rejection (import_id, line, reason, message, values)
       SELECT $1, u.line, u.reason, u.message, u.vals FROM unnest($2::int[], $3::text[], $4::text[], $5::jsonb[]) AS u(line, reason, message, vals)
       ON CONFLICT DO NOTHING`,
      [importId, rejections.map((r) => r.line), rejections.map((r) => r.reason), rejections.map((r) => r.message), rejections.map((r) => r.values && JSON.stringify(r.values))],
    );
  }

  async rejections(importId: string, afterLine: number, limit: number): Promise<Rejection[]> {
    const rows = await this.dataSource.query(
      `SELECT line, reason, message, values FROM event_import_rejection WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3`,
      [importId, afterLine, limit],
    );
    return rows as Rejection[];
  }

  // --- the runners ------------------------------------------------------------------------
  // pg-boss decides who runs an import (one job per import at a time, retried when its runner
  // stops or dies). Each run takes a fresh runner token: a runner whose job pg-boss has given to
  // another (it outlived the job's expiry) can no longer write, because every write below names it.

  /**
   * Takes an import for a run of one of its jobs under a new runner token; null when it is done
   * or failed. Whichever job it is (a second one sent while one waited), the import's id is their
   * singleton key: pg-boss never has two of them running.
   */
  async claim(id: string, runnerToken: string): Promise<EventImport | null> {
    const rows = await this.dataSource.query(
      `UPDATE event_import SET status = 'running', runner_token = $2, attempts = attempts + 1, started_at = coalesce(started_at, now()), updated_at = now()
        WHERE id = $1 AND status IN ('queued', 'running') RETURNING *`,
      [id, runnerToken],
    );
    // TypeORM answers an UPDATE ... RETURNING as [rows, count].
    const list = (Array.isArray(rows[0]) ? rows[0] : rows) as Record<string, unknown>[];
    return list.length ? camelRow<EventImport>(list[0]) : null;
  }

  async setTotal(id: string, runnerToken: string, total: number): Promise<void> {
    await this.dataSource.query(`UPDATE event_import SET total_rows = $3, updated_at = now() WHERE id = $1 AND runner_token = $2`, [id, runnerToken, total]);
  }

  /** Gives the import back (shutting down, or a retryable failure): the job's retry resumes it after the last committed batch. */
  async release(id: string, runnerToken: string, error: string | null): Promise<void> {
    await this.dataSource.query(`UPDATE event_import SET status = 'queued', runner_token = NULL, error = $3, updated_at = now() WHERE id = $1 AND runner_token = $2`, [id, runnerToken, error]);
  }

  async fail(tx: EntityManager, id: string, runnerToken: string, error: string): Promise<boolean> {
    const [, count] = await tx.query(
      `UPDATE event_import SET status = 'failed', runner_token = NULL, error = $3, finished_at = now(), updated_at = now() WHERE id = $1 AND runner_token = $2`,
      [id, runnerToken, error],
    );
    return count > 0;
  }

  /** pg-boss gave up on the job `jobId` (every retry used): its import, if still waiting for that job, fails. */
  async giveUp(tx: EntityManager, id: string, jobId: string): Promise<Pick<EventImport, 'startedBy' | 'requestId' | 'attempts'> | null> {
    const [rows] = await tx.query(
      `UPDATE event_import SET status = 'failed', runner_token = NULL, error = 'Gave up after ' || attempts || ' attempts (each was interrupted).', finished_at = now(), updated_at = now()
        WHERE id = $1 AND job_id = $2 AND status IN ('queued', 'running') RETURNING started_by, request_id, attempts`,
      [id, jobId],
    );
    return rows.length ? camelRow<EventImport>(rows[0]) : null;
  }

  /** Imports queued before their runs were pg-boss jobs: each is given a job id, for the caller to send in `tx`. */
  async adoptQueued(tx: EntityManager): Promise<{ id: string; jobId: string }[]> {
    const [rows] = await tx.query(`UPDATE event_import SET job_id = gen_random_uuid() WHERE status IN ('queued', 'running') AND job_id IS NULL RETURNING id, job_id`);
    return (rows as { id: string; job_id: string }[]).map((r) => ({ id: r.id, jobId: r.job_id }));
  }

  /** Done: the counts, and the stored file deleted (the captures now hold every line that was taken). */
  async finish(tx: EntityManager, id: string, runnerToken: string, outcome: ImportCounts, processedRows: number): Promise<boolean> {
    const [, count] = await tx.query(
      `UPDATE event_import SET status = 'done', outcome = $3, processed_rows = $4, total_rows = $4, runner_token = NULL, error = NULL,
              finished_at = now(), file_deleted_at = now(), updated_at = now()
        WHERE id = $1 AND runner_token = $2`,
      [id, runnerToken, JSON.stringify(outcome), processedRows],
    );
    if (count > 0) await tx.query(`DELETE FROM event_import_chunk WHERE import_id = $1`, [id]);
    return count > 0;
  }

  /** Housekeeping: unused uploads and rejected lines older than `days` go (they hold personal data nobody imported). */
  async purgeOlderThan(days: number): Promise<{ files: number; rejections: number }> {
    const files = await this.dataSource.query(
      `WITH old AS (UPDATE event_import SET file_deleted_at = now() WHERE file_deleted_at IS NULL AND status IN ('analysed', 'failed') AND updated_at < now() - make_interval(days => $1) RETURNING id)
       DELETE FROM event_import_chunk c USING old WHERE c.import_id = old.id`,
      [days],
    );
    const rejections = await this.dataSource.query(
      `DELETE FROM event_import_rejection r USING event_import i WHERE i.id = r.import_id AND i.status IN ('analysed', 'done', 'failed') AND i.updated_at < now() - make_interval(days => $1)`,
      [days],
    );
    return { files: Number(files[1] ?? 0), rejections: Number(rejections[1] ?? 0) };
  }

  // --- one batch --------------------------------------------------------------------------

  /**
   * A batch transaction. Its commit need not wait for the disk: the checkpoint commits in the
   * same transaction, so a commit lost in a crash is a batch the resumed import does again, and
   * no one was told it was done.
   */
  async openBatch(): Promise<BatchSession> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    await client.query('BEGIN; SET LOCAL synchronous_commit TO off');
    return { client, release: () => void runner.release() };
  }

  /**
   * Per-identity advisory locks, the keys LeadsService takes for one capture, sorted the same
   * way: a web-form capture of one of these people waits for the batch (and finds the person it
   * created), and no two writers can deadlock on them.
   */
  async lockIdentities(session: BatchSession, keys: string[]): Promise<void> {
    if (keys.length) await session.client.query({ name: 'event_import_locks', text: `SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k`, values: [keys] });
  }

  /**
   * One query for a whole batch: persons by e-mail, and per phone the one LeadsService would
   * pick (someone known by that phone alone first, then the most recently updated), each with
   * whether they are registered for this event and their latest event clock. Locked FOR UPDATE
   * when given a batch session; a dry run reads without locking.
   */
  async findKnown(session: BatchSession | null, eventId: string, emails: string[], phones: string[]): Promise<KnownPerson[]> {
    if (!emails.length && !phones.length) return [];
    const text = `WITH by_email AS (SELECT p.id FROM person p WHERE p.email = ANY($1::text[])),
           by_phone AS (SELECT DISTINCT ON (p.phone) p.id FROM person p WHERE p.phone = ANY($2::text[]) ORDER BY p.phone, (p.email IS NULL) DESC, p.updated_at DESC)
      SELECT p.id, ${PERSON_COLS.map((c) => `p.${c}`).join(', ')}, p.restricted_at IS NOT NULL AS restricted,
             p.id IN (SELECT id FROM by_phone) AS phone_top,
             r.id IS NOT NULL AS registered, r.import_id AS registered_by,
             (SELECT max(c.retention_anchor_at) FROM capture c WHERE c.person_id = p.id AND c.source = 'event') AS event_anchor_at
        FROM person p LEFT JOIN event_registration r ON r.event_id = $3 AND r.person_id = p.id
       WHERE p.id IN (SELECT id FROM by_email UNION SELECT id FROM by_phone)`;
    const values = [emails, phones, eventId];
    const result = session
      ? await session.client.query({ name: 'event_import_find_locked', text: `${text} FOR UPDATE OF p`, values })
      : { rows: (await this.dataSource.query(text, values)) as Record<string, unknown>[] };
    return result.rows.map((r: Record<string, unknown>) => ({
      id: r.id as string,
      fields: Object.fromEntries(PERSON_KEYS.map((k, i) => [k, (r[PERSON_COLS[i]] as string | null) ?? null])) as Required<PersonFields>,
      restricted: r.restricted as boolean,
      registered: r.registered as boolean,
      registeredBy: (r.registered_by as string | null) ?? null,
      eventAnchorAt: (r.event_anchor_at as Date | null) ?? null,
      phoneTop: r.phone_top as boolean,
    }));
  }

  /**
   * The whole batch in one statement: new persons, filled-in persons, captures, moved clocks,
   * timeline entries, registrations, audit lines, HubSpot outbox rows and rejected lines.
   * Foreign keys are checked at the statement's end, so the captures may name persons it inserts.
   * The registrations travel once (`e`), and each table's rows are made from them: the ids,
   * source reference and the timeline entry's event part are not sent again per table.
   */
  async writeBatch(session: BatchSession, w: BatchWrite): Promise<void> {
    const params: unknown[] = [];
    const $ = (v: unknown) => `$${params.push(v)}`;
    const col = <T>(rows: T[], pick: (r: T) => unknown) => rows.map(pick);
    // JSON columns travel as one JSON array each, written straight into a buffer and sent as
    // bytes (zipped back with ROWS FROM): no escaped array literal, and no string of hundreds of
    // kilobytes per batch that the JavaScript heap would have to hold and collect.
    const unnest = (...cols: string[]) => `ROWS FROM (${cols.join(', ')})`;
    const arr = (values: unknown[], type: string) => `unnest(${$(values)}::${type}[])`;
    // Ids, numbers, flags and ISO times need no quoting: their array literal is a join, not an escape per element.
    const plain = (values: (string | number | boolean)[], type: string) => `unnest(${$(`{${values.join(',')}}`)}::${type}[])`;
    const elements = (texts: string[]) => `jsonb_array_elements(convert_from(${$(jsonArrayBytes(texts))}::bytea, 'UTF8')::jsonb)`;
    const c = w.capture;
    const g = w.registrations;
    // The import's id twice: as uuid and as text (one parameter cannot be both).
    const [actorType, actorId, importId, importText] = [$(c.actorType), $(c.actorId), $(w.importId), $(w.importId)];
    const text = `WITH
      e AS MATERIALIZED (SELECT * FROM ${unnest(
        plain(g.captureIds, 'uuid'), plain(g.personIds, 'uuid'), plain(g.lines, 'int'), elements(g.payloadJsons), elements(g.mappedJsons), plain(g.anchorsAt, 'timestamptz'), plain(g.duesAt, 'timestamptz'),
        arr(g.ticketTypes, 'text'), arr(g.orderRefs, 'text'), arr(g.attendeeRefs, 'text'), arr(g.attendeeStatuses, 'text'), plain(g.auditActions, 'text'), elements(g.auditChangesJsons), plain(g.outbox, 'boolean'),
      )} AS u(capture_id, person_id, line, payload, mapped, anchor_at, due_at, ticket_type, order_ref, attendee_ref, attendee_status, audit_action, audit_changes, outbox)),
      np AS (INSERT INTO person (id, ${PERSON_COLS.join(', ')})
        SELECT * FROM unnest(${$(`{${col(w.newPersons, (p) => p.id).join(',')}}`)}::uuid[], ${PERSON_KEYS.map((k) => `${$(col(w.newPersons, (p) => p.fields[k] ?? null))}::text[]`).join(', ')})),
      up AS (UPDATE person p SET ${PERSON_COLS.map((c) => `${c} = u.${c}`).join(', ')},
          sync_state = CASE WHEN p.sync_state IN ('synced', 'failed') AND u.resync THEN 'pending' ELSE p.sync_state END, updated_at = now()
        FROM unnest(${$(`{${col(w.updatedPersons, (p) => p.id).join(',')}}`)}::uuid[], ${PERSON_KEYS.map((k) => `${$(col(w.updatedPersons, (p) => p.fields[k]))}::text[]`).join(', ')},
                    ${$(col(w.updatedPersons, (p) => p.resync))}::boolean[]) AS u(id, ${PERSON_COLS.join(', ')}, resync)
        WHERE p.id = u.id),
      c AS (INSERT INTO capture (id, person_id, source, source_ref, received_at, content_type, payload, mapped, legal_bases, consents_given, policy_version,
                                 retention_anchor, retention_anchor_at, retention_due_at, actor_type, actor_id)
        SELECT e.capture_id, e.person_id, 'event', 'event_import:' || ${importText}::text || ':' || e.line, ${$(c.receivedAt)}, ${$(c.contentType)}, e.payload, e.mapped,
               ${$(JSON.stringify(c.legalBases))}::jsonb, '{}', ${$(c.policyVersion)}, ${$(c.retentionAnchor)}, e.anchor_at, e.due_at, ${actorType}, ${actorId}::uuid
          FROM e),
      mv AS (UPDATE capture k SET retention_anchor_at = u.anchor_at,
                retention_due_at = ((u.anchor_at AT TIME ZONE 'UTC') + make_interval(years => v.years)) AT TIME ZONE 'UTC'
        FROM unnest(${$(col(w.clockMoves, (m) => m.personId))}::uuid[], ${$(col(w.clockMoves, (m) => m.anchorAt))}::timestamptz[]) AS u(person_id, anchor_at),
             unnest(${$(col(w.eventYearsByPolicyVersion, (v) => v.version))}::text[], ${$(col(w.eventYearsByPolicyVersion, (v) => v.years))}::int[]) AS v(version, years)
        WHERE k.person_id = u.person_id AND k.source = 'event' AND k.retention_anchor = 'last_event_registration'
          AND k.retention_anchor_at < u.anchor_at AND k.policy_version = v.version),
      -- The timeline entry: the event, and the line's ticket and status.
      a AS (INSERT INTO activity (person_id, type, occurred_at, details, capture_id, actor_type, actor_id)
        SELECT e.person_id, 'event_registration', ${$(c.receivedAt)},
               jsonb_build_object('eventId', ${$(w.eventId)}::text, 'eventName', ${$(w.event.name)}::text, 'eventDate', ${$(w.event.date)}::text, 'importId', ${importText}::text,
                                  'line', e.line, 'ticketType', e.ticket_type, 'attendeeStatus', e.attendee_status),
               e.capture_id, ${actorType}, ${actorId}::uuid
          FROM e),
      r AS (INSERT INTO event_registration (event_id, person_id, capture_id, import_id, line, ticket_type, order_ref, attendee_ref)
        SELECT ${$(w.eventId)}::uuid, e.person_id, e.capture_id, ${importId}::uuid, e.line, e.ticket_type, e.order_ref, e.attendee_ref FROM e),
      -- One actor and request for the whole batch (AuditService.entry's shape, the varying parts per person).
      au AS (INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, changes, request_id, ip)
        SELECT ${$(w.audit.actorType)}, ${$(w.audit.actorId)}::uuid, e.audit_action, ${$(w.audit.entityType)}, e.person_id::text, nullif(e.audit_changes, 'null'::jsonb),
               ${$(w.audit.requestId)}, ${$(w.audit.ip)}::inet
          FROM e),
      o AS (INSERT INTO hubspot_outbox (person_id, kind) SELECT e.person_id, 'upsert' FROM e WHERE e.outbox),
      rj AS (INSERT INTO event_import_rejection (import_id, line, reason, message, values)
        SELECT ${importId}::uuid, u.line, u.reason, u.message, nullif(u.vals, 'null'::jsonb)
          FROM ${unnest(arr(col(w.rejections, (x) => x.line), 'int'), arr(col(w.rejections, (x) => x.reason), 'text'), arr(col(w.rejections, (x) => x.message), 'text'),
                        elements(col(w.rejections, (x) => JSON.stringify(x.values)) as string[]))} AS u(line, reason, message, vals)
        ON CONFLICT DO NOTHING)
      SELECT 1`;
    // Named: the shape never changes, so each connection plans it once.
    await session.client.query({ name: 'event_import_batch', text, values: params });
  }

  /** The checkpoint, in the batch's transaction; only the current runner can write it (false: another run took over, roll back). */
  async checkpoint(session: BatchSession, importId: string, runnerToken: string, c: { processedRows: number; doneThroughLine: number; outcome: ImportCounts }): Promise<boolean> {
    const result = await session.client.query({
      name: 'event_import_checkpoint',
      text: `UPDATE event_import SET processed_rows = $3, done_through_line = $4, outcome = $5, updated_at = now()
              WHERE id = $1 AND runner_token = $2`,
      values: [importId, runnerToken, c.processedRows, c.doneThroughLine, JSON.stringify(c.outcome)],
    });
    return result.rowCount === 1;
  }

  async commit(session: BatchSession): Promise<void> {
    await session.client.query('COMMIT');
  }

  async rollback(session: BatchSession): Promise<void> {
    await session.client.query('ROLLBACK').catch(() => undefined);
  }
}
