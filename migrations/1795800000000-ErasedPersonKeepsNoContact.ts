import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A person must be reachable (an address or a phone) until erased: the erased row keeps only
 * non-personal facts, so it has neither.
 */
export class ErasedPersonKeepsNoContact1795800000000 implements MigrationInterface {
  name = 'ErasedPersonKeepsNoContact1795800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "person" DROP CONSTRAINT "person_identifiable_check"`);
    await q.query(`ALTER TABLE "person" ADD CONSTRAINT "person_identifiable_check" CHECK (email IS NOT NULL OR phone IS NOT NULL OR erased_at IS NOT NULL)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "person" DROP CONSTRAINT "person_identifiable_check"`);
    await q.query(`ALTER TABLE "person" ADD CONSTRAINT "person_identifiable_check" CHECK (email IS NOT NULL OR phone IS NOT NULL)`);
  }
}
