import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

import type { OutboxKind } from '../../domain/hubspot-sync';

/**
 * Something HubSpot should learn, written in the same transaction as the change. No foreign
 * key: an erased person's purge must still go out after the person is gone.
 */
@Entity('hubspot_outbox')
@Check('hubspot_outbox_kind_check', `kind IN ('upsert','purge','unsubscribe')`)
// Claims walk waiting rows in id order (oldest first) and stop at the batch size.
@Index('hubspot_outbox_due_idx', ['id'], { where: 'done_at IS NULL' })
@Index('hubspot_outbox_person_idx', ['personId'])
export class HubspotOutboxEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('uuid')
  personId: string;

  @Column('text')
  kind: OutboxKind;

  /** For a purge or an unsubscribe: the address, kept only until HubSpot has it. */
  @Column('text', { nullable: true })
  email: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  /** Not before: retries back off. */
  @Column('timestamptz', { default: () => 'now()' })
  availableAt: Date;

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('text', { nullable: true })
  lastError: string | null;

  @Column('timestamptz', { nullable: true })
  doneAt: Date | null;
}
