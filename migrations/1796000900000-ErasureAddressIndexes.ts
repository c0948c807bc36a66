import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The eraser finds arrivals, mail and privacy requests by the addresses a person gave. Without an
 * index it could use, each sweep batch and each erasure read those tables whole.
 * - Arrivals: their sender is stored folded from now on (lower case, trimmed), so the sender index
 *   serves the lookup; the senders stored before are folded here. (Not undone by `down`: the
 *   spelling a sender typed is kept in the arrival's fields.)
 * - Mail and privacy requests keep the spelling they came with, so they are indexed folded.
 */
export class ErasureAddressIndexes1796000900000 implements MigrationInterface {
  name = 'ErasureAddressIndexes1796000900000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "intake_submission" SET "sender_email" = lower(trim("sender_email")) WHERE "sender_email" <> lower(trim("sender_email"))`);
    await queryRunner.query(`CREATE INDEX "mail_message_from_folded_idx" ON "mail_message" (lower(trim(from_address))) WHERE from_address IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "privacy_request_identifier_folded_idx" ON "privacy_request" (lower(trim(identifier))) WHERE identifier IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."privacy_request_identifier_folded_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_message_from_folded_idx"`);
  }
}
