import { Check, Column, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const ASSIGNMENT_MODES = ['nobody', 'fixed', 'round_robin', 'least_busy'] as const;
export type AssignmentMode = (typeof ASSIGNMENT_MODES)[number];

/**
 * How a new lead from one form, or one channel, gets its owner (the EspoCRM model): nobody, a
 * fixed person, round-robin or the least busy among active sales users. A form's rule wins over
 * its channel's. Applied in the capture's own transaction.
 */
@Entity('assignment_rule')
@Check('assignment_rule_one_scope', `(form_id IS NULL) <> (channel IS NULL)`)
@Check('assignment_rule_mode_check', `mode IN ('nobody','fixed','round_robin','least_busy')`)
@Index('assignment_rule_form_key', ['formId'], { unique: true, where: 'form_id IS NOT NULL' })
@Index('assignment_rule_channel_key', ['channel'], { unique: true, where: 'channel IS NOT NULL' })
export class AssignmentRule {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { nullable: true })
  formId: string | null;

  @Column('text', { nullable: true })
  channel: string | null;

  @Column('text')
  mode: AssignmentMode;

  /** The sales users it chooses among, in order (one for `fixed`). */
  @Column('uuid', { array: true, default: () => `'{}'` })
  userIds: string[];

  /** Round-robin: the next position, moved on in the capture's transaction. */
  @Column('integer', { default: 0 })
  nextIndex: number;

  @Column('uuid', { nullable: true })
  updatedBy: string | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
