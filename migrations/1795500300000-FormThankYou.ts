import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Where a plain HTML form post is sent after it is taken (a 303), for sites that post without JavaScript. */
export class FormThankYou1795500300000 implements MigrationInterface {
  name = 'FormThankYou1795500300000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "intake_form" ADD "thank_you_url" text`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "intake_form" DROP COLUMN "thank_you_url"`);
  }
}
