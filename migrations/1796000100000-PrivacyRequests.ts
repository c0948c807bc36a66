import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data-subject requests as cases (issue 18): what was asked, by when, identity checked, every
 * step. Only the DPO (and the system's jobs) reach them: row-level security, as for the lead
 * tables, so no route can read them by mistake.
 */
export class PrivacyRequests1796000100000 implements MigrationInterface {
  name = 'PrivacyRequests1796000100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "privacy_request" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "type" text NOT NULL, "person_id" uuid, "identifier" text, "candidates" uuid array NOT NULL DEFAULT '{}', "channel" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "extension_reason" text, "extension_told_at" TIMESTAMP WITH TIME ZONE, "status" text NOT NULL DEFAULT 'received', "identity_method" text, "identity_documents" text array, "identity_verified_by" uuid, "identity_verified_at" TIMESTAMP WITH TIME ZONE, "scope" text, "refusal_reason" text, "refusal_options" text, "outcome" jsonb, "reminded_at" TIMESTAMP WITH TIME ZONE, "created_by" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "privacy_request_status_check" CHECK (status IN ('received','identity_pending','in_progress','completed','refused')), CONSTRAINT "privacy_request_channel_check" CHECK (channel IN ('email','letter','phone','web','in_person','other')), CONSTRAINT "privacy_request_type_check" CHECK (type IN ('access','rectification','erasure','restriction','objection','portability','consent_withdrawal')), CONSTRAINT "PK_0f0855b007a744a88b91ef3b7b8" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "privacy_request_person_idx" ON "privacy_request"  ("person_id") `);
    await queryRunner.query(`CREATE INDEX "privacy_request_due_idx" ON "privacy_request"  ("due_at") WHERE status NOT IN ('completed','refused')`);
    await queryRunner.query(`CREATE TABLE "privacy_request_action" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "request_id" uuid NOT NULL, "action" text NOT NULL, "details" jsonb NOT NULL DEFAULT '{}', "actor_id" uuid, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6e165de5cdf2fb794c67b2c116b" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "privacy_request_action_request_idx" ON "privacy_request_action"  ("request_id", "id") `);
    for (const table of ['privacy_request', 'privacy_request_action']) {
      await queryRunner.query(`ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(
        `CREATE POLICY "${table}_dpo_only" ON "${table}"
           USING (current_setting('crm.identity', true) = 'system'
                  OR (current_setting('crm.identity', true) = 'staff' AND 'dpo' = ANY (string_to_array(current_setting('crm.roles', true), ','))))
           WITH CHECK (current_setting('crm.identity', true) = 'system'
                  OR (current_setting('crm.identity', true) = 'staff' AND 'dpo' = ANY (string_to_array(current_setting('crm.roles', true), ','))))`,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."privacy_request_action_request_idx"`);
    await queryRunner.query(`DROP TABLE "privacy_request_action"`);
    await queryRunner.query(`DROP INDEX "public"."privacy_request_due_idx"`);
    await queryRunner.query(`DROP INDEX "public"."privacy_request_person_idx"`);
    await queryRunner.query(`DROP TABLE "privacy_request"`);
  }
}
