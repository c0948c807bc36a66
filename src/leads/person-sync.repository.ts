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
  /** The contact HubSpot knows them by, once it does: updates go by it. */
  hubspotId: string | null;
  /** Fields staff cleared on purpose that HubSpot has not been told of. */
  clears: string[];
  /** The furthest lifecycle stage sent. */
  stage: string | null;
}

export interface SyncOutcome {
  personId: string;
  /** retry: sent but not answered for (or the contact was gone): the rows wait for another send. */
  state: 'synced' | 'failed' | 'suppressed' | 'restricted' | 'retry';
  hubspotId?: string;
  error?: string;
  /** Confirmed by HubSpot: the lifecycle stage sent, and the clears sent. */
  stage?: string | null;
  clears?: string[];
  /** HubSpot no longer has the contact: the next send goes by e-mail. */
  forgetId?: boolean;
}

/** The person side of the HubSpot sync: what it reads of persons, and their sync state. */
@Injectable()
export class PersonSyncRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** What the mapping needs of each person, read in one query (the newest state, whatever rows asked for it). */
  async forSync(client: PoolClient, personIds: string[]): Promise<PersonForSync[]> {
    const { rows } = await client.query(
      `SELECT p.id, p.email, p.first_name AS "firstName", p.last_name AS "lastName", p.position, p.phone, p.company_name AS "companyName",
              p.location, p.status, p.restricted_at IS NOT NULL AS restricted, p.hubspot_id AS "hubspotId", p.hubspot_clears AS clears, p.hubspot_stage AS stage,
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
   * What a send settled, per person, after their answered outbox rows are marked done: HubSpot's
   * id (kept among every id they had), the stage and clears HubSpot confirmed, and the sync state
   * derived from the truth of their rows: pending while a change of theirs still waits (an
   * unsubscribe or a purge does not count: those are not their contact's state), else failed
   * with HubSpot's message, restricted, or synced.
   */
  async recordOutcomes(client: PoolClient, outcomes: SyncOutcome[]): Promise<void> {
    if (!outcomes.length) return;
    await client.query(
      `UPDATE person p SET
          hubspot_id = CASE WHEN v.forget THEN NULL ELSE COALESCE(v.hubspot_id, p.hubspot_id) END,
          hubspot_ids = CASE WHEN v.hubspot_id IS NULL OR v.hubspot_id = ANY(p.hubspot_ids) THEN p.hubspot_ids ELSE p.hubspot_ids || v.hubspot_id END,
          hubspot_stage = CASE WHEN v.state = 'synced' THEN COALESCE(v.stage, p.hubspot_stage) ELSE p.hubspot_stage END,
          hubspot_clears = CASE WHEN v.state = 'synced' THEN ARRAY(SELECT f FROM unnest(p.hubspot_clears) f WHERE f <> ALL(string_to_array(v.clears, ','))) ELSE p.hubspot_clears END,
          synced_at = CASE WHEN v.state = 'synced' THEN now() ELSE p.synced_at END,
          sync_error = CASE WHEN v.state IN ('failed', 'retry') THEN v.error END,
          sync_state = CASE WHEN v.state = 'suppressed' THEN 'suppressed'
                            WHEN EXISTS (SELECT 1 FROM hubspot_outbox o WHERE o.person_id = p.id AND o.kind IN ('upsert', 'merge') AND o.done_at IS NULL AND o.failed_at IS NULL) THEN 'pending'
                            WHEN v.state = 'failed' THEN 'failed'
                            WHEN p.restricted_at IS NOT NULL THEN 'restricted'
                            ELSE 'synced' END
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[]) AS v(person_id, state, hubspot_id, error, stage, clears, forget)
        WHERE p.id = v.person_id`,
      [
        outcomes.map((o) => o.personId), outcomes.map((o) => o.state), outcomes.map((o) => o.hubspotId ?? null), outcomes.map((o) => o.error ?? null),
        outcomes.map((o) => o.stage ?? null), outcomes.map((o) => (o.clears ?? []).join(',')), outcomes.map((o) => o.forgetId ?? false),
      ],
    );
  }

  async visible(personIds: string[]): Promise<Set<string>> {
    if (!personIds.length) return new Set();
    const rows: { id: string }[] = await this.dataSource.query(`SELECT id FROM person WHERE id = ANY($1::uuid[])`, [personIds]);
    return new Set(rows.map((r) => r.id));
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
