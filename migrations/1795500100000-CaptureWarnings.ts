import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A capture's warnings: optional values that could not be read (a phone number that is none, an
 * age that is no number), kept as given in the payload and left off the person. Field names and
 * what was wrong only; the values stay in the payload.
 */
export class CaptureWarnings1795500100000 implements MigrationInterface {
  name = 'CaptureWarnings1795500100000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "capture" ADD "warnings" jsonb NOT NULL DEFAULT '[]'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "capture" DROP COLUMN "warnings"`);
  }
}
