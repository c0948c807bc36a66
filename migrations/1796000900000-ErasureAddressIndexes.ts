import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The eraser finds arrivals, mail and privacy requests by the addresses a person gave, folded
 * as `lower(trim(…))` (older rows kept the sender's spelling). Without these indexes each
 * sweep batch, and each erasure, read those tables whole.
 */
export class ErasureAddressIndexes1796000900000 implements MigrationInterface {
  name = 'ErasureAddressIndexes1796000900000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "intake_submission_sender_folded_idx" ON "intake_submission" (lower(trim(sender_email))) WHERE sender_email IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "intake_submission_field_email_idx" ON "intake_submission" (lower(trim(fields->>'email'))) WHERE fields->>'email' IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "mail_message_from_folded_idx" ON "mail_message" (lower(trim(from_address))) WHERE from_address IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "privacy_request_identifier_folded_idx" ON "privacy_request" (lower(trim(identifier))) WHERE identifier IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."privacy_request_identifier_folded_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_message_from_folded_idx"`);
    await queryRunner.query(`DROP INDEX "public"."intake_submission_field_email_idx"`);
    await queryRunner.query(`DROP INDEX "public"."intake_submission_sender_folded_idx"`);
  }
}
