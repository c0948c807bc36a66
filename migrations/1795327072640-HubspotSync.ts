import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The HubSpot sync: the transactional outbox, suppression of erased addresses, shared sync state, per-person sync status, and the disclosure log. */
export class HubspotSync1795327072640 implements MigrationInterface {
  name = 'HubspotSync1795327072640';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "hubspot_outbox" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "person_id" uuid NOT NULL, "kind" text NOT NULL, "email" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "available_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "attempts" integer NOT NULL DEFAULT '0', "last_error" text, "done_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "hubspot_outbox_kind_check" CHECK (kind IN ('upsert','purge','unsubscribe')), CONSTRAINT "PK_9b2a30503b1ea4c2460c7781df5" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "hubspot_outbox_person_idx" ON "hubspot_outbox"  ("person_id") `);
    await queryRunner.query(`CREATE INDEX "hubspot_outbox_due_idx" ON "hubspot_outbox"  ("id") WHERE done_at IS NULL`);
    await queryRunner.query(`CREATE TABLE "hubspot_suppression" ("email_hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5e2d17f1997b3bfd1852a2ba671" PRIMARY KEY ("email_hash"))`);
    await queryRunner.query(`CREATE TABLE "hubspot_sync_control" ("id" integer NOT NULL DEFAULT '1', "paused_until" TIMESTAMP WITH TIME ZONE, "pause_reason" text, "last_error" text, "last_error_at" TIMESTAMP WITH TIME ZONE, "synced_count" bigint NOT NULL DEFAULT '0', "rate_limited_count" bigint NOT NULL DEFAULT '0', CONSTRAINT "hubspot_sync_control_single_row" CHECK (id = 1), CONSTRAINT "PK_958566c07f6e18371e9bbfe20e0" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "disclosure" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "recipient" text NOT NULL, "kind" text NOT NULL, "person_id" uuid, "details" jsonb, "actor_type" text NOT NULL, "actor_id" uuid, CONSTRAINT "PK_b8eace3be471f4a07b7fce9f4d6" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "disclosure_person_idx" ON "disclosure"  ("person_id", "occurred_at") `);
    await queryRunner.query(`ALTER TABLE "person" ADD "hubspot_id" text`);
    await queryRunner.query(`ALTER TABLE "person" ADD "sync_state" text NOT NULL DEFAULT 'pending'`);
    await queryRunner.query(`ALTER TABLE "person" ADD "synced_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "person" ADD "sync_error" text`);
    await queryRunner.query(`CREATE INDEX "person_sync_state_idx" ON "person"  ("sync_state") `);
    await queryRunner.query(`ALTER TABLE "person" ADD CONSTRAINT "person_sync_state_check" CHECK (sync_state IN ('pending','synced','failed','suppressed','restricted'))`);
    await queryRunner.query(`INSERT INTO "hubspot_sync_control" ("id") VALUES (1)`);
    // Everyone already here is owed a first sync.
    await queryRunner.query(`INSERT INTO "hubspot_outbox" ("person_id", "kind") SELECT "id", 'upsert' FROM "person" ORDER BY "created_at"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "person" DROP CONSTRAINT "person_sync_state_check"`);
    await queryRunner.query(`DROP INDEX "public"."person_sync_state_idx"`);
    await queryRunner.query(`ALTER TABLE "person" DROP COLUMN "sync_error"`);
    await queryRunner.query(`ALTER TABLE "person" DROP COLUMN "synced_at"`);
    await queryRunner.query(`ALTER TABLE "person" DROP COLUMN "sync_state"`);
    await queryRunner.query(`ALTER TABLE "person" DROP COLUMN "hubspot_id"`);
    await queryRunner.query(`DROP INDEX "public"."disclosure_person_idx"`);
    await queryRunner.query(`DROP TABLE "disclosure"`);
    await queryRunner.query(`DROP TABLE "hubspot_sync_control"`);
    await queryRunner.query(`DROP TABLE "hubspot_suppression"`);
    await queryRunner.query(`DROP INDEX "public"."hubspot_outbox_due_idx"`);
    await queryRunner.query(`DROP INDEX "public"."hubspot_outbox_person_idx"`);
    await queryRunner.query(`DROP TABLE "hubspot_outbox"`);
  }
}
