import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The exact text each web form's consent checkbox shows, for the consent ledger (what the person
 * agreed to is what they read, not the policy's standard wording), and its version, counted up
 * whenever a text changes (each change is also in the audit log with before and after).
 */
export class FormConsentTexts1795500200000 implements MigrationInterface {
  name = 'FormConsentTexts1795500200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "intake_form" ADD "consent_texts" jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "intake_form" ADD "consent_texts_version" integer NOT NULL DEFAULT 1`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "intake_form" DROP COLUMN "consent_texts_version"`);
    await q.query(`ALTER TABLE "intake_form" DROP COLUMN "consent_texts"`);
  }
}
