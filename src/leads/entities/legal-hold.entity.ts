import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A legal hold (policy 8: data kept longer where the law requires it): a person, or a company
 * and its people, kept past their retention clocks until `until`, for a stated reason (a
 * dispute, a legal claim, an accounting duty). The sweep skips what it holds and reports it.
 */
@Entity('legal_hold')
@Check('legal_hold_one_subject', `(person_id IS NULL) <> (company_id IS NULL)`)
@Index('legal_hold_person_idx', ['personId'], { where: 'ended_at IS NULL' })
@Index('legal_hold_company_idx', ['companyId'], { where: 'ended_at IS NULL' })
export class LegalHold {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { nullable: true })
  personId: string | null;

  @Column('uuid', { nullable: true })
  companyId: string | null;

  /** The legal ground, written without naming the person (a dispute number, the accounting act). */
  @Column('text')
  reason: string;

  /** Held until then (the sweep on a later day removes what is due). */
  @Column('timestamptz')
  until: Date;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  /** Ended early by staff. */
  @Column('timestamptz', { nullable: true })
  endedAt: Date | null;

  @Column('uuid', { nullable: true })
  endedBy: string | null;
}
