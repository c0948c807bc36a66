import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh tokens of signed-in browsers (issue 19, sessions): hashes only, rotated on every use,
 * a family per sign-in so that a reused (stolen) token revokes the whole sign-in.
 */
export class StaffSessions1796000200000 implements MigrationInterface {
  name = 'StaffSessions1796000200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "staff_session" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "family_id" uuid NOT NULL, "token_hash" bytea NOT NULL, "token_version" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_f6ff7fdf4bb47ace7981adbcdee" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "staff_session_user_idx" ON "staff_session"  ("user_id") `);
    await queryRunner.query(`CREATE INDEX "staff_session_family_idx" ON "staff_session"  ("family_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "staff_session_token_idx" ON "staff_session"  ("token_hash") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."staff_session_token_idx"`);
    await queryRunner.query(`DROP INDEX "public"."staff_session_family_idx"`);
    await queryRunner.query(`DROP INDEX "public"."staff_session_user_idx"`);
    await queryRunner.query(`DROP TABLE "staff_session"`);
  }
}
