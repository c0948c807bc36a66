import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AlsoErased } from '../../database/also-erased';
import type { Verdict } from '../../domain/verdict';
import type { SkippedMailView } from './dto/mail.dto';
import type { MailStatus } from './entities/mail-message.entity';

export interface MailRow {
  id: string;
  messageId: string;
  via: 'api' | 'imap';
  status: MailStatus;
  skipReason?: string | null;
  fromAddress?: string | null;
  subject?: string | null;
  raw?: Buffer | null;
  submissionId?: string | null;
}

export interface FileRow {
  id: string;
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
  inline: boolean;
  /** Null when it was over the size limit. */
  content: Buffer | null;
  skippedReason: string | null;
}

/**
 * Mail in plain SQL (the entities are registered for the schema, not needed here). A mail
 * reaches its person through the capture or timeline entry it became: those follow a merge.
 */
@Injectable()
export class MailIntakeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** What an erasure empties here: messages and attachments filed on the person or sent from their addresses (attachments first: they are found through the message's sender). */
  erasure(): AlsoErased {
    return {
      name: 'mail_message',
      statements: [
        `UPDATE mail_attachment SET filename = NULL, content = NULL
          WHERE capture_id = ANY($2::uuid[]) OR activity_id = ANY($4::uuid[])
             OR mail_message_id IN (SELECT id FROM mail_message WHERE lower(trim(from_address)) = ANY($3::text[]) OR capture_id = ANY($2::uuid[]) OR activity_id = ANY($4::uuid[]))`,
        `UPDATE mail_message SET from_address = NULL, subject = NULL, raw = NULL
          WHERE capture_id = ANY($2::uuid[]) OR activity_id = ANY($4::uuid[]) OR lower(trim(from_address)) = ANY($3::text[])`,
      ],
    };
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async findByMessageId(messageId: string): Promise<{ id: string; status: MailStatus } | null> {
    const rows = await this.dataSource.query(`SELECT id, status FROM mail_message WHERE message_id = $1`, [messageId]);
    return rows[0] ?? null;
  }

  /** Inserts the mail unless its Message-ID is taken (the unique index decides, also between concurrent deliveries). */
  async claim(tx: EntityManager | null, m: MailRow): Promise<boolean> {
    const rows = await (tx ?? this.dataSource.manager).query(
      `INSERT INTO mail_message (id, message_id, via, status, skip_reason, from_address, subject, raw, submission_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (message_id) DO NOTHING RETURNING id`,
      [m.id, m.messageId, m.via, m.status, m.skipReason ?? null, m.fromAddress ?? null, m.subject ?? null, m.raw ?? null, m.submissionId ?? null],
    );
    return rows.length === 1;
  }

  /** The captures and timeline entries the firm's earlier mails with these Message-IDs became, latest mail first. */
  threadRecords(tx: EntityManager, messageIds: string[]): Promise<{ captureId: string | null; activityId: string | null }[]> {
    if (!messageIds.length) return Promise.resolve([]);
    return tx.query(
      `SELECT capture_id AS "captureId", activity_id AS "activityId" FROM mail_message
        WHERE message_id = ANY($1) AND (capture_id IS NOT NULL OR activity_id IS NOT NULL) ORDER BY received_at DESC`,
      [messageIds],
    );
  }

  /** Taken: a capture or a timeline entry holds the mail now, so sender, subject and raw message go. */
  async settle(tx: EntityManager, id: string, status: 'captured' | 'reply', link: { captureId?: string; activityId?: string }): Promise<void> {
    await tx.query(`UPDATE mail_message SET status = $2, capture_id = $3, activity_id = $4, from_address = NULL, subject = NULL, raw = NULL WHERE id = $1`, [
      id, status, link.captureId ?? null, link.activityId ?? null,
    ]);
  }

  async insertFiles(tx: EntityManager, mailMessageId: string, owner: { captureId?: string; activityId?: string }, files: FileRow[]): Promise<void> {
    for (const f of files) {
      await tx.query(
        `INSERT INTO mail_attachment (id, mail_message_id, capture_id, activity_id, filename, content_type, size, sha256, inline, content, skipped_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [f.id, mailMessageId, owner.captureId ?? null, owner.activityId ?? null, f.filename, f.contentType, f.size, f.sha256, f.inline, f.content, f.skippedReason],
      );
    }
  }

  skipped(limit: number): Promise<SkippedMailView[]> {
    return this.dataSource.query(
      `SELECT id, skip_reason AS reason, from_address AS "fromAddress", subject, received_at AS "receivedAt", raw IS NOT NULL AS takeable
         FROM mail_message WHERE status = 'skipped' ORDER BY received_at DESC LIMIT $1`,
      [limit],
    );
  }

  async findSkipped(tx: EntityManager, id: string): Promise<{ id: string; raw: Buffer | null; skipReason: string | null; receivedAt: Date } | null> {
    const rows = await tx.query(`SELECT id, raw, skip_reason AS "skipReason", received_at AS "receivedAt" FROM mail_message WHERE id = $1 AND status = 'skipped' FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async purgeSkipped(olderThanDays: number): Promise<number> {
    const [, count] = await this.dataSource.query(
      `UPDATE mail_message SET raw = NULL, from_address = NULL, subject = NULL
        WHERE status = 'skipped' AND raw IS NOT NULL AND received_at < now() - make_interval(days => $1)`,
      [olderThanDays],
    );
    return count;
  }

  async findHeldBySubmission(tx: EntityManager, submissionId: string): Promise<{ id: string; via: 'api' | 'imap'; raw: Buffer | null } | null> {
    const rows = await tx.query(`SELECT id, via, raw FROM mail_message WHERE submission_id = $1 AND status = 'held' FOR UPDATE`, [submissionId]);
    return rows[0] ?? null;
  }

  /**
   * The screened arrival passed (or a person released it) and a timeline entry holds the mail
   * now: like a capture's arrival, it keeps only what the rate limits and burst checks count.
   */
  async settleSubmission(tx: EntityManager, id: string, status: 'accepted' | 'released', verdict: Verdict): Promise<void> {
    await tx.query(`UPDATE intake_submission SET status = $2, verdict = $3, fields = '{}', raw_body = NULL WHERE id = $1`, [id, status, verdict]);
  }

  /** One file of a capture or timeline entry (whose person the caller has checked through leads). */
  async file(owner: { captureId: string } | { activityId: string }, attachmentId: string): Promise<FileRow | null> {
    const [column, ownerId] = 'captureId' in owner ? ['capture_id', owner.captureId] : ['activity_id', owner.activityId];
    const rows = await this.dataSource.query(
      `SELECT f.id, f.filename, f.content_type AS "contentType", f.size, f.sha256, f.inline, f.content, f.skipped_reason AS "skippedReason"
         FROM mail_attachment f WHERE f.id = $1 AND f.${column} = $2`,
      [attachmentId, ownerId],
    );
    return rows[0] ?? null;
  }
}
