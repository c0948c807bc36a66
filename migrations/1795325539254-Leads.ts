import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leads: person, company, capture (with legal basis, consent flags, policy version and retention
 * clock), the append-only consent ledger, the timeline, and the registered web forms.
 */
export class Leads1795325539254 implements MigrationInterface {
  name = 'Leads1795325539254';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "intake_form" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "key" text NOT NULL, "name" text NOT NULL, "allowed_origins" text array NOT NULL DEFAULT '{}', "field_mapping" jsonb NOT NULL, "default_inquiry_type" text NOT NULL, "inquiry_type_values" jsonb NOT NULL DEFAULT '{}', "consent_fields" jsonb NOT NULL DEFAULT '{}', "signing_secret" text NOT NULL, "notify_email" text, "archived_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3d7bdea7ae9aaf00b55d34eae03" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "intake_form_key_key" ON "intake_form"  ("key") `);
    await queryRunner.query(`CREATE TABLE "company" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "domain" text, "address" text, "is_customer" boolean NOT NULL DEFAULT false, "last_service_delivery_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_056f7854a7afdba7cbd6d45fc20" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "company_domain_key" ON "company"  ("domain") WHERE domain IS NOT NULL`);
    await queryRunner.query(`CREATE TABLE "person" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "first_name" text, "last_name" text, "position" text, "email" text, "phone" text, "skype_id" text, "linkedin_url" text, "location" text, "company_id" uuid, "company_name" text, "status" text NOT NULL DEFAULT 'new', "owner_id" uuid, "restricted_at" TIMESTAMP WITH TIME ZONE, "marketing_objection_at" TIMESTAMP WITH TIME ZONE, "erased_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "person_identifiable_check" CHECK (email IS NOT NULL OR phone IS NOT NULL), CONSTRAINT "person_status_check" CHECK (status IN ('new','contacted','qualified','customer','disqualified')), CONSTRAINT "PK_5fdaf670315c4b7e70cce85daa3" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "person_email_key" ON "person"  ("email") WHERE email IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "person_phone_idx" ON "person"  ("phone") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "person_phone_only_key" ON "person"  ("phone") WHERE email IS NULL AND phone IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "person_status_idx" ON "person"  ("status") `);
    await queryRunner.query(`CREATE INDEX "person_company_idx" ON "person"  ("company_id") `);
    await queryRunner.query(`CREATE INDEX "person_owner_idx" ON "person"  ("owner_id") `);
    await queryRunner.query(`CREATE INDEX "person_created_at_idx" ON "person"  ("created_at", "id") `);
    await queryRunner.query(`CREATE TABLE "capture" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "person_id" uuid NOT NULL, "source" text NOT NULL, "source_ref" text, "form_id" uuid, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "content_type" text, "raw_body" text, "payload" jsonb NOT NULL, "mapped" jsonb NOT NULL, "request" text, "inquiry_type" text, "legal_bases" jsonb NOT NULL, "consents_given" text array NOT NULL DEFAULT '{}', "policy_version" text NOT NULL, "retention_anchor" text NOT NULL, "retention_anchor_at" TIMESTAMP WITH TIME ZONE NOT NULL, "retention_due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_type" text NOT NULL, "actor_id" uuid, CONSTRAINT "PK_b0d9e7af405727c1d572aaad438" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "capture_retention_due_idx" ON "capture"  ("retention_due_at") `);
    await queryRunner.query(`CREATE INDEX "capture_source_ref_idx" ON "capture"  ("source", "source_ref") `);
    await queryRunner.query(`CREATE INDEX "capture_person_idx" ON "capture"  ("person_id", "received_at") `);
    await queryRunner.query(`CREATE TABLE "activity" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "person_id" uuid NOT NULL, "type" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "body" text, "details" jsonb, "capture_id" uuid, "actor_type" text NOT NULL, "actor_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_24625a1d6b1b089c8ae206fe467" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "activity_person_idx" ON "activity"  ("person_id", "occurred_at") `);
    await queryRunner.query(`CREATE TABLE "consent_event" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "person_id" uuid NOT NULL, "purpose" text NOT NULL, "action" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "source" text NOT NULL, "capture_id" uuid, "policy_version" text NOT NULL, "wording" text NOT NULL, "actor_type" text NOT NULL, "actor_id" uuid, CONSTRAINT "consent_event_action_check" CHECK (action IN ('granted','withdrawn')), CONSTRAINT "PK_da129f04a16b45855a0ebb5ed68" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "consent_event_person_idx" ON "consent_event"  ("person_id", "purpose", "id") `);
    await queryRunner.query(`ALTER TABLE "person" ADD CONSTRAINT "FK_0dd3c460a540ec2963881e0912b" FOREIGN KEY ("company_id") REFERENCES "company"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "person" ADD CONSTRAINT "FK_a29c5c1e952f27e9d9adf0c544a" FOREIGN KEY ("owner_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "capture" ADD CONSTRAINT "FK_6841967f196c47efd425c43e14f" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "capture" ADD CONSTRAINT "FK_3fcfc1bbe04b2948f0c05df54c9" FOREIGN KEY ("form_id") REFERENCES "intake_form"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "activity" ADD CONSTRAINT "FK_56f37eb9f955ed21e19c337abe1" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "activity" ADD CONSTRAINT "FK_77d9c8230a8bccad279694735c0" FOREIGN KEY ("capture_id") REFERENCES "capture"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "consent_event" ADD CONSTRAINT "FK_af28486de0c31943334b259ff0b" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "consent_event" ADD CONSTRAINT "FK_c7ba7cca4b8a7c0b61752ac66bf" FOREIGN KEY ("capture_id") REFERENCES "capture"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    // Staff search over name, e-mail and company: the repository filters on this same expression.
    await queryRunner.query(`CREATE INDEX "person_search_idx" ON "person" USING gin ((lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(company_name, ''))) gin_trgm_ops)`);
    // The consent ledger is append-only; a merge may only move an event to the surviving person.
    await queryRunner.query(`CREATE FUNCTION consent_event_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'person_id') = (to_jsonb(OLD) - 'person_id') THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'consent_event is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await queryRunner.query(`CREATE TRIGGER consent_event_append_only BEFORE UPDATE OR DELETE ON "consent_event" FOR EACH ROW EXECUTE FUNCTION consent_event_refuse_change()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER consent_event_append_only ON "consent_event"`);
    await queryRunner.query(`DROP FUNCTION consent_event_refuse_change()`);
    await queryRunner.query(`DROP INDEX "public"."person_search_idx"`);
    await queryRunner.query(`ALTER TABLE "consent_event" DROP CONSTRAINT "FK_c7ba7cca4b8a7c0b61752ac66bf"`);
    await queryRunner.query(`ALTER TABLE "consent_event" DROP CONSTRAINT "FK_af28486de0c31943334b259ff0b"`);
    await queryRunner.query(`ALTER TABLE "activity" DROP CONSTRAINT "FK_77d9c8230a8bccad279694735c0"`);
    await queryRunner.query(`ALTER TABLE "activity" DROP CONSTRAINT "FK_56f37eb9f955ed21e19c337abe1"`);
    await queryRunner.query(`ALTER TABLE "capture" DROP CONSTRAINT "FK_3fcfc1bbe04b2948f0c05df54c9"`);
    await queryRunner.query(`ALTER TABLE "capture" DROP CONSTRAINT "FK_6841967f196c47efd425c43e14f"`);
    await queryRunner.query(`ALTER TABLE "person" DROP CONSTRAINT "FK_a29c5c1e952f27e9d9adf0c544a"`);
    await queryRunner.query(`ALTER TABLE "person" DROP CONSTRAINT "FK_0dd3c460a540ec2963881e0912b"`);
    await queryRunner.query(`DROP INDEX "public"."consent_event_person_idx"`);
    await queryRunner.query(`DROP TABLE "consent_event"`);
    await queryRunner.query(`DROP INDEX "public"."activity_person_idx"`);
    await queryRunner.query(`DROP TABLE "activity"`);
    await queryRunner.query(`DROP INDEX "public"."capture_person_idx"`);
    await queryRunner.query(`DROP INDEX "public"."capture_source_ref_idx"`);
    await queryRunner.query(`DROP INDEX "public"."capture_retention_due_idx"`);
    await queryRunner.query(`DROP TABLE "capture"`);
    await queryRunner.query(`DROP INDEX "public"."person_created_at_idx"`);
    await queryRunner.query(`DROP INDEX "public"."person_owner_idx"`);
    await queryRunner.query(`DROP INDEX "public"."person_company_idx"`);
    await queryRunner.query(`DROP INDEX "public"."person_status_idx"`);
    await queryRunner.query(`DROP INDEX "public"."person_phone_only_key"`);
    await queryRunner.query(`DROP INDEX "public"."person_phone_idx"`);
    await queryRunner.query(`DROP INDEX "public"."person_email_key"`);
    await queryRunner.query(`DROP TABLE "person"`);
    await queryRunner.query(`DROP INDEX "public"."company_domain_key"`);
    await queryRunner.query(`DROP TABLE "company"`);
    await queryRunner.query(`DROP INDEX "public"."intake_form_key_key"`);
    await queryRunner.query(`DROP TABLE "intake_form"`);
    await queryRunner.query(`DROP EXTENSION IF EXISTS pg_trgm`);
  }
}
