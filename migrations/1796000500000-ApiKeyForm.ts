import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A web_form API key can be scoped to one form: its server-side relay posts to that form only (issue 16, item 1). */
export class ApiKeyForm1796000500000 implements MigrationInterface {
  name = 'ApiKeyForm1796000500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_key" ADD "form_id" uuid`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_key" DROP COLUMN "form_id"`);
  }
}
