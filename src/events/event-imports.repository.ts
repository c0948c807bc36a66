import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { Readable } from 'node:stream';
import { DataSource, type EntityManager } from 'typeorm';
import { jsonArrayBytes } from '../common/json-bytes';
import type { AlsoWritten } from '../database/also-written';
import type { PersonFields } from '../domain/person-fields';
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
  /** Registered for this event (by an import, or by hand). */
  registered: boolean;
  /** The import that registered them for this event (null: not registered, or registered by hand). */
  registeredBy: string | null;
  /** The person a lookup by their phone picks (leads' identity rule). */
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
  headerLine: number;
  mapping: Record<string, string> | null;
  createdBy: string | null;
  startedBy: string | null;
  totalRows: number | null;
  requestId: string | null;
  /** The pg-boss job that runs it (a direct import), sent in the same transaction. */
  jobId: string | null;
}

/** A batch's registrations (index i of every array is the registration of the batch's capture i) and its rejected lines. */
export interface RegistrationsWrite {
  importId: string;
  eventId: string;
  registrations: {
    lines: number[];
    ticketTypes: (string | null)[];
    orderRefs: (string | null)[];
    attendeeRefs: (string | null)[];
    /** ISO times, or null for the time of writing. */
    registeredAts: (string | null)[];
  };
  rejections: Rejection[];
}

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
              total_rows = $12, request_id = $13, job_id = $14, header_line = $15, created_at = now(), updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, i.status, i.fileSha256, i.fileBytes, i.format, i.encoding, i.delimiter, JSON.stringify(i.columns), i.mapping && JSON.stringify(i.mapping), i.createdBy, i.startedBy, i.totalRows, i.requestId, i.jobId, i.headerLine],
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

  /** Which of these persons are registered for the event, and by which import (null: by hand). */
  async registrations(client: PoolClient | null, eventId: string, personIds: string[]): Promise<Map<string, string | null>> {
    if (!personIds.length) return new Map();
    const text = `SELECT person_id, import_id FROM event_registration WHERE event_id = $1 AND person_id = ANY($2::uuid[])`;
    const rows: { person_id: string; import_id: string | null }[] = client
      ? (await client.query({ name: 'event_import_registered', text, values: [eventId, personIds] })).rows
      : await this.dataSource.query(text, [eventId, personIds]);
    return new Map(rows.map((r) => [r.person_id, r.import_id]));
  }

  /**
   * A batch's own rows, written in leads' statement for its captures (one round trip): each
   * registration names the capture made for its line (`e`, in the order the lines were handed
   * over), and the rejected lines.
   */
  registrationsWritten(w: RegistrationsWrite): AlsoWritten {
    const g = w.registrations;
    return {
      name: 'event_registrations',
      ctes: ($) => [
        `r AS (INSERT INTO event_registration (event_id, person_id, capture_id, import_id, line, ticket_type, order_ref, attendee_ref, registered_at)
          SELECT ${$(w.eventId)}::uuid, e.person_id, e.capture_id, ${$(w.importId)}::uuid, l.line, l.ticket_type, l.order_ref, l.attendee_ref, coalesce(l.registered_at, now())
            FROM e JOIN ROWS FROM (unnest(${$(`{${g.lines.join(',')}}`)}::int[]), unnest(${$(g.ticketTypes)}::text[]), unnest(${$(g.orderRefs)}::text[]), unnest(${$(g.attendeeRefs)}::text[]),
                                   unnest(${$(g.registeredAts)}::timestamptz[]))
                 WITH ORDINALITY AS l(line, ticket_type, order_ref, attendee_ref, registered_at, n) USING (n))`,
        `rj AS (INSERT INTO event_import_rejection (import_id, line, reason, message, values)
          SELECT ${$(w.importId)}::uuid, u.line, u.reason, u.message, nullif(u.vals, 'null'::jsonb)
            FROM ROWS FROM (unnest(${$(w.rejections.map((x) => x.line))}::int[]), unnest(${$(w.rejections.map((x) => x.reason))}::text[]), unnest(${$(w.rejections.map((x) => x.message))}::text[]),
                            jsonb_array_elements(convert_from(${$(jsonArrayBytes(w.rejections.map((x) => JSON.stringify(x.values))))}::bytea, 'UTF8')::jsonb)) AS u(line, reason, message, vals)
          ON CONFLICT DO NOTHING)`,
      ],
    };
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
