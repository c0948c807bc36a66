import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { IntakeSubmission, SubmissionStatus, Verdict } from './entities/intake-submission.entity';
import { ReviewDecision } from './entities/review-decision.entity';
import { ScreeningRule } from './entities/screening-rule.entity';
import { SenderListEntry } from './entities/sender-list-entry.entity';

export interface Arrival {
  id: string;
  channel: string;
  formId: string | null;
  contentType: string | null;
  rawBody: string | null;
  fields: Record<string, unknown>;
  ip: string | null;
  senderEmail: string | null;
  textFingerprint: string | null;
}

export interface ArrivalLimits {
  perIpPerMinute: number;
  perEmailPerHour: number;
}

export type ArrivalResult =
  | { stored: true; receivedAt: Date; nearCopies: number }
  | { stored: false; retryAfterSeconds: number; limit: 'ip' | 'email' };

export interface HeldFilter {
  formId?: string;
  reason?: string;
  from?: Date;
  to?: Date;
  before?: [string, string];
  limit: number;
}

@Injectable()
export class ScreeningRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * One statement: the per-IP and per-sender counts (the arrivals table is the shared rate
   * limiter, so every instance sees the same counts), the arrival stored as received if under
   * both, and how many near-copies of its text came in the last ten minutes. The counts come from
   * crm_arrival_counts, which counts as the owner (see its migration); the intake runs as the system.
   */
  async receive(a: Arrival, limits: ArrivalLimits): Promise<ArrivalResult> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    const { rows: [row] } = await pool.query({
      name: 'intake_receive', // prepared once per connection: this runs for every public submission
      text: `WITH counts AS (
         SELECT * FROM crm_arrival_counts($7::inet, $8::text, $9::text)
       ), stored AS (
         INSERT INTO intake_submission (id, channel, form_id, content_type, raw_body, fields, ip, sender_email, text_fingerprint)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
          WHERE (SELECT by_ip FROM counts) < $10 AND (SELECT by_sender FROM counts) < $11
         RETURNING received_at
       )
       SELECT (SELECT received_at FROM stored) AS received_at, c.by_ip, c.ip_oldest, c.by_sender, c.sender_oldest, c.near_copies FROM counts c`,
      values: [a.id, a.channel, a.formId, a.contentType, a.rawBody, a.fields, a.ip, a.senderEmail, a.textFingerprint, limits.perIpPerMinute, limits.perEmailPerHour],
    });
    if (row.received_at) return { stored: true, receivedAt: row.received_at, nearCopies: row.near_copies };
    const ipFull = row.by_ip >= limits.perIpPerMinute;
    const until = ipFull ? new Date(row.ip_oldest).getTime() + 60_000 : new Date(row.sender_oldest).getTime() + 3_600_000;
    return { stored: false, retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)), limit: ipFull ? 'ip' : 'email' };
  }

  async setOutcome(id: string, status: SubmissionStatus, verdict: Verdict, tx: EntityManager = this.dataSource.manager): Promise<void> {
    await tx.query(`UPDATE intake_submission SET status = $2, verdict = $3 WHERE id = $1`, [id, status, verdict]);
  }

  /** A blocked attempt is counted with minimal data: its content and sender are dropped. */
  async keepOnlyTheAttempt(id: string, verdict: Verdict): Promise<void> {
    await this.dataSource.query(
      `UPDATE intake_submission SET status = 'blocked', verdict = $2, fields = '{}', raw_body = NULL, sender_email = NULL, text_fingerprint = NULL WHERE id = $1`,
      [id, verdict],
    );
  }

  rules(): Promise<ScreeningRule[]> {
    return this.dataSource.getRepository(ScreeningRule).find({ order: { createdAt: 'ASC' } });
  }

  senders(): Promise<SenderListEntry[]> {
    return this.dataSource.getRepository(SenderListEntry).find();
  }

  findSubmission(id: string, tx: EntityManager = this.dataSource.manager, lock = false): Promise<IntakeSubmission | null> {
    const qb = tx.createQueryBuilder().select('s').from('IntakeSubmission', 's').where('s.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne() as Promise<IntakeSubmission | null>;
  }

  /** Held submissions, newest first, keyset-paginated on (received_at, id). */
  held(f: HeldFilter): Promise<IntakeSubmission[]> {
    const qb = this.dataSource.createQueryBuilder().select('s').from('IntakeSubmission', 's').where(`s.status = 'held'`).orderBy('s.receivedAt', 'DESC').addOrderBy('s.id', 'DESC').limit(f.limit);
    if (f.formId) qb.andWhere('s.formId = :formId', { formId: f.formId });
    if (f.reason) qb.andWhere(`s.verdict -> 'reasons' @> :reason::jsonb`, { reason: JSON.stringify([{ code: f.reason }]) });
    if (f.from) qb.andWhere('s.receivedAt >= :from', { from: f.from });
    if (f.to) qb.andWhere('s.receivedAt < :to', { to: f.to });
    if (f.before) qb.andWhere('(s.receivedAt, s.id) < (:at::timestamptz, :id::uuid)', { at: f.before[0], id: f.before[1] });
    return qb.getMany() as Promise<IntakeSubmission[]>;
  }

  async decide(tx: EntityManager, id: string, from: SubmissionStatus, to: SubmissionStatus, decidedBy: string, comment: string | null): Promise<void> {
    await tx.query(`UPDATE intake_submission SET status = $2, decided_at = now() WHERE id = $1`, [id, to]);
    await tx.insert(ReviewDecision, { submissionId: id, fromStatus: from, toStatus: to, comment, decidedBy });
  }

  /** Adds to a sender list, or refreshes the entry (its reason, tag and expiry). */
  async listSender(tx: EntityManager, entry: Pick<SenderListEntry, 'list' | 'type' | 'value' | 'tag' | 'reason' | 'createdBy' | 'expiresAt'>): Promise<SenderListEntry> {
    const [row] = await tx.query(
      `INSERT INTO sender_list_entry (list, type, value, tag, reason, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (list, type, value) DO UPDATE SET tag = EXCLUDED.tag, reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at
       RETURNING id`,
      [entry.list, entry.type, entry.value, entry.tag, entry.reason, entry.createdBy, entry.expiresAt],
    );
    return (await tx.findOne(SenderListEntry, { where: { id: row.id } }))!;
  }

  /**
   * Held items nobody reviewed, confirmed spam and blocked attempts, older than the period, are
   * deleted. Accepted arrivals lose the sender data the limits counted once a day has passed;
   * one stuck as received (its processing failed) is held for a person rather than lost.
   */
  async purge(olderThanDays: number): Promise<number> {
    await this.dataSource.query(
      `UPDATE intake_submission SET sender_email = NULL, ip = NULL, text_fingerprint = NULL
        WHERE status IN ('accepted', 'released') AND received_at < now() - interval '1 day' AND (sender_email IS NOT NULL OR ip IS NOT NULL)`,
    );
    await this.dataSource.query(
      `UPDATE intake_submission SET status = 'held', verdict = jsonb_build_object('ruleSetVersion', '', 'outcome', 'held', 'reasons', jsonb_build_array(jsonb_build_object('code', 'processing_failed', 'evidence', '{}'::jsonb)))
        WHERE status = 'received' AND received_at < now() - interval '1 hour'`,
    );
    const rows = await this.dataSource.query(
      `DELETE FROM intake_submission WHERE status IN ('held', 'spam', 'blocked') AND received_at < now() - make_interval(days => $1) RETURNING id`,
      [olderThanDays],
    );
    return rows.length;
  }
}
