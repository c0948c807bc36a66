import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Screening: every public arrival kept first, rules, sender block and allow lists, the review log, and each form's bot traps. */
export class Screening1795328154411 implements MigrationInterface {
  name = 'Screening1795328154411';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "intake_submission" ("id" uuid NOT NULL, "channel" text NOT NULL, "form_id" uuid, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "content_type" text, "raw_body" text, "fields" jsonb NOT NULL, "ip" inet, "sender_email" text, "text_fingerprint" text, "status" text NOT NULL DEFAULT 'received', "verdict" jsonb, "decided_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "intake_submission_status_check" CHECK (status IN ('received','accepted','held','blocked','released','spam')), CONSTRAINT "PK_88576acda37f72d11560fbca179" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "intake_submission_fingerprint_idx" ON "intake_submission"  ("text_fingerprint", "received_at") `);
    await queryRunner.query(`CREATE INDEX "intake_submission_sender_idx" ON "intake_submission"  ("sender_email", "received_at") `);
    await queryRunner.query(`CREATE INDEX "intake_submission_ip_idx" ON "intake_submission"  ("ip", "received_at") `);
    await queryRunner.query(`CREATE INDEX "intake_submission_review_idx" ON "intake_submission"  ("status", "received_at") `);
    await queryRunner.query(`CREATE TABLE "review_decision" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "submission_id" uuid NOT NULL, "from_status" text NOT NULL, "to_status" text NOT NULL, "comment" text, "decided_by" uuid NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_64e856d49c6dc05ed774dbb218e" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "review_decision_submission_idx" ON "review_decision"  ("submission_id") `);
    await queryRunner.query(`CREATE TABLE "screening_rule" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" text NOT NULL, "pattern" text NOT NULL, "tag" text NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "screening_rule_tag_check" CHECK (tag IN ('spam','misleading')), CONSTRAINT "screening_rule_kind_check" CHECK (kind IN ('word','phrase','regex')), CONSTRAINT "PK_4267b2ebb6084ce27fb8dfd593c" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "sender_list_entry" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "list" text NOT NULL, "type" text NOT NULL, "value" text NOT NULL, "tag" text, "reason" text, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "sender_list_entry_tag_check" CHECK (tag IS NULL OR tag IN ('spam','swindler')), CONSTRAINT "sender_list_entry_type_check" CHECK (type IN ('email','email_domain','ip','cidr','phone','skype')), CONSTRAINT "sender_list_entry_list_check" CHECK (list IN ('block','allow')), CONSTRAINT "PK_c6cfcafdbe8c74e9e68c31352c1" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "sender_list_entry_key" ON "sender_list_entry"  ("list", "type", "value") `);
    await queryRunner.query(`ALTER TABLE "intake_form" ADD "honeypot_field" text`);
    await queryRunner.query(`ALTER TABLE "intake_form" ADD "min_fill_seconds" integer`);
    // A starting rule set (English and Norwegian): staff keep it through the rule API.
    await queryRunner.query(`INSERT INTO "screening_rule" ("kind", "pattern", "tag") VALUES
        ('phrase', $$first page of google$$, 'spam'),
        ('phrase', $$1st page of google$$, 'spam'),
        ('phrase', $$page 1 of google$$, 'spam'),
        ('phrase', $$top of google$$, 'spam'),
        ('phrase', $$rank your website$$, 'spam'),
        ('phrase', $$ranking on google$$, 'spam'),
        ('phrase', $$google ranking$$, 'spam'),
        ('phrase', $$boost your ranking$$, 'spam'),
        ('word', $$backlinks$$, 'spam'),
        ('word', $$backlink$$, 'spam'),
        ('phrase', $$guest post$$, 'spam'),
        ('phrase', $$guest posting$$, 'spam'),
        ('phrase', $$guest posts$$, 'spam'),
        ('phrase', $$domain authority$$, 'spam'),
        ('word', $$dofollow$$, 'spam'),
        ('word', $$do-follow$$, 'spam'),
        ('phrase', $$link building$$, 'spam'),
        ('phrase', $$increase your traffic$$, 'spam'),
        ('phrase', $$increase your website traffic$$, 'spam'),
        ('phrase', $$organic traffic$$, 'spam'),
        ('phrase', $$i noticed your website$$, 'spam'),
        ('phrase', $$i was checking your website$$, 'spam'),
        ('phrase', $$i came across your website$$, 'spam'),
        ('phrase', $$your website is not ranking$$, 'spam'),
        ('phrase', $$seo services$$, 'spam'),
        ('phrase', $$white hat seo$$, 'spam'),
        ('phrase', $$redesign your website$$, 'spam'),
        ('phrase', $$we are a web design company$$, 'spam'),
        ('phrase', $$double your bitcoin$$, 'spam'),
        ('phrase', $$double your money$$, 'spam'),
        ('phrase', $$crypto investment$$, 'spam'),
        ('phrase', $$investment platform$$, 'spam'),
        ('phrase', $$trading bot$$, 'spam'),
        ('phrase', $$guaranteed returns$$, 'spam'),
        ('phrase', $$guaranteed profit$$, 'spam'),
        ('phrase', $$passive income$$, 'spam'),
        ('word', $$airdrop$$, 'spam'),
        ('phrase', $$claim your tokens$$, 'spam'),
        ('word', $$forex$$, 'spam'),
        ('phrase', $$binary options$$, 'spam'),
        ('word', $$sexy$$, 'spam'),
        ('phrase', $$dating site$$, 'spam'),
        ('phrase', $$hot singles$$, 'spam'),
        ('phrase', $$single women$$, 'spam'),
        ('word', $$escort$$, 'spam'),
        ('word', $$escorts$$, 'spam'),
        ('word', $$xxx$$, 'spam'),
        ('word', $$porn$$, 'spam'),
        ('word', $$nude$$, 'spam'),
        ('phrase', $$webcam girls$$, 'spam'),
        ('word', $$hookup$$, 'spam'),
        ('word', $$viagra$$, 'spam'),
        ('word', $$cialis$$, 'spam'),
        ('word', $$levitra$$, 'spam'),
        ('phrase', $$without prescription$$, 'spam'),
        ('phrase', $$cheap pills$$, 'spam'),
        ('phrase', $$online pharmacy$$, 'spam'),
        ('phrase', $$weight loss pills$$, 'spam'),
        ('phrase', $$instant loan$$, 'spam'),
        ('phrase', $$payday loan$$, 'spam'),
        ('phrase', $$loan offer$$, 'spam'),
        ('phrase', $$credit repair$$, 'spam'),
        ('phrase', $$bad credit$$, 'spam'),
        ('word', $$lånetilbud$$, 'spam'),
        ('word', $$forbrukslån$$, 'spam'),
        ('word', $$hurtiglån$$, 'spam'),
        ('phrase', $$lån uten sikkerhet$$, 'spam'),
        ('phrase', $$email list$$, 'spam'),
        ('phrase', $$email lists$$, 'spam'),
        ('phrase', $$email database$$, 'spam'),
        ('phrase', $$b2b leads$$, 'spam'),
        ('phrase', $$verified leads$$, 'spam'),
        ('phrase', $$decision makers list$$, 'spam'),
        ('phrase', $$appointment setting$$, 'spam'),
        ('phrase', $$lead generation services$$, 'spam'),
        ('phrase', $$casino bonus$$, 'spam'),
        ('phrase', $$free spins$$, 'spam'),
        ('phrase', $$unsubscribe here$$, 'spam'),
        ('phrase', $$overdue invoice$$, 'misleading'),
        ('phrase', $$invoice is overdue$$, 'misleading'),
        ('phrase', $$payment is overdue$$, 'misleading'),
        ('phrase', $$final notice$$, 'misleading'),
        ('phrase', $$avoid suspension$$, 'misleading'),
        ('phrase', $$your account will be suspended$$, 'misleading'),
        ('phrase', $$account suspended$$, 'misleading'),
        ('phrase', $$verify your account$$, 'misleading'),
        ('phrase', $$confirm your account$$, 'misleading'),
        ('phrase', $$gift cards$$, 'misleading'),
        ('phrase', $$gift card$$, 'misleading'),
        ('phrase', $$itunes cards$$, 'misleading'),
        ('phrase', $$urgent wire$$, 'misleading'),
        ('phrase', $$wire transfer urgently$$, 'misleading'),
        ('phrase', $$domain will expire$$, 'misleading'),
        ('phrase', $$domain expiration notice$$, 'misleading'),
        ('phrase', $$password expires$$, 'misleading'),
        ('phrase', $$unusual sign-in activity$$, 'misleading'),
        ('phrase', $$click here to pay$$, 'misleading'),
        ('phrase', $$faktura forfalt$$, 'misleading'),
        ('phrase', $$forfalt faktura$$, 'misleading'),
        ('word', $$inkasso$$, 'misleading'),
        ('phrase', $$betal nå$$, 'misleading'),
        ('phrase', $$bekreft kontoen$$, 'misleading'),
        ('phrase', $$bankid utløper$$, 'misleading'),
        ('word', $$tollgebyr$$, 'misleading'),
        ('phrase', $$du har vunnet$$, 'misleading'),
        ('phrase', $$you have won$$, 'misleading'),
        ('phrase', $$you won$$, 'misleading'),
        ('phrase', $$congratulations you$$, 'misleading'),
        ('word', $$lottery$$, 'misleading'),
        ('word', $$inheritance$$, 'misleading'),
        ('word', $$beneficiary$$, 'misleading'),
        ('phrase', $$miracle cure$$, 'misleading'),
        ('phrase', $$get rich quick$$, 'misleading'),
        ('word', $$risk-free$$, 'misleading'),
        ('phrase', $$100% free$$, 'misleading'),
        ('phrase', $$act now$$, 'misleading'),
        ('phrase', $$limited time offer$$, 'misleading'),
        ('phrase', $$earn money from home$$, 'misleading'),
        ('phrase', $$make money online$$, 'misleading'),
        ('phrase', $$no experience needed$$, 'misleading'),
        ('regex', $$\\b\\d{2,4}\\s?% (daily|weekly|monthly) (return|profit|roi)$$, 'misleading'),
        ('regex', $$\\bda\\s?\\d{2}\\+?$$, 'spam')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "intake_form" DROP COLUMN "min_fill_seconds"`);
    await queryRunner.query(`ALTER TABLE "intake_form" DROP COLUMN "honeypot_field"`);
    await queryRunner.query(`DROP INDEX "public"."sender_list_entry_key"`);
    await queryRunner.query(`DROP TABLE "sender_list_entry"`);
    await queryRunner.query(`DROP TABLE "screening_rule"`);
    await queryRunner.query(`DROP INDEX "public"."review_decision_submission_idx"`);
    await queryRunner.query(`DROP TABLE "review_decision"`);
    await queryRunner.query(`DROP INDEX "public"."intake_submission_review_idx"`);
    await queryRunner.query(`DROP INDEX "public"."intake_submission_ip_idx"`);
    await queryRunner.query(`DROP INDEX "public"."intake_submission_sender_idx"`);
    await queryRunner.query(`DROP INDEX "public"."intake_submission_fingerprint_idx"`);
    await queryRunner.query(`DROP TABLE "intake_submission"`);
  }
}
