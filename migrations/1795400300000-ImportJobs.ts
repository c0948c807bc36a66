import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attendee imports run as pg-boss jobs: pg-boss decides who runs one (one job per import at a
 * time, retried when its runner stops or dies), so the lease's expiry and the index the poller
 * searched by go. What stays is the runner's token, now only a fence (each run takes a new one,
 * and a batch commits only under the current one), and the import remembers its job.
 * Imports left queued or running are given a job when an instance with jobs starts.
 */
export class ImportJobs1795400300000 implements MigrationInterface {
  name = 'ImportJobs1795400300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."event_import_due_idx"`);
    await queryRunner.query(`ALTER TABLE "event_import" DROP COLUMN "lease_until"`);
    await queryRunner.query(`ALTER TABLE "event_import" RENAME COLUMN "lease_token" TO "runner_token"`);
    await queryRunner.query(`ALTER TABLE "event_import" ADD "job_id" uuid`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "event_import" DROP COLUMN "job_id"`);
    await queryRunner.query(`ALTER TABLE "event_import" RENAME COLUMN "runner_token" TO "lease_token"`);
    await queryRunner.query(`ALTER TABLE "event_import" ADD "lease_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "event_import_due_idx" ON "event_import"  ("status", "lease_until") WHERE status IN ('queued','running')`);
  }
}
