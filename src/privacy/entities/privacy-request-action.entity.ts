import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Every step taken on a request, in order: who did what, when. */
@Entity('privacy_request_action')
@Index('privacy_request_action_request_idx', ['requestId', 'id'])
export class PrivacyRequestAction {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('uuid')
  requestId: string;

  @Column('text')
  action: string;

  /** Facts about the step (counts, types, reasons), never the person's values. */
  @Column('jsonb', { default: () => `'{}'` })
  details: Record<string, unknown>;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  at: Date;
}
