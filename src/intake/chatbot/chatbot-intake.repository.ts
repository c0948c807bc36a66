import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AlsoErased } from '../../database/also-erased';
import type { Verdict } from '../../domain/verdict';
import type { ChatEventStatus, ChatEventType } from './entities/chat-event.entity';

/** A chat event row as the service uses it. */
export interface ChatEventRow {
  id: string;
  eventKey: string;
  type: ChatEventType;
  orgId: string;
  contactId: string | null;
  conversationId: string | null;
  messageId: string | null;
  authorType: string | null;
  messageType: string | null;
  body: string | null;
  sentAt: Date | null;
  status: ChatEventStatus;
  captureId: string | null;
  activityId: string | null;
  submissionId: string | null;
}

const COLUMNS = `id, event_key AS "eventKey", type, org_id AS "orgId", contact_id AS "contactId", conversation_id AS "conversationId", message_id AS "messageId",
  author_type AS "authorType", message_type AS "messageType", body, sent_at AS "sentAt", status, capture_id AS "captureId", activity_id AS "activityId", submission_id AS "submissionId"`;

/**
 * Chat events in plain SQL (the entity is registered for the schema, not needed here). A
 * person is reached through the capture or timeline entry an event became, never stored on the
 * event: those rows follow a merge.
 */
@Injectable()
export class ChatbotIntakeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** What an erasure empties here: the person's chat events, by capture, timeline entry or their Drift contact id. */
  erasure(): AlsoErased {
    return {
      name: 'chat_event',
      statements: [
        `UPDATE chat_event SET body = NULL, contact_id = NULL, event_key = 'erased:' || id
          WHERE capture_id = ANY($2::uuid[]) OR activity_id = ANY($4::uuid[])
             OR contact_id IN (SELECT contact_id FROM chat_event WHERE (capture_id = ANY($2::uuid[]) OR activity_id = ANY($4::uuid[])) AND contact_id IS NOT NULL)`,
      ],
    };
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async findByKey(eventKey: string): Promise<{ id: string; status: ChatEventStatus } | null> {
    const rows = await this.dataSource.query(`SELECT id, status FROM chat_event WHERE event_key = $1`, [eventKey]);
    return rows[0] ?? null;
  }

  /** Inserts the event unless one with its key exists (the unique index decides, also between concurrent deliveries). */
  async claim(tx: EntityManager | null, e: Omit<ChatEventRow, 'captureId' | 'activityId'>): Promise<boolean> {
    const rows = await (tx ?? this.dataSource.manager).query(
      `INSERT INTO chat_event (id, event_key, type, org_id, contact_id, conversation_id, message_id, author_type, message_type, body, sent_at, status, submission_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (event_key) DO NOTHING RETURNING id`,
      [e.id, e.eventKey, e.type, e.orgId, e.contactId, e.conversationId, e.messageId, e.authorType, e.messageType, e.body, e.sentAt, e.status, e.submissionId],
    );
    return rows.length === 1;
  }

  /**
   * Serialises the work on one conversation and one contact across instances until the
   * transaction ends (sorted: no deadlocks), so a message never misses the identification of
   * its contact that commits at the same moment.
   */
  async lock(tx: EntityManager, keys: string[]): Promise<void> {
    for (const key of [...new Set(keys)].sort()) await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [key]);
  }

  /** The contact of a conversation, known from the contact's own messages in it. */
  async contactOfConversation(tx: EntityManager, orgId: string, conversationId: string): Promise<string | null> {
    const rows = await tx.query(`SELECT contact_id FROM chat_event WHERE org_id = $1 AND conversation_id = $2 AND contact_id IS NOT NULL LIMIT 1`, [orgId, conversationId]);
    return rows[0]?.contact_id ?? null;
  }

  /** The capture an identified contact last became, or null (its person follows merges: ask leads). */
  async captureOfContact(tx: EntityManager, orgId: string, contactId: string): Promise<string | null> {
    const rows = await tx.query(
      `SELECT capture_id FROM chat_event WHERE org_id = $1 AND contact_id = $2 AND type = 'contact_identified' AND capture_id IS NOT NULL ORDER BY received_at DESC LIMIT 1`,
      [orgId, contactId],
    );
    return rows[0]?.capture_id ?? null;
  }

  /** The contact's conversations known from their own messages, latest first. */
  async conversationsOf(tx: EntityManager, orgId: string, contactId: string): Promise<string[]> {
    const rows = await tx.query(
      `SELECT conversation_id FROM chat_event WHERE org_id = $1 AND contact_id = $2 AND conversation_id IS NOT NULL
        GROUP BY conversation_id ORDER BY max(sent_at) DESC NULLS LAST`,
      [orgId, contactId],
    );
    return rows.map((r: { conversation_id: string }) => r.conversation_id);
  }

  /** Messages waiting for this contact: theirs, and colleagues' and bots' in their conversations; oldest first, locked. */
  pendingFor(tx: EntityManager, orgId: string, contactId: string): Promise<ChatEventRow[]> {
    return tx.query(
      `SELECT ${COLUMNS} FROM chat_event
        WHERE org_id = $1 AND status = 'pending'
          AND (contact_id = $2 OR (contact_id IS NULL AND conversation_id IN (SELECT conversation_id FROM chat_event WHERE org_id = $1 AND contact_id = $2 AND conversation_id IS NOT NULL)))
        ORDER BY sent_at, received_at FOR UPDATE`,
      [orgId, contactId],
    );
  }

  /** On the timeline now: the entry holds the text, so the event keeps only the link. */
  async markAttached(tx: EntityManager, id: string, activityId: string): Promise<void> {
    await tx.query(`UPDATE chat_event SET status = 'attached', activity_id = $2, body = NULL WHERE id = $1`, [id, activityId]);
  }

  async markCaptured(tx: EntityManager, id: string, captureId: string): Promise<void> {
    await tx.query(`UPDATE chat_event SET status = 'captured', capture_id = $2 WHERE id = $1`, [id, captureId]);
  }

  /** A held message a person released: screened through, waiting for (or finding) its contact. */
  async markPending(tx: EntityManager, id: string): Promise<void> {
    await tx.query(`UPDATE chat_event SET status = 'pending' WHERE id = $1`, [id]);
  }

  async findBySubmission(tx: EntityManager, submissionId: string): Promise<ChatEventRow | null> {
    const rows = await tx.query(`SELECT ${COLUMNS} FROM chat_event WHERE submission_id = $1 FOR UPDATE`, [submissionId]);
    return rows[0] ?? null;
  }

  /** Messages whose contact never said who they are, older than the period: deleted. */
  async purgePending(olderThanDays: number): Promise<number> {
    const [{ n }] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM chat_event WHERE status = 'pending' AND received_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [olderThanDays],
    );
    return n;
  }

  /**
   * The screened arrival passed (or a person released it) and its content now lives in the chat
   * event or on the timeline: like a capture's arrival, it keeps only what the rate limits and
   * burst checks count.
   */
  async settleSubmission(tx: EntityManager, id: string, status: 'accepted' | 'released', verdict: Verdict): Promise<void> {
    await tx.query(`UPDATE intake_submission SET status = $2, verdict = $3, fields = '{}', raw_body = NULL WHERE id = $1`, [id, status, verdict]);
  }
}
