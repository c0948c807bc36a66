import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A form's last day of posts, for its bot-trap counts and the admins' daily report (issue 16, item 1). */
export class SubmissionFormIndex1796000600000 implements MigrationInterface {
  name = 'SubmissionFormIndex1796000600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "intake_submission_form_idx" ON "intake_submission"  ("form_id", "received_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."intake_submission_form_idx"`);
  }
}
