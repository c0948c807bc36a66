import { Capture } from './capture.entity';
import { Person } from './person.entity';
import { JoinColumn, ManyToOne, Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ActorType } from '../../domain/actor';
import type { ConsentPurpose, IntakeSource } from '../../domain/purposes';

/**
 * The consent ledger, append-only: who granted or withdrew which purpose, when, through which
 * channel, under which policy version and wording. The current state is the latest event per
 * purpose. Only a merge may move an event to the surviving person (trigger in the migration).
 */
@Entity('consent_event')
@Check('consent_event_action_check', `action IN ('granted','withdrawn')`)
@Index('consent_event_person_idx', ['personId', 'purpose', 'id'])
export class ConsentEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('uuid')
  personId: string;

  @Column('text')
  purpose: ConsentPurpose;

  @Column('text')
  action: 'granted' | 'withdrawn';

  @Column('timestamptz', { default: () => 'now()' })
  occurredAt: Date;

  @Column('text')
  source: IntakeSource;

  @Column('uuid', { nullable: true })
  captureId: string | null;

  @Column('text')
  policyVersion: string;

  /** The exact words the person was shown. */
  @Column('text')
  wording: string;

  @Column('text')
  actorType: ActorType;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  // RESTRICT: consent proof never disappears with a person by accident; a merge moves it first.
  @ManyToOne(() => Person, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'person_id' })
  person?: Person;

  @ManyToOne(() => Capture, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'capture_id' })
  capture?: Capture | null;
}
