import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The retention sweep walks captures whose clock ended in (due date, id) order and goes on from
 * where its last batch stopped, so a sweep is linear in what it looks at: the index carries the id.
 */
export class CaptureDueWalk1796000400000 implements MigrationInterface {
  name = 'CaptureDueWalk1796000400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."capture_retention_due_idx"`);
    await queryRunner.query(`CREATE INDEX "capture_retention_due_idx" ON "capture"  ("retention_due_at", "id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."capture_retention_due_idx"`);
    await queryRunner.query(`CREATE INDEX "capture_retention_due_idx" ON "capture" USING btree ("retention_due_at") `);
  }
}
