import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The line an attendee list's header was read from: a report's preamble before it is skipped, and the dry run says how much. */
export class ImportHeaderLine1796000950000 implements MigrationInterface {
  name = 'ImportHeaderLine1796000950000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "event_import" ADD "header_line" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "event_import" DROP COLUMN "header_line"`);
  }
}
