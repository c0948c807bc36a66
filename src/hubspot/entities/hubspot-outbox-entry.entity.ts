import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

import type { OutboxKind } from '../../domain/hubspot-sync';

/**
 * Something HubSpot should learn, written in the same transaction as the change. No foreign
 * key: an erased person's purge must still go out after the person is gone.
 */
@Entity('hubspot_outbox')
@Check('hubspot_outbox_kind_check', `kind IN ('upsert','purge','unsubscribe','merge')`)
// Claims walk waiting rows in id order (oldest first) and stop at the batch size.
@Index('hubspot_outbox_due_idx', ['id'], { where: 'done_at IS NULL' })
@Index('hubspot_outbox_person_idx', ['personId'])
// A person whose contact merge waits is passed over by the claim of updates.
@Index('hubspot_outbox_merge_idx', ['personId'], { where: "kind = 'merge' AND done_at IS NULL" })
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

  /** For a purge by id: the contact; for a merge: the contact kept. */
  @Column('text', { nullable: true })
  hubspotId: string | null;

  /** For a merge: the contact merged into `hubspotId`. */
  @Column('text', { nullable: true })
  mergedHubspotId: string | null;

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

  /** Given up after bounded retries: shown in /api/hubspot/failures until staff requeue it. */
  @Index('hubspot_outbox_failed_idx', { where: 'failed_at IS NOT NULL' })
  @Column('timestamptz', { nullable: true })
  failedAt: Date | null;
}
