import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { AlsoErased } from '../database/also-erased';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { jsonArrayBytes } from '../common/json-bytes';
import type { IntakeSubmission } from './entities/intake-submission.entity';
import type { SubmissionStatus, Verdict } from '../domain/verdict';
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
  /** What makes a web-form post the same post (its Idempotency-Key, or its fields), hashed; null for other channels. */
  postKey?: Buffer | null;
  /** What the post sent, hashed: a key reused with other content is told apart from a retry. */
  contentHash?: Buffer | null;
}

export interface ArrivalLimits {
  perIpPerMinute: number;
}

export type ArrivalResult =
  /** `bySender`: the sender's arrivals in the hour before this one (the per-sender limit holds, never refuses). */
  | { stored: true; receivedAt: Date; nearCopies: number; bySender: number }
  | { stored: false; retryAfterSeconds: number; limit: 'ip' }
  /** The same key was taken before (within 24 hours): the first post's arrival, and its content hash (null for keys claimed before hashes were kept). */
  | { stored: false; first: string; firstContentHash: Buffer | null };

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

  /**
   * What an erasure empties here: arrivals (held, accepted or blocked) from the person's addresses
   * (stored folded, found through the sender index), and the arrivals their captures came from
   * (same id). An accepted arrival gave its fields to its capture and loses its sender after a day;
   * a held one keeps its sender until it is deleted.
   */
  erasure(): AlsoErased {
    return {
      name: 'intake_submission',
      statements: [
        `UPDATE intake_submission SET raw_body = NULL, fields = '{}', ip = NULL, sender_email = NULL
          WHERE sender_email = ANY($3::text[]) OR id = ANY($2::uuid[])`,
      ],
    };
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * One statement for a batch of arrivals: each counted by IP, sender and text (in the arrivals
   * table, as the owner through crm_arrival_counts, so every instance sees the same counts; an
   * earlier arrival of the same batch counts too), and stored as received if under the per-IP
   * limit, with how many arrivals its sender made in the last hour and how many near-copies of
   * its text came in the last ten minutes. Only the per-IP limit refuses: the per-sender count is
   * the caller's to weigh (anyone can type any address, so refusing by it would lock the real
   * person out and tell strangers how often an address posted).
   */
  async receive(arrivals: Arrival[], limits: ArrivalLimits): Promise<ArrivalResult[]> {
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    const col = <K extends keyof Arrival>(k: K) => arrivals.map((a) => a[k]);
    const { rows } = await pool.query({
      name: 'intake_receive', // prepared once per connection: this runs for every public submission
      // A web-form post's key is claimed in the same statement as its arrival (one commit for the
      // batch): a retry within 24 hours stores nothing and answers with the first post's id. A
      // claim whose arrival never settled is taken over after a minute (the post failed after it).
      text: `WITH u AS (
         SELECT * FROM ROWS FROM (unnest($1::uuid[]), unnest($2::text[]), unnest($3::uuid[]), unnest($4::text[]), unnest($5::text[]),
                                  jsonb_array_elements(convert_from($6::bytea, 'UTF8')::jsonb), unnest($7::inet[]), unnest($8::text[]), unnest($9::text[]), unnest($11::bytea[]), unnest($12::bytea[]))
           WITH ORDINALITY AS u(id, channel, form_id, content_type, raw_body, fields, ip, sender_email, text_fingerprint, post_key, content_hash, n)
       ), counted AS (
         SELECT u.*, c.ip_oldest,
                (c.by_ip + count(u.ip) OVER (PARTITION BY u.ip ORDER BY u.n) - (u.ip IS NOT NULL)::int)::int AS by_ip,
                (c.by_sender + count(u.sender_email) OVER (PARTITION BY u.sender_email ORDER BY u.n) - (u.sender_email IS NOT NULL)::int)::int AS by_sender,
                (c.near_copies + count(u.text_fingerprint) OVER (PARTITION BY u.text_fingerprint ORDER BY u.n) - (u.text_fingerprint IS NOT NULL)::int)::int AS near_copies,
                first_value(u.id) OVER (PARTITION BY u.form_id, u.post_key ORDER BY u.n) AS batch_first,
                first_value(u.content_hash) OVER (PARTITION BY u.form_id, u.post_key ORDER BY u.n) AS batch_first_hash
           FROM u, LATERAL crm_arrival_counts(u.ip, u.sender_email, u.text_fingerprint) c
       ), keyed AS (
         SELECT DISTINCT ON (form_id, post_key) id, form_id, post_key, content_hash FROM counted
          WHERE post_key IS NOT NULL AND by_ip < $10 ORDER BY form_id, post_key, n
       ), claimed AS (
         INSERT INTO intake_post_key (form_id, key_hash, submission_id, content_hash) SELECT form_id, post_key, id, content_hash FROM keyed
         ON CONFLICT (form_id, key_hash) DO UPDATE SET submission_id = EXCLUDED.submission_id, content_hash = EXCLUDED.content_hash, claimed_at = now()
          WHERE intake_post_key.claimed_at < now() - interval '24 hours'
             OR (intake_post_key.claimed_at < now() - interval '1 minute'
                 AND NOT EXISTS (SELECT 1 FROM intake_submission s WHERE s.id = intake_post_key.submission_id AND s.status <> 'received'))
         RETURNING submission_id
       ), stored AS (
         INSERT INTO intake_submission (id, channel, form_id, content_type, raw_body, fields, ip, sender_email, text_fingerprint)
         SELECT id, channel, form_id, content_type, raw_body, fields, ip, sender_email, text_fingerprint FROM counted
          WHERE by_ip < $10 AND (post_key IS NULL OR id IN (SELECT submission_id FROM claimed)) ORDER BY n
         RETURNING id, received_at
       )
       SELECT s.received_at, c.by_ip, c.ip_oldest, c.by_sender, c.near_copies,
              CASE WHEN c.post_key IS NULL THEN NULL
                   WHEN c.batch_first IN (SELECT submission_id FROM claimed) THEN c.batch_first
                   ELSE (SELECT k.submission_id FROM intake_post_key k WHERE k.form_id = c.form_id AND k.key_hash = c.post_key) END AS first,
              CASE WHEN c.post_key IS NULL THEN NULL
                   WHEN c.batch_first IN (SELECT submission_id FROM claimed) THEN c.batch_first_hash
                   ELSE (SELECT k.content_hash FROM intake_post_key k WHERE k.form_id = c.form_id AND k.key_hash = c.post_key) END AS first_hash
         FROM counted c LEFT JOIN stored s USING (id) ORDER BY c.n`,
      values: [
        col('id'), col('channel'), col('formId'), col('contentType'), col('rawBody'), jsonArrayBytes(arrivals.map((a) => JSON.stringify(a.fields))),
        col('ip'), col('senderEmail'), col('textFingerprint'), limits.perIpPerMinute, arrivals.map((a) => a.postKey ?? null),
        arrivals.map((a) => a.contentHash ?? null),
      ],
    });
    return rows.map((row): ArrivalResult => {
      if (row.received_at) return { stored: true, receivedAt: row.received_at, nearCopies: row.near_copies, bySender: row.by_sender };
      const ipFull = row.by_ip >= limits.perIpPerMinute;
      if (!ipFull && row.first) return { stored: false, first: row.first, firstContentHash: row.first_hash ?? null };
      // The window's oldest arrival may be one of this batch (none stored yet): then a whole window from now.
      const until = (row.ip_oldest ? new Date(row.ip_oldest).getTime() : Date.now()) + 60_000;
      return { stored: false, retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)), limit: 'ip' };
    });
  }

  /** Gives a post's key back (the post was refused after it was claimed), so a corrected post with the same key is taken. */
  /**
   * Per form, the last day's posts and how many were held for each bot-trap reason (a post held
   * for two traps counts under both). Counts only: nothing of the posts.
   */
  async trapCounts(formIds: string[] | null, trapCodes: readonly string[]): Promise<{ formId: string; posts: number; heldForTrap: number; byReason: Record<string, number> }[]> {
    return this.dataSource.query(
      `SELECT s.form_id AS "formId", count(*)::int AS posts,
              count(*) FILTER (WHERE s.status IN ('held', 'blocked', 'spam', 'released') AND EXISTS (
                SELECT 1 FROM jsonb_array_elements(s.verdict->'reasons') r WHERE r->>'code' = ANY($2)))::int AS "heldForTrap",
              COALESCE((SELECT jsonb_object_agg(code, n) FROM (
                SELECT r->>'code' AS code, count(*)::int AS n FROM intake_submission t, jsonb_array_elements(t.verdict->'reasons') r
                 WHERE t.form_id = s.form_id AND t.received_at > now() - interval '1 day' AND r->>'code' = ANY($2) GROUP BY 1) x), '{}') AS "byReason"
         FROM intake_submission s
        WHERE s.channel = 'web_form' AND s.received_at > now() - interval '1 day' AND ($1::uuid[] IS NULL OR s.form_id = ANY($1::uuid[]))
        GROUP BY s.form_id`,
      [formIds, [...trapCodes]],
    );
  }

  async releasePostKey(formId: string, keyHash: Buffer, submissionId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM intake_post_key WHERE form_id = $1 AND key_hash = $2 AND submission_id = $3`, [formId, keyHash, submissionId]);
  }

  /** Post keys, and used render tokens, older than the 24 hours they protect. */
  async purgePostKeys(): Promise<number> {
    const [, count] = (await this.dataSource.query(`DELETE FROM intake_post_key WHERE claimed_at < now() - interval '24 hours'`)) as [unknown, number];
    const [, tokens] = (await this.dataSource.query(`DELETE FROM render_token_use WHERE used_at < now() - interval '24 hours'`)) as [unknown, number];
    return count + tokens;
  }

  /** A render token's first use claims it; false when a post of the form used it already. */
  async claimRenderToken(formKey: string, tokenHash: Buffer): Promise<boolean> {
    const rows = await this.dataSource.query(`INSERT INTO render_token_use (form_key, token_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`, [formKey, tokenHash]);
    return rows.length === 1;
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

  /**
   * A decision taught to the learner, once per submission: its hashed words counted as spam or
   * ham. Each changed word takes a new sequence number, so instances read only what changed.
   */
  async learn(tx: EntityManager, submissionId: string, keys: string[], label: 'spam' | 'ham'): Promise<boolean> {
    const lesson = await tx.query(`INSERT INTO screening_lesson (submission_id, label) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING submission_id`, [submissionId, label]);
    if (!lesson.length || !keys.length) return lesson.length > 0;
    const spam = label === 'spam' ? 1 : 0;
    await tx.query(
      `INSERT INTO screening_learned_word (key, spam, ham, seq)
       SELECT k, $2::int, $3::int, nextval('screening_learned_word_seq') FROM unnest($1::text[]) AS k ORDER BY k
       ON CONFLICT (key) DO UPDATE SET spam = screening_learned_word.spam + EXCLUDED.spam, ham = screening_learned_word.ham + EXCLUDED.ham, seq = EXCLUDED.seq, changed_at = now()`,
      [[...new Set(keys)], spam, 1 - spam],
    );
    return true;
  }

  /**
   * The learned words changed since `seq` (as absolute counts), and the decisions learned in
   * all. Words changed in the last two minutes are read again: a transaction that took an
   * earlier number may commit after a later one.
   */
  async learnedSince(seq: string): Promise<{ words: { key: string; spam: number; ham: number }[]; docs: { spam: number; ham: number }; seq: string }> {
    const words: { key: string; spam: number; ham: number; seq: string }[] = await this.dataSource.query(
      `SELECT key, spam, ham, seq::text AS seq FROM screening_learned_word WHERE seq > $1::bigint OR changed_at > now() - interval '2 minutes' ORDER BY seq`,
      [seq],
    );
    if (!words.length) return { words, docs: { spam: 0, ham: 0 }, seq };
    const [docs] = await this.dataSource.query(`SELECT count(*) FILTER (WHERE label = 'spam')::int AS spam, count(*) FILTER (WHERE label = 'ham')::int AS ham FROM screening_lesson`);
    const last = words.reduce((max, w) => (BigInt(w.seq) > BigInt(max) ? w.seq : max), seq);
    return { words, docs, seq: last };
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
