import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../common/actor';
import { SELF_SERVICE_SOURCES, type ConsentPurpose, type LegalBasis } from '../policy/policy.types';
import type { SyncSubject } from './hubspot.mapper';
import type { OutboxKind } from './entities/hubspot-outbox-entry.entity';
import type { HubspotSyncControl } from './entities/hubspot-sync-control.entity';

export interface ClaimedRow {
  id: string;
  personId: string;
  kind: OutboxKind;
  email: string | null;
  attempts: number;
}

/** A person as read for the sync: the mapper's subject, before defaults and dates are filled in. */
export type SubjectRow = Omit<SyncSubject, 'email' | 'legalBases' | 'consents'> & {
  id: string;
  email: string | null;
  legalBases: LegalBasis[] | null;
  consents: { purpose: ConsentPurpose; action: 'granted' | 'withdrawn'; at: string }[] | null;
};


@Injectable()
export class HubspotRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A connection holding one transaction, for claiming outbox rows with SKIP LOCKED across instances. */
  async begin(): Promise<{ client: PoolClient; commit(): Promise<void>; rollback(): Promise<void> }> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    let open = true;
    // Ends once: the connection goes back to the pool only after COMMIT or ROLLBACK answered,
    // and a failed COMMIT is rolled back here rather than by a caller holding a released connection.
    const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
      if (!open) return;
      open = false;
      try {
        await client.query(sql);
      } catch (err) {
        if (sql === 'COMMIT') await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await runner.release();
      }
    };
    try {
      await client.query('BEGIN');
    } catch (err) {
      open = false;
      await runner.release();
      throw err;
    }
    return { client, commit: () => end('COMMIT'), rollback: () => end('ROLLBACK').catch(() => undefined) };
  }

  /**
   * One round trip: up to `people` people with due upsert rows, each locked for this
   * transaction (so one person is never in two sends at once, and an older state cannot land
   * after a newer one), with every waiting upsert row of theirs: one send of their newest state
   * answers them all. People another drain holds are skipped; a second sender works from the
   * newest end, so two senders rarely want the same people.
   */
  async claimUpserts(client: PoolClient, people: number, newestFirst = false): Promise<ClaimedRow[]> {
    const { rows } = await client.query({
      // The person lock is the mutual exclusion: candidates are read unlocked, so a row another
      // drain merely looked at is never skipped by the one that holds its person.
      text: `WITH due AS (
               SELECT person_id FROM hubspot_outbox
                WHERE done_at IS NULL AND kind = 'upsert' AND available_at <= now() ORDER BY id ${newestFirst ? 'DESC' : 'ASC'} LIMIT $1 * 2
             ), mine AS (
               SELECT person_id FROM (SELECT DISTINCT person_id FROM due) d
                WHERE pg_try_advisory_xact_lock(hashtextextended('hubspot:' || person_id::text, 0)) LIMIT $1
             )
             SELECT o.id, o.person_id AS "personId", o.kind, o.email, o.attempts FROM hubspot_outbox o
              WHERE o.person_id = ANY (ARRAY(SELECT person_id FROM mine)) AND o.done_at IS NULL AND o.kind = 'upsert' FOR UPDATE OF o`,
      values: [people],
    });
    return rows;
  }

  /**
   * Due rows of one kind, locked for this transaction; rows another instance holds are skipped,
   * so nothing is sent twice.
   */
  async claim(client: PoolClient, kind: OutboxKind, limit: number): Promise<ClaimedRow[]> {
    const { rows } = await client.query(
      `SELECT id, person_id AS "personId", kind, email, attempts FROM hubspot_outbox
        WHERE done_at IS NULL AND kind = $1 AND available_at <= now() ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [kind, limit],
    );
    return rows;
  }

  /** What the mapping needs of each person, read in one query (the newest state, whatever rows asked for it). */
  async subjects(client: PoolClient, personIds: string[]): Promise<SubjectRow[]> {
    const { rows } = await client.query(
      `SELECT p.id, p.email, p.first_name AS "firstName", p.last_name AS "lastName", p.position, p.phone, p.company_name AS "companyName",
              p.location, p.status, p.restricted_at IS NOT NULL AS restricted,
              (SELECT c.source FROM capture c WHERE c.person_id = p.id ORDER BY c.received_at LIMIT 1) AS "firstSource",
              (SELECT c.policy_version FROM capture c WHERE c.person_id = p.id ORDER BY c.received_at DESC LIMIT 1) AS "policyVersion",
              (SELECT array_agg(DISTINCT b.value) FROM capture c, jsonb_each_text(c.legal_bases) b WHERE c.person_id = p.id) AS "legalBases",
              (SELECT json_agg(x) FROM (SELECT DISTINCT ON (purpose) purpose, action, occurred_at AS at FROM consent_event
                                         WHERE person_id = p.id ORDER BY purpose, id DESC) x) AS consents
         FROM person p WHERE p.id = ANY($1::uuid[])`,
      [personIds],
    );
    return rows;
  }

  /** Of these addresses' hashes, those suppressed with no self-given capture since; a newer one lifts the suppression. */
  async stillSuppressed(client: PoolClient, subjects: { personId: string; emailHash: string }[]): Promise<Set<string>> {
    if (!subjects.length) return new Set();
    const { rows } = await client.query(
      `WITH s AS (
         SELECT v.person_id, h.email_hash, h.created_at FROM unnest($1::uuid[], $2::text[]) AS v(person_id, email_hash)
         JOIN hubspot_suppression h ON h.email_hash = v.email_hash
       ), lifted AS (
         DELETE FROM hubspot_suppression h USING s
          WHERE h.email_hash = s.email_hash
            AND EXISTS (SELECT 1 FROM capture c WHERE c.person_id = s.person_id AND c.source = ANY($3) AND c.received_at > s.created_at)
         RETURNING h.email_hash
       )
       SELECT person_id FROM s WHERE email_hash NOT IN (SELECT email_hash FROM lifted)`,
      [subjects.map((s) => s.personId), subjects.map((s) => s.emailHash), [...SELF_SERVICE_SOURCES]],
    );
    return new Set(rows.map((r: { person_id: string }) => r.person_id));
  }

  async done(client: PoolClient, rowIds: string[]): Promise<void> {
    // The address kept for a purge or an unsubscribe goes as soon as HubSpot has it.
    if (rowIds.length) await client.query(`UPDATE hubspot_outbox SET done_at = now(), email = NULL, last_error = NULL WHERE id = ANY($1::bigint[])`, [rowIds]);
  }

  async retryLater(client: PoolClient, rowIds: string[], delayMs: number, error: string): Promise<void> {
    await client.query(
      `UPDATE hubspot_outbox SET attempts = attempts + 1, available_at = now() + ($2 || ' milliseconds')::interval, last_error = $3 WHERE id = ANY($1::bigint[])`,
      [rowIds, String(Math.round(delayMs)), error],
    );
  }

  /**
   * Each person's sync state after a send: synced (with HubSpot's id) unless a newer change
   * already waits in the outbox; failed with HubSpot's message; suppressed; restricted.
   */
  async recordOutcomes(client: PoolClient, claimed: string[], outcomes: { personId: string; state: 'synced' | 'failed' | 'suppressed'; hubspotId?: string; error?: string }[]): Promise<void> {
    if (!outcomes.length) return;
    await client.query(
      `UPDATE person p SET
          hubspot_id = COALESCE(v.hubspot_id, p.hubspot_id),
          sync_state = CASE WHEN v.state = 'synced' AND p.restricted_at IS NOT NULL THEN 'restricted'
                            WHEN v.state = 'synced' AND EXISTS (SELECT 1 FROM hubspot_outbox o WHERE o.person_id = p.id AND o.done_at IS NULL AND o.id <> ALL($5::bigint[])) THEN 'pending'
                            ELSE v.state END,
          synced_at = CASE WHEN v.state = 'synced' THEN now() ELSE p.synced_at END,
          sync_error = v.error
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS v(person_id, state, hubspot_id, error)
        WHERE p.id = v.person_id`,
      [outcomes.map((o) => o.personId), outcomes.map((o) => o.state), outcomes.map((o) => o.hubspotId ?? null), outcomes.map((o) => o.error ?? null), claimed],
    );
  }

  async recordDisclosures(client: PoolClient, actor: Actor, kind: string, entries: { personId: string; details?: Record<string, unknown> }[]): Promise<void> {
    if (!entries.length) return;
    await client.query(
      `INSERT INTO disclosure (recipient, kind, person_id, details, actor_type, actor_id)
       SELECT 'hubspot', $1, v.person_id, v.details, $4, $5 FROM unnest($2::uuid[], $3::jsonb[]) AS v(person_id, details)`,
      [kind, entries.map((e) => e.personId), entries.map((e) => JSON.stringify(e.details ?? {})), actor.type, actor.id],
    );
  }

  /** Writes an outbox row (and marks the person pending) inside the caller's transaction. */
  async enqueue(tx: EntityManager, personId: string, kind: OutboxKind, email: string | null = null): Promise<void> {
    await tx.query(
      `WITH o AS (INSERT INTO hubspot_outbox (person_id, kind, email) VALUES ($1, $2, $3))
       UPDATE person SET sync_state = 'pending' WHERE id = $1 AND sync_state IN ('synced', 'failed')`,
      [personId, kind, email],
    );
  }

  async suppress(tx: EntityManager, emailHash: string): Promise<void> {
    await tx.query(`INSERT INTO hubspot_suppression (email_hash) VALUES ($1) ON CONFLICT (email_hash) DO UPDATE SET created_at = now()`, [emailHash]);
  }

  control(): Promise<HubspotSyncControl> {
    return this.dataSource.query(`SELECT paused_until AS "pausedUntil", pause_reason AS "pauseReason", last_error AS "lastError", last_error_at AS "lastErrorAt",
                                         synced_count AS "syncedCount", rate_limited_count AS "rateLimitedCount" FROM hubspot_sync_control WHERE id = 1`).then((r) => r[0]);
  }

  async updateControl(changes: { pausedUntil?: Date | null; pauseReason?: string | null; lastError?: string; synced?: number; rateLimited?: number }): Promise<void> {
    await this.dataSource.query(
      `UPDATE hubspot_sync_control SET
          paused_until = CASE WHEN $1 THEN $2::timestamptz ELSE paused_until END,
          pause_reason = CASE WHEN $1 THEN $3 ELSE pause_reason END,
          last_error = COALESCE($4, last_error),
          last_error_at = CASE WHEN $4 IS NULL THEN last_error_at ELSE now() END,
          synced_count = synced_count + $5,
          rate_limited_count = rate_limited_count + $6
        WHERE id = 1`,
      [changes.pausedUntil !== undefined, changes.pausedUntil ?? null, changes.pauseReason ?? null, changes.lastError ?? null, changes.synced ?? 0, changes.rateLimited ?? 0],
    );
  }

  backlog(): Promise<{ pending: number; oldest: Date | null; failed: number }> {
    return this.dataSource
      .query(
        `SELECT (SELECT count(*)::int FROM hubspot_outbox WHERE done_at IS NULL) AS pending,
                (SELECT min(created_at) FROM hubspot_outbox WHERE done_at IS NULL) AS oldest,
                (SELECT count(*)::int FROM person WHERE sync_state = 'failed') AS failed`,
      )
      .then((r) => r[0]);
  }

  /** Contacts synced in the last minute, for the status page's throughput. */
  async syncedLastMinute(): Promise<number> {
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM person WHERE synced_at > now() - interval '1 minute'`);
    return n;
  }

  failures(limit: number): Promise<{ id: string; syncError: string | null; updatedAt: Date }[]> {
    return this.dataSource.query(`SELECT id, sync_error AS "syncError", updated_at AS "updatedAt" FROM person WHERE sync_state = 'failed' ORDER BY updated_at DESC LIMIT $1`, [limit]);
  }

  /** Queues failed people again (one, or all); returns how many. */
  async requeueFailed(personId?: string): Promise<number> {
    const rows = await this.dataSource.query(
      `WITH f AS (UPDATE person SET sync_state = 'pending', sync_error = NULL WHERE sync_state = 'failed' ${personId ? 'AND id = $1' : ''} RETURNING id)
       INSERT INTO hubspot_outbox (person_id, kind) SELECT id, 'upsert' FROM f RETURNING id`,
      personId ? [personId] : [],
    );
    return rows.length;
  }
}
