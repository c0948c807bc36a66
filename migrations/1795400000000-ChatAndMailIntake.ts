import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A row that became a capture or a timeline entry is seen by whoever sees that (the customer rule
 * of CustomerAccess, through the person); one that is neither yet (a chat message whose contact
 * is not identified, a held mail) by any identified caller, as a held web-form submission is.
 */
const FOLLOWS_ITS_RECORD = (t: string, unclaimed: boolean) =>
  `crm_sees_all_customers()${unclaimed ? ` OR (${t}.capture_id IS NULL AND ${t}.activity_id IS NULL AND crm_is_identified())` : ''}` +
  ` OR EXISTS (SELECT 1 FROM capture c WHERE c.id = ${t}.capture_id) OR EXISTS (SELECT 1 FROM activity a WHERE a.id = ${t}.activity_id)`;

/** All three tables hold personal data (chat messages, mail, attached files). */
const POLICIES: Record<string, string> = {
  chat_event: FOLLOWS_ITS_RECORD('chat_event', true),
  mail_message: FOLLOWS_ITS_RECORD('mail_message', true),
  mail_attachment: FOLLOWS_ITS_RECORD('mail_attachment', false),
};

/**
 * Chatbot (Drift) and mail intake: every webhook event and every mail taken in, each unique by
 * its own key (Drift's event, the Message-ID) so a redelivery changes nothing, and the files
 * that came with mail.
 */
