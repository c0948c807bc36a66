import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Assignment rules (issue 16, item 15): per form or channel, how a new lead gets its owner. Staff config, not personal data. */
export class AssignmentRules1796000800000 implements MigrationInterface {
  name = 'AssignmentRules1796000800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "assignment_rule" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "form_id" uuid, "channel" text, "mode" text NOT NULL, "user_ids" uuid array NOT NULL DEFAULT '{}', "next_index" integer NOT NULL DEFAULT '0', "updated_by" uuid, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "assignment_rule_mode_check" CHECK (mode IN ('nobody','fixed','round_robin','least_busy')), CONSTRAINT "assignment_rule_one_scope" CHECK ((form_id IS NULL) <> (channel IS NULL)), CONSTRAINT "PK_c4cc990e5e2382ac7eeec949b57" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "assignment_rule_channel_key" ON "assignment_rule"  ("channel") WHERE channel IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "assignment_rule_form_key" ON "assignment_rule"  ("form_id") WHERE form_id IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."assignment_rule_form_key"`);
    await queryRunner.query(`DROP INDEX "public"."assignment_rule_channel_key"`);
    await queryRunner.query(`DROP TABLE "assignment_rule"`);
  }
}
