import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A staff user's tokens name the token version they were issued under; a password change or
 * reset, a role change and deactivation move it on, so every token issued before stops working
 * at once (a JWT cannot be recalled otherwise before it expires).
 */
export class StaffTokenVersion1795900000000 implements MigrationInterface {
  name = 'StaffTokenVersion1795900000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "staff_user" ADD "token_version" integer NOT NULL DEFAULT 0`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "staff_user" DROP COLUMN "token_version"`);
  }
}
