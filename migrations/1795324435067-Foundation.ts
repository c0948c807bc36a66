import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Staff accounts, machine-client API keys, the append-only audit log, and login rate-limit counters. */
export class Foundation1795324435067 implements MigrationInterface {
  name = 'Foundation1795324435067';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "staff_user" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "email" text NOT NULL,
      "name" text NOT NULL,
      "password_hash" text NOT NULL,
      "roles" text array NOT NULL,
      "deactivated_at" TIMESTAMP WITH TIME ZONE,
      "last_login_at" TIMESTAMP WITH TIME ZONE,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_cec9365d9fc3a3409158b645f2e" PRIMARY KEY ("id"),
      CONSTRAINT "staff_user_roles_check" CHECK (roles <@ ARRAY['admin','dpo','sales','account_manager','event_staff']::text[] AND cardinality(roles) > 0)
    )`);
    await q.query(`CREATE UNIQUE INDEX "staff_user_email_key" ON "staff_user" ("email")`);

    await q.query(`CREATE TABLE "api_key" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "name" text NOT NULL,
      "channel" text NOT NULL,
      "prefix" text NOT NULL,
      "secret_hash" text NOT NULL,
      "created_by" uuid,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "revoked_at" TIMESTAMP WITH TIME ZONE,
      "last_used_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_b1bd840641b8acbaad89c3d8d11" PRIMARY KEY ("id")
    )`);
    await q.query(`CREATE UNIQUE INDEX "api_key_prefix_key" ON "api_key" ("prefix")`);

    await q.query(`CREATE TABLE "audit_log" (
      "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
      "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "actor_type" text NOT NULL,
      "actor_id" uuid,
      "action" text NOT NULL,
      "entity_type" text NOT NULL,
      "entity_id" text,
      "changes" jsonb,
      "request_id" text,
      "ip" inet,
      CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id")
    )`);
    await q.query(`CREATE INDEX "audit_log_occurred_at_idx" ON "audit_log" ("occurred_at")`);
    await q.query(`CREATE INDEX "audit_log_actor_idx" ON "audit_log" ("actor_id", "id")`);
    await q.query(`CREATE INDEX "audit_log_entity_idx" ON "audit_log" ("entity_type", "entity_id", "id")`);
    // Append-only for every role, the table owner included: a trigger, not only a grant.
    await q.query(`CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`);

    // Counters of rate-limiter-flexible's PostgreSQL store (failed logins), shared by every instance.
    await q.query(`CREATE TABLE "rate_limit" ("key" varchar(255) PRIMARY KEY, "points" integer NOT NULL DEFAULT 0, "expire" bigint)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "rate_limit"`);
    await q.query(`DROP TABLE "audit_log"`);
    await q.query(`DROP FUNCTION audit_log_refuse_change()`);
    await q.query(`DROP TABLE "api_key"`);
    await q.query(`DROP TABLE "staff_user"`);
  }
}
