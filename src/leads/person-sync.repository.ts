import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { ConsentPurpose, IntakeSource, LegalBasis } from '../domain/purposes';
import type { LifecycleStatus } from '../domain/lifecycle';

/** A person as the HubSpot sync reads them: what the mapping needs, in one row. */
export interface PersonForSync {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  position: string | null;
  phone: string | null;
  companyName: string | null;
  location: string | null;
  status: LifecycleStatus;
  restricted: boolean;
  firstSource: IntakeSource | null;
  policyVersion: string | null;
  legalBases: LegalBasis[] | null;
  consents: { purpose: ConsentPurpose; action: 'granted' | 'withdrawn'; at: string }[] | null;
}

export interface SyncOutcome {
  personId: string;
  state: 'synced' | 'failed' | 'suppressed';
  hubspotId?: string;
  error?: string;
}

/** The person side of the HubSpot sync: what it reads of persons, and their sync state. */
@Injectable()
export class PersonSyncRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** What the mapping needs of each person, read in one query (the newest state, whatever rows asked for it). */
  async forSync(client: PoolClient, personIds: string[]): Promise<PersonForSync[]> {
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

  /** Of these persons, those who gave data themselves (one of `sources`) after the given time. */
  async gaveDataSince(client: PoolClient, since: { personId: string; at: Date }[], sources: readonly string[]): Promise<Set<string>> {
    if (!since.length) return new Set();
    const { rows } = await client.query(
      `SELECT DISTINCT v.person_id FROM unnest($1::uuid[], $2::timestamptz[]) AS v(person_id, at)
        WHERE EXISTS (SELECT 1 FROM capture c WHERE c.person_id = v.person_id AND c.source = ANY($3) AND c.received_at > v.at)`,
      [since.map((s) => s.personId), since.map((s) => s.at), [...sources]],
    );
    return new Set(rows.map((r: { person_id: string }) => r.person_id));
  }

  /**
   * Each person's sync state after a send: synced (with HubSpot's id) unless a newer change
   * already waits in the outbox (rows other than `claimed`); failed with HubSpot's message;
   * suppressed; restricted.
   */
  async recordOutcomes(client: PoolClient, claimed: string[], outcomes: SyncOutcome[]): Promise<void> {
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

  async failedCount(): Promise<number> {
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM person WHERE sync_state = 'failed'`);
    return n;
  }

  /** Contacts synced in the last minute, for the status page's throughput. */
  async syncedLastMinute(): Promise<number> {
    const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM person WHERE synced_at > now() - interval '1 minute'`);
    return n;
  }

  failures(limit: number): Promise<{ id: string; syncError: string | null; updatedAt: Date }[]> {
    return this.dataSource.query(`SELECT id, sync_error AS "syncError", updated_at AS "updatedAt" FROM person WHERE sync_state = 'failed' ORDER BY updated_at DESC LIMIT $1`, [limit]);
  }

  /** Queues failed people again (one, or all): pending, each with an outbox row; returns how many. */
  async requeueFailed(personId?: string): Promise<number> {
    const rows = await this.dataSource.query(
      `WITH f AS (UPDATE person SET sync_state = 'pending', sync_error = NULL WHERE sync_state = 'failed' ${personId ? 'AND id = $1' : ''} RETURNING id)
       INSERT INTO hubspot_outbox (person_id, kind) SELECT id, 'upsert' FROM f RETURNING id`,
      personId ? [personId] : [],
    );
    return rows.length;
  }
}
