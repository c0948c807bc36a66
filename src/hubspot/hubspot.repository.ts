import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { Actor } from '../domain/actor';
import type { OutboxKind } from '../domain/hubspot-sync';
import type { HubspotSyncControl } from './entities/hubspot-sync-control.entity';

export interface ClaimedRow {
  id: string;
  personId: string;
  kind: OutboxKind;
  email: string | null;
  hubspotId: string | null;
  mergedHubspotId: string | null;
  attempts: number;
  /** When the row was queued: an outage gives it up only after a day. */
  createdAt: Date;
}

/** An outbox row given up after bounded retries, as /api/hubspot/failures shows it. */
export interface FailedDelivery {
  id: string;
  personId: string;
  kind: OutboxKind;
  error: string | null;
  at: Date;
}

const CLAIMED = `o.id, o.person_id AS "personId", o.kind, o.email, o.hubspot_id AS "hubspotId", o.merged_hubspot_id AS "mergedHubspotId", o.attempts, o.created_at AS "createdAt"`;
/** Given up after bounded retries, waiting for staff. */
const GIVEN_UP = `o.failed_at IS NOT NULL AND o.done_at IS NULL`;
/** Waiting for the drain: neither done nor given up. */
const OPEN = `o.done_at IS NULL AND o.failed_at IS NULL`;

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
   * newest end, so two senders rarely want the same people. A person whose contact merge waits
   * is left until it is done (the merge decides which contact their update goes to).
   */
  async claimUpserts(client: PoolClient, people: number, senders: number, newestFirst = false): Promise<ClaimedRow[]> {
    const { rows } = await client.query({
      // The person lock is the mutual exclusion: candidates are read unlocked, so a row another
      // drain merely looked at is never skipped by the one that holds its person.
      text: `WITH due AS (
               SELECT person_id FROM hubspot_outbox o
                WHERE ${OPEN} AND kind = 'upsert' AND available_at <= now() ORDER BY id ${newestFirst ? 'DESC' : 'ASC'} LIMIT $2
             ), mine AS (
               SELECT person_id FROM (SELECT DISTINCT person_id FROM due) d
                WHERE NOT EXISTS (SELECT 1 FROM hubspot_outbox o WHERE o.person_id = d.person_id AND o.kind = 'merge' AND ${OPEN})
                  AND pg_try_advisory_xact_lock(hashtextextended('hubspot:' || person_id::text, 0)) LIMIT $1
             )
             SELECT ${CLAIMED} FROM hubspot_outbox o
              WHERE o.person_id = ANY (ARRAY(SELECT person_id FROM mine)) AND ${OPEN} AND o.kind = 'upsert' FOR UPDATE OF o`,
      // Candidates enough for every sender's batch: those the others hold are passed over, not waited for.
      values: [people, people * 2 * senders],
    });
    return rows;
  }

  /**
   * Due rows of one kind, locked for this transaction; rows another instance holds are skipped,
   * so nothing is sent twice.
   */
  async claim(client: PoolClient, kind: OutboxKind, limit: number): Promise<ClaimedRow[]> {
    const { rows } = await client.query(
      `SELECT ${CLAIMED} FROM hubspot_outbox o
        WHERE ${OPEN} AND kind = $1 AND available_at <= now() ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [kind, limit],
    );
    return rows;
  }

  /** The suppressions of these addresses' hashes, with when each was made. */
  async suppressions(client: PoolClient, subjects: { personId: string; emailHash: string }[]): Promise<{ personId: string; emailHash: string; since: Date }[]> {
    if (!subjects.length) return [];
    const { rows } = await client.query(
      `SELECT v.person_id AS "personId", h.email_hash AS "emailHash", h.created_at AS since
         FROM unnest($1::uuid[], $2::text[]) AS v(person_id, email_hash) JOIN hubspot_suppression h ON h.email_hash = v.email_hash`,
      [subjects.map((s) => s.personId), subjects.map((s) => s.emailHash)],
    );
    return rows;
  }

  async liftSuppressions(client: PoolClient, emailHashes: string[]): Promise<void> {
    if (emailHashes.length) await client.query(`DELETE FROM hubspot_suppression WHERE email_hash = ANY($1::text[])`, [emailHashes]);
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

  /** Given up: kept for staff to see and requeue, with HubSpot's message. */
  async giveUp(client: PoolClient, rowId: string, error: string): Promise<void> {
    await client.query(`UPDATE hubspot_outbox SET attempts = attempts + 1, failed_at = now(), last_error = $2 WHERE id = $1`, [rowId, error]);
  }

  failedDeliveries(limit: number): Promise<FailedDelivery[]> {
    return this.dataSource.query(
      `SELECT o.id, o.person_id AS "personId", o.kind, o.last_error AS error, o.failed_at AS at FROM hubspot_outbox o WHERE ${GIVEN_UP} ORDER BY o.failed_at DESC LIMIT $1`,
      [limit],
    );
  }

  /** These persons' given-up purges, merges and unsubscribes sent again; how many. */
  async requeueDeliveries(personIds: string[]): Promise<number> {
    if (!personIds.length) return 0;
    const rows = await this.dataSource.query(
      `UPDATE hubspot_outbox o SET failed_at = NULL, attempts = 0, available_at = now() WHERE ${GIVEN_UP} AND o.person_id = ANY($1::uuid[]) RETURNING o.id`,
      [personIds],
    );
    return rows[0]?.length ?? rows.length;
  }

  async recordDisclosures(client: PoolClient, actor: Actor, kind: string, entries: { personId: string; details?: Record<string, unknown> }[]): Promise<void> {
    if (!entries.length) return;
    await client.query(
      `INSERT INTO disclosure (recipient, kind, person_id, details, actor_type, actor_id)
       SELECT 'hubspot', $1, v.person_id, v.details, $4, $5 FROM unnest($2::uuid[], $3::jsonb[]) AS v(person_id, details)`,
      [kind, entries.map((e) => e.personId), entries.map((e) => JSON.stringify(e.details ?? {})), actor.type, actor.id],
    );
  }

  control(): Promise<HubspotSyncControl> {
    return this.dataSource.query(`SELECT paused_until AS "pausedUntil", pause_reason AS "pauseReason", last_error AS "lastError", last_error_at AS "lastErrorAt",
                                         synced_count AS "syncedCount", rate_limited_count AS "rateLimitedCount", access_failures AS "accessFailures" FROM hubspot_sync_control WHERE id = 1`).then((r) => r[0]);
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

  /**
   * HubSpot refused our token (or the start-up failed) once more: paused until `until(failures)`
   * (longer each time), in one statement so instances failing at once count each failure. Returns
   * the consecutive failures, this one included.
   */
  async accessFailed(reason: string, until: (failures: number) => Date): Promise<number> {
    const [{ failures }] = await this.dataSource.query(`SELECT access_failures AS failures FROM hubspot_sync_control WHERE id = 1`);
    const [[row]] = await this.dataSource.query(
      `UPDATE hubspot_sync_control SET access_failures = access_failures + 1, paused_until = $1, pause_reason = $2, last_error = $2, last_error_at = now()
        WHERE id = 1 RETURNING access_failures AS failures`,
      [until(failures), reason],
    );
    return row.failures;
  }

  /** A request went through: a pause for our access ends. True when there was one. */
  async accessRestored(): Promise<boolean> {
    const rows = await this.dataSource.query(
      `UPDATE hubspot_sync_control SET access_failures = 0, paused_until = NULL, pause_reason = NULL WHERE id = 1 AND access_failures > 0 RETURNING id`,
    );
    return (rows[0]?.length ?? 0) > 0;
  }

  backlog(): Promise<{ pending: number; oldest: Date | null }> {
    return this.dataSource
      .query(`SELECT count(*)::int AS pending, min(created_at) AS oldest FROM hubspot_outbox o WHERE ${OPEN}`)
      .then((r) => r[0]);
  }
}
