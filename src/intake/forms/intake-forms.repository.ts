import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { IntakeForm } from './entities/intake-form.entity';

@Injectable()
export class IntakeFormsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** A live form with its signing secret, for a submission. */
  findLiveByKey(key: string): Promise<IntakeForm | null> {
    return this.dataSource.getRepository(IntakeForm).createQueryBuilder('f').addSelect('f.signingSecret').where('f.key = :key AND f.archivedAt IS NULL', { key }).getOne();
  }

  findById(id: string, tx: EntityManager = this.dataSource.manager): Promise<IntakeForm | null> {
    return tx.findOne(IntakeForm, { where: { id } });
  }

  list(): Promise<IntakeForm[]> {
    return this.dataSource.getRepository(IntakeForm).find({ order: { key: 'ASC' } });
  }

  /** Inserts, or returns null when the key is taken. */
  async insert(tx: EntityManager, form: Omit<IntakeForm, 'id' | 'createdAt' | 'updatedAt' | 'archivedAt'>): Promise<IntakeForm | null> {
    const result = await tx.createQueryBuilder().insert().into(IntakeForm).values(form as never).orIgnore().returning('id').execute();
    const id = (result.raw as { id: string }[])[0]?.id;
    return id ? this.findById(id, tx) : null;
  }

  async update(tx: EntityManager, id: string, changes: Partial<IntakeForm>): Promise<void> {
    await tx.update(IntakeForm, { id }, changes as never);
  }

  /**
   * Claims a post's key for this arrival, or answers the arrival that claimed it first (within 24
   * hours). A claim whose arrival was never stored or never settled (the post failed after
   * claiming) is taken over after a minute, so a retry of a failed post is taken, not answered
   * with a reference that came to nothing.
   */
  async claimPostKey(formId: string, keyHash: Buffer, submissionId: string): Promise<{ claimed: true } | { claimed: false; first: string }> {
    const [row] = (await this.dataSource.query(
      `WITH claimed AS (
         INSERT INTO intake_post_key (form_id, key_hash, submission_id) VALUES ($1, $2, $3)
         ON CONFLICT (form_id, key_hash) DO UPDATE SET submission_id = EXCLUDED.submission_id, claimed_at = now()
          WHERE intake_post_key.claimed_at < now() - interval '24 hours'
             OR (intake_post_key.claimed_at < now() - interval '1 minute' AND NOT EXISTS (SELECT 1 FROM intake_submission s WHERE s.id = intake_post_key.submission_id AND s.status <> 'received'))
         RETURNING submission_id)
       SELECT (SELECT submission_id FROM claimed) AS claimed, (SELECT submission_id FROM intake_post_key WHERE form_id = $1 AND key_hash = $2) AS first`,
      [formId, keyHash, submissionId],
    )) as { claimed: string | null; first: string | null }[];
    return row?.claimed ? { claimed: true } : { claimed: false, first: row!.first! };
  }

  /** Gives a claim back (the post was refused), so a corrected post with the same key is taken. */
  async releasePostKey(formId: string, keyHash: Buffer, submissionId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM intake_post_key WHERE form_id = $1 AND key_hash = $2 AND submission_id = $3`, [formId, keyHash, submissionId]);
  }

  /** Keys older than the 24 hours they protect. */
  async purgePostKeys(): Promise<number> {
    const [, count] = (await this.dataSource.query(`DELETE FROM intake_post_key WHERE claimed_at < now() - interval '24 hours'`)) as [unknown, number];
    return count;
  }
}
