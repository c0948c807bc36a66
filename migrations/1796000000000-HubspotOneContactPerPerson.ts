import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One HubSpot contact per person, no wiped fields, no silent losses (issue 14):
 * - a person keeps every HubSpot id they ever had (for update by id, merge and erasure), the
 *   fields staff cleared on purpose that HubSpot has not been told of yet, and the furthest
 *   lifecycle stage the sync has sent (stages only move forward);
 * - an outbox row can merge two contacts, purge by id, and fail visibly after bounded retries;
 * - the sync-wide control counts consecutive refusals of our token (401/403) or failed start-ups, for the backoff.
 */
export class HubspotOneContactPerPerson1796000000000 implements MigrationInterface {
  name = 'HubspotOneContactPerPerson1796000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "person" ADD "hubspot_ids" text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "person" ADD "hubspot_clears" text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "person" ADD "hubspot_stage" text`);
    await q.query(`UPDATE "person" SET "hubspot_ids" = ARRAY["hubspot_id"] WHERE "hubspot_id" IS NOT NULL`);
    await q.query(`ALTER TABLE "hubspot_outbox" ADD "hubspot_id" text`);
    await q.query(`ALTER TABLE "hubspot_outbox" ADD "merged_hubspot_id" text`);
    await q.query(`ALTER TABLE "hubspot_outbox" ADD "failed_at" timestamptz`);
    await q.query(`ALTER TABLE "hubspot_outbox" DROP CONSTRAINT "hubspot_outbox_kind_check"`);
    await q.query(`ALTER TABLE "hubspot_outbox" ADD CONSTRAINT "hubspot_outbox_kind_check" CHECK (kind IN ('upsert','purge','unsubscribe','merge'))`);
    // A failed row waits for staff (requeue), not for the drain.
    await q.query(`CREATE INDEX "hubspot_outbox_failed_idx" ON "hubspot_outbox" ("failed_at") WHERE failed_at IS NOT NULL`);
    await q.query(`ALTER TABLE "hubspot_sync_control" ADD "access_failures" integer NOT NULL DEFAULT 0`);
    // The claim of updates passes over persons whose merge waits: a probe of this small index.
    await q.query(`CREATE INDEX "hubspot_outbox_merge_idx" ON "hubspot_outbox" ("person_id") WHERE kind = 'merge' AND done_at IS NULL`);
    // A queue: rows come and go in bursts (an import owes thousands at once); its planner statistics
    // and dead rows are looked after at 1% change, not the default 10-20%.
    await q.query(`ALTER TABLE "hubspot_outbox" SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.01)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "hubspot_outbox" RESET (autovacuum_analyze_scale_factor, autovacuum_vacuum_scale_factor)`);
    await q.query(`DROP INDEX "hubspot_outbox_merge_idx"`);
    await q.query(`ALTER TABLE "hubspot_sync_control" DROP COLUMN "access_failures"`);
    await q.query(`DROP INDEX "hubspot_outbox_failed_idx"`);
    await q.query(`DELETE FROM "hubspot_outbox" WHERE kind = 'merge'`);
    await q.query(`ALTER TABLE "hubspot_outbox" DROP CONSTRAINT "hubspot_outbox_kind_check"`);
    await q.query(`ALTER TABLE "hubspot_outbox" ADD CONSTRAINT "hubspot_outbox_kind_check" CHECK (kind IN ('upsert','purge','unsubscribe'))`);
    await q.query(`ALTER TABLE "hubspot_outbox" DROP COLUMN "failed_at"`);
    await q.query(`ALTER TABLE "hubspot_outbox" DROP COLUMN "merged_hubspot_id"`);
    await q.query(`ALTER TABLE "hubspot_outbox" DROP COLUMN "hubspot_id"`);
    await q.query(`ALTER TABLE "person" DROP COLUMN "hubspot_stage"`);
    await q.query(`ALTER TABLE "person" DROP COLUMN "hubspot_clears"`);
    await q.query(`ALTER TABLE "person" DROP COLUMN "hubspot_ids"`);
  }
}
