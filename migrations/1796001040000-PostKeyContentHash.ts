import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A web-form post's key remembers a hash of what its first post sent, so an Idempotency-Key
 * reused with other content is refused (422) instead of answered with the first reference while
 * the second content is dropped unseen. A SHA-256 of the fields, like the key itself when no
 * header is given: nothing of the post is readable from it. Keys claimed before this have none
 * and are taken as the same post (they are gone within 24 hours).
 */
export class PostKeyContentHash1796001040000 implements MigrationInterface {
  name = 'PostKeyContentHash1796001040000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "intake_post_key" ADD "content_hash" bytea`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "intake_post_key" DROP COLUMN "content_hash"`);
  }
}
