import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ActorType } from '../domain/actor';

/** Who received which person's data, when (policy 9.5: the firm must be able to tell recipients). */
@Entity('disclosure')
@Index('disclosure_person_idx', ['personId', 'occurredAt'])
export class Disclosure {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('timestamptz', { default: () => 'now()' })
  occurredAt: Date;

  /** `hubspot`, or `event_organiser:<event id>`. */
  @Column('text')
  recipient: string;

  /** What was sent: `contact_upsert`, `gdpr_delete`, `restriction`, `unsubscribe_all`, `attendee_list`. */
  @Column('text')
  kind: string;

  @Column('uuid', { nullable: true })
  personId: string | null;

  @Column('jsonb', { nullable: true })
  details: Record<string, unknown> | null;

  @Column('text')
  actorType: ActorType;

  @Column('uuid', { nullable: true })
  actorId: string | null;
}
