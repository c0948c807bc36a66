import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Attendees seen by whoever may see the person (the customer rule of CustomerAccess); the rest to any identified caller. */
const ATTACHED_TO_PERSON = (t: string) => `crm_sees_all_customers() OR EXISTS (SELECT 1 FROM person p WHERE p.id = ${t}.person_id)`;

/** Row-level security for the new tables: all of them hold personal data (attendees, organisers, uploaded lists). */
const POLICIES: Record<string, string> = {
  event: 'crm_is_identified()',
  event_registration: ATTACHED_TO_PERSON('event_registration'),
  event_import: 'crm_is_identified()',
  event_import_chunk: 'crm_is_identified()',
  event_import_rejection: 'crm_is_identified()',
};

/**
 * Events: the event and its organiser, registrations (one per event and person), and attendee
 * list imports with the stored file, their progress and the rows they rejected.
 */
export class Events1795400100000 implements MigrationInterface {
  name = 'Events1795400100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "event" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "date" date NOT NULL, "place" text NOT NULL, "organiser_name" text NOT NULL, "organiser_contact" text NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_event" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "event_date_idx" ON "event"  ("date", "id") `);
    await queryRunner.query(`CREATE TABLE "event_import" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "event_id" uuid NOT NULL, "status" text NOT NULL, "file_sha256" text NOT NULL, "file_bytes" integer NOT NULL, "format" text NOT NULL, "encoding" text, "delimiter" text, "columns" jsonb NOT NULL, "mapping" jsonb, "total_rows" integer, "processed_rows" integer NOT NULL DEFAULT '0', "done_through_line" integer NOT NULL DEFAULT '0', "analysis" jsonb, "outcome" jsonb, "attempts" integer NOT NULL DEFAULT '0', "lease_token" uuid, "lease_until" TIMESTAMP WITH TIME ZONE, "error" text, "created_by" uuid, "started_by" uuid, "request_id" text, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "file_deleted_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "event_import_format_check" CHECK (format IN ('csv','xlsx')), CONSTRAINT "event_import_status_check" CHECK (status IN ('analysed','queued','running','done','failed')), CONSTRAINT "PK_event_import" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "event_import_due_idx" ON "event_import"  ("status", "lease_until") WHERE status IN ('queued','running')`);
    await queryRunner.query(`CREATE UNIQUE INDEX "event_import_file_key" ON "event_import"  ("event_id", "file_sha256") `);
    await queryRunner.query(`CREATE TABLE "event_import_chunk" ("import_id" uuid NOT NULL, "seq" integer NOT NULL, "data" bytea NOT NULL, CONSTRAINT "PK_event_import_chunk" PRIMARY KEY ("import_id", "seq"))`);
    await queryRunner.query(`CREATE TABLE "event_import_rejection" ("import_id" uuid NOT NULL, "line" integer NOT NULL, "reason" text NOT NULL, "message" text NOT NULL, "values" jsonb, CONSTRAINT "PK_event_import_rejection" PRIMARY KEY ("import_id", "line"))`);
    await queryRunner.query(`CREATE TABLE "event_registration" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "event_id" uuid NOT NULL, "person_id" uuid NOT NULL, "capture_id" uuid, "import_id" uuid, "line" integer, "ticket_type" text, "order_ref" text, "attendee_ref" text, "registered_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_event_registration" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "event_registration_person_idx" ON "event_registration"  ("person_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "event_registration_key" ON "event_registration"  ("event_id", "person_id") `);
    await queryRunner.query(`ALTER TABLE "event_import" ADD CONSTRAINT "FK_a35527dbda9d06d651b48001655" FOREIGN KEY ("event_id") REFERENCES "event"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "event_import_chunk" ADD CONSTRAINT "FK_3d6cee183e03b85b25eda7d0eb2" FOREIGN KEY ("import_id") REFERENCES "event_import"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "event_import_rejection" ADD CONSTRAINT "FK_a8b801d5976f9328ae1c1452a68" FOREIGN KEY ("import_id") REFERENCES "event_import"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "event_registration" ADD CONSTRAINT "FK_d42836e8ed00e2586af913934a6" FOREIGN KEY ("event_id") REFERENCES "event"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "event_registration" ADD CONSTRAINT "FK_6fee8ae986b021ad9b4d5a17bcf" FOREIGN KEY ("person_id") REFERENCES "person"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "event_registration" ADD CONSTRAINT "FK_edc1b8ca45ca3f73ecc1e687dec" FOREIGN KEY ("capture_id") REFERENCES "capture"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);

    // The service role gets its privileges from CustomerAccess's default privileges; what it may see is decided here.
    for (const [table, visible] of Object.entries(POLICIES)) {
      await queryRunner.query(`ALTER TABLE "${table}" ENABLE ROW LEVEL SECURITY`);
      await queryRunner.query(`CREATE POLICY "${table}_customer_access" ON "${table}" USING (${visible}) WITH CHECK (crm_is_identified())`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of Object.keys(POLICIES)) {
      await queryRunner.query(`DROP POLICY "${table}_customer_access" ON "${table}"`);
      await queryRunner.query(`ALTER TABLE "${table}" DISABLE ROW LEVEL SECURITY`);
    }
    await queryRunner.query(`ALTER TABLE "event_registration" DROP CONSTRAINT "FK_edc1b8ca45ca3f73ecc1e687dec"`);
    await queryRunner.query(`ALTER TABLE "event_registration" DROP CONSTRAINT "FK_6fee8ae986b021ad9b4d5a17bcf"`);
    await queryRunner.query(`ALTER TABLE "event_registration" DROP CONSTRAINT "FK_d42836e8ed00e2586af913934a6"`);
    await queryRunner.query(`ALTER TABLE "event_import_rejection" DROP CONSTRAINT "FK_a8b801d5976f9328ae1c1452a68"`);
    await queryRunner.query(`ALTER TABLE "event_import_chunk" DROP CONSTRAINT "FK_3d6cee183e03b85b25eda7d0eb2"`);
    await queryRunner.query(`ALTER TABLE "event_import" DROP CONSTRAINT "FK_a35527dbda9d06d651b48001655"`);
    await queryRunner.query(`DROP INDEX "public"."event_registration_key"`);
    await queryRunner.query(`DROP INDEX "public"."event_registration_person_idx"`);
    await queryRunner.query(`DROP TABLE "event_registration"`);
    await queryRunner.query(`DROP TABLE "event_import_rejection"`);
    await queryRunner.query(`DROP TABLE "event_import_chunk"`);
    await queryRunner.query(`DROP INDEX "public"."event_import_file_key"`);
    await queryRunner.query(`DROP INDEX "public"."event_import_due_idx"`);
    await queryRunner.query(`DROP TABLE "event_import"`);
    await queryRunner.query(`DROP INDEX "public"."event_date_idx"`);
    await queryRunner.query(`DROP TABLE "event"`);
  }
}
