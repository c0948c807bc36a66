import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The review log: a person's decision about a held submission (no automated decisions). */
@Entity('review_decision')
@Index('review_decision_submission_idx', ['submissionId'])
export class ReviewDecision {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('uuid')
  submissionId: string;

  @Column('text')
  fromStatus: string;

  @Column('text')
  toStatus: string;

  @Column('text', { nullable: true })
  comment: string | null;

  @Column('uuid')
  decidedBy: string;

  @Column('timestamptz', { default: () => 'now()' })
  decidedAt: Date;
}
