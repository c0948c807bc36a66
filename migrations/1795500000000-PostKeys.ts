import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A web-form post's key (its Idempotency-Key header, or a hash of what it sent) per form, for
 * 24 hours: a retried post (a double click, a relay's retry after a lost answer) gets the first
 * post's reference and stores nothing new. Holds a hash only, never the post; read and written
 * by the intake itself (the system identity), no one else. No foreign key to the form, as for
 * the arrivals: every post would take a share lock on its one form row, and concurrent posts to
 * one form would queue on it (a third of the intake rate, measured); a key outlives its form by a
 * day at most (the nightly purge).
 */
export class PostKeys1795500000000 implements MigrationInterface {
  name = 'PostKeys1795500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "intake_post_key" (
      "form_id" uuid NOT NULL,
      "key_hash" bytea NOT NULL,
      "submission_id" uuid NOT NULL,
      "claimed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_intake_post_key" PRIMARY KEY ("form_id", "key_hash"))`);
    await q.query(`CREATE INDEX "intake_post_key_claimed_idx" ON "intake_post_key" ("claimed_at")`);
    await q.query(`ALTER TABLE "intake_post_key" ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY "intake_post_key_intake_only" ON "intake_post_key" USING (current_setting('crm.identity', true) = 'system') WITH CHECK (current_setting('crm.identity', true) = 'system')`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "intake_post_key"`);
  }
}
