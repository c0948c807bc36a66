import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Legal holds (issue 17 item 4): a person or a company kept past their retention clocks, with a
 * reason and an end date; the sweep and the preview skip and report what they hold. Written
 * and read by leads (retention), like the lead tables, and row-level security keeps them to
 * the system, admins and the DPO.
 */
export class LegalHolds1796000300000 implements MigrationInterface {
  name = 'LegalHolds1796000300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "legal_hold" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "person_id" uuid, "company_id" uuid, "reason" text NOT NULL, "until" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "ended_at" TIMESTAMP WITH TIME ZONE, "ended_by" uuid, CONSTRAINT "legal_hold_one_subject" CHECK ((person_id IS NULL) <> (company_id IS NULL)), CONSTRAINT "PK_edcd499db1f1c67a56c565c5e64" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "legal_hold_company_idx" ON "legal_hold"  ("company_id") WHERE ended_at IS NULL`);
    await queryRunner.query(`CREATE INDEX "legal_hold_person_idx" ON "legal_hold"  ("person_id") WHERE ended_at IS NULL`);
    await queryRunner.query(`ALTER TABLE "legal_hold" ENABLE ROW LEVEL SECURITY`);
    await queryRunner.query(
      `CREATE POLICY "legal_hold_admin_dpo" ON "legal_hold"
         USING (current_setting('crm.identity', true) = 'system'
                OR (current_setting('crm.identity', true) = 'staff' AND string_to_array(current_setting('crm.roles', true), ',') && ARRAY['admin', 'dpo']))
         WITH CHECK (current_setting('crm.identity', true) = 'system'
                OR (current_setting('crm.identity', true) = 'staff' AND string_to_array(current_setting('crm.roles', true), ',') && ARRAY['admin', 'dpo']))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."legal_hold_person_idx"`);
    await queryRunner.query(`DROP INDEX "public"."legal_hold_company_idx"`);
    await queryRunner.query(`DROP TABLE "legal_hold"`);
  }
}