export class ChatAndMailIntake1795400000000 implements MigrationInterface {
  name = 'ChatAndMailIntake1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "chat_event" ("id" uuid NOT NULL, "event_key" text NOT NULL, "type" text NOT NULL, "org_id" text NOT NULL, "contact_id" text, "conversation_id" text, "message_id" text, "author_type" text, "message_type" text, "body" text, "sent_at" TIMESTAMP WITH TIME ZONE, "status" text NOT NULL, "capture_id" uuid, "activity_id" uuid, "submission_id" uuid, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chat_event_status_check" CHECK (status IN ('captured','attached','pending','held','blocked')), CONSTRAINT "chat_event_type_check" CHECK (type IN ('contact_identified','new_message')), CONSTRAINT "PK_chat_event" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "chat_event_key" ON "chat_event"  ("event_key") `);
    await queryRunner.query(`CREATE INDEX "chat_event_submission_idx" ON "chat_event"  ("submission_id") `);
    await queryRunner.query(`CREATE INDEX "chat_event_activity_idx" ON "chat_event"  ("activity_id") `);
    await queryRunner.query(`CREATE INDEX "chat_event_capture_idx" ON "chat_event"  ("capture_id") `);
    await queryRunner.query(`CREATE INDEX "chat_event_conversation_idx" ON "chat_event"  ("org_id", "conversation_id") `);
    await queryRunner.query(`CREATE INDEX "chat_event_contact_idx" ON "chat_event"  ("org_id", "contact_id") `);
    await queryRunner.query(`CREATE TABLE "mail_message" ("id" uuid NOT NULL, "message_id" text NOT NULL, "via" text NOT NULL, "status" text NOT NULL, "skip_reason" text, "from_address" text, "subject" text, "raw" bytea, "capture_id" uuid, "activity_id" uuid, "submission_id" uuid, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "mail_message_via_check" CHECK (via IN ('api','imap')), CONSTRAINT "mail_message_status_check" CHECK (status IN ('captured','reply','held','blocked','skipped')), CONSTRAINT "PK_mail_message" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "mail_message_message_id_key" ON "mail_message"  ("message_id") `);
    await queryRunner.query(`CREATE INDEX "mail_message_submission_idx" ON "mail_message"  ("submission_id") `);
    await queryRunner.query(`CREATE INDEX "mail_message_activity_idx" ON "mail_message"  ("activity_id") `);
    await queryRunner.query(`CREATE INDEX "mail_message_capture_idx" ON "mail_message"  ("capture_id") `);
    await queryRunner.query(`CREATE TABLE "mail_attachment" ("id" uuid NOT NULL, "mail_message_id" uuid NOT NULL, "capture_id" uuid, "activity_id" uuid, "filename" text, "content_type" text NOT NULL, "size" integer NOT NULL, "sha256" text NOT NULL, "inline" boolean NOT NULL DEFAULT false, "content" bytea, "skipped_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "mail_attachment_owner_check" CHECK (num_nonnulls(capture_id, activity_id) = 1), CONSTRAINT "PK_mail_attachment" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "mail_attachment_message_idx" ON "mail_attachment"  ("mail_message_id") `);
    await queryRunner.query(`CREATE INDEX "mail_attachment_activity_idx" ON "mail_attachment"  ("activity_id") `);
    await queryRunner.query(`CREATE INDEX "mail_attachment_capture_idx" ON "mail_attachment"  ("capture_id") `);
    // Through the capture or timeline entry each became, a chat, mail or file follows its person
    // through a merge and goes when that record goes (retention, erasure). A held or blocked
    // arrival's row goes with the screened arrival when the quarantine purge deletes that.
    await queryRunner.query(`ALTER TABLE "chat_event" ADD CONSTRAINT "FK_cc946f7079c0a2c6e69df8c34bd" FOREIGN KEY ("capture_id") REFERENCES "capture"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "chat_event" ADD CONSTRAINT "FK_b7fb7b82f0a9bcc5af5a7852a4f" FOREIGN KEY ("activity_id") REFERENCES "activity"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "chat_event" ADD CONSTRAINT "FK_081c3da6d7a2c1eccc56c5c1f2b" FOREIGN KEY ("submission_id") REFERENCES "intake_submission"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mail_message" ADD CONSTRAINT "FK_08b074ca99b57519237d889509d" FOREIGN KEY ("capture_id") REFERENCES "capture"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mail_message" ADD CONSTRAINT "FK_e0c2b55617378d17dbf6eec5fb9" FOREIGN KEY ("activity_id") REFERENCES "activity"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mail_message" ADD CONSTRAINT "FK_52462d07e2239596f9138dca3a0" FOREIGN KEY ("submission_id") REFERENCES "intake_submission"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mail_attachment" ADD CONSTRAINT "FK_a8c498c55a44924c30717af85ad" FOREIGN KEY ("mail_message_id") REFERENCES "mail_message"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mail_attachment" ADD CONSTRAINT "FK_01ab52eb73e1053a37d45798f29" FOREIGN KEY ("capture_id") REFERENCES "capture"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mail_attachment" ADD CONSTRAINT "FK_82ee32280f08c6460aae2567c2b" FOREIGN KEY ("activity_id") REFERENCES "activity"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);

    // crm_app reaches these tables through CustomerAccess's default privileges, and their rows through these policies.
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
    await queryRunner.query(`ALTER TABLE "mail_attachment" DROP CONSTRAINT "FK_82ee32280f08c6460aae2567c2b"`);
    await queryRunner.query(`ALTER TABLE "mail_attachment" DROP CONSTRAINT "FK_01ab52eb73e1053a37d45798f29"`);
    await queryRunner.query(`ALTER TABLE "mail_attachment" DROP CONSTRAINT "FK_a8c498c55a44924c30717af85ad"`);
    await queryRunner.query(`ALTER TABLE "mail_message" DROP CONSTRAINT "FK_52462d07e2239596f9138dca3a0"`);
    await queryRunner.query(`ALTER TABLE "mail_message" DROP CONSTRAINT "FK_e0c2b55617378d17dbf6eec5fb9"`);
    await queryRunner.query(`ALTER TABLE "mail_message" DROP CONSTRAINT "FK_08b074ca99b57519237d889509d"`);
    await queryRunner.query(`ALTER TABLE "chat_event" DROP CONSTRAINT "FK_081c3da6d7a2c1eccc56c5c1f2b"`);
    await queryRunner.query(`ALTER TABLE "chat_event" DROP CONSTRAINT "FK_b7fb7b82f0a9bcc5af5a7852a4f"`);
    await queryRunner.query(`ALTER TABLE "chat_event" DROP CONSTRAINT "FK_cc946f7079c0a2c6e69df8c34bd"`);
    await queryRunner.query(`DROP INDEX "public"."mail_attachment_capture_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_attachment_activity_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_attachment_message_idx"`);
    await queryRunner.query(`DROP TABLE "mail_attachment"`);
    await queryRunner.query(`DROP INDEX "public"."mail_message_capture_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_message_activity_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_message_submission_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_message_message_id_key"`);
    await queryRunner.query(`DROP TABLE "mail_message"`);
    await queryRunner.query(`DROP INDEX "public"."chat_event_contact_idx"`);
    await queryRunner.query(`DROP INDEX "public"."chat_event_conversation_idx"`);
    await queryRunner.query(`DROP INDEX "public"."chat_event_capture_idx"`);
    await queryRunner.query(`DROP INDEX "public"."chat_event_activity_idx"`);
    await queryRunner.query(`DROP INDEX "public"."chat_event_submission_idx"`);
    await queryRunner.query(`DROP INDEX "public"."chat_event_key"`);
    await queryRunner.query(`DROP TABLE "chat_event"`);
  }
}
