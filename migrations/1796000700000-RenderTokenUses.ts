import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A render token is single-use (issue 16, item 1): each one used by a post of its form is kept,
 * as a hash, for the 24 hours a token lives, so a token replayed with other content is held.
 * Read and written by the intake itself (the system identity), like the post keys; no foreign
 * key to the form, for the same reason.
 */
export class RenderTokenUses1796000700000 implements MigrationInterface {
  name = 'RenderTokenUses1796000700000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "render_token_use" (
      "form_key" text NOT NULL,
      "token_hash" bytea NOT NULL,
      "used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_render_token_use" PRIMARY KEY ("form_key", "token_hash"))`);
    await q.query(`CREATE INDEX "render_token_use_used_idx" ON "render_token_use" ("used_at")`);
    await q.query(`ALTER TABLE "render_token_use" ENABLE ROW LEVEL SECURITY`);
    await q.query(`CREATE POLICY "render_token_use_intake_only" ON "render_token_use" USING (current_setting('crm.identity', true) = 'system') WITH CHECK (current_setting('crm.identity', true) = 'system')`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "render_token_use"`);
  }
}
