import { StaffUser } from '../../auth/entities/staff-user.entity';
import { Company } from './company.entity';
import { JoinColumn, ManyToOne, Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { LifecycleStatus } from '../../domain/lifecycle';

import type { SyncState } from '../../domain/hubspot-sync';

/**
 * The data subject. One person per normalised e-mail (then per phone when there is no e-mail):
 * every arrival of their data is a capture of this person.
 */
@Entity('person')
@Check('person_status_check', `status IN ('new','contacted','qualified','customer','disqualified')`)
@Check('person_sync_state_check', `sync_state IN ('pending','synced','failed','suppressed','restricted')`)
@Check('person_identifiable_check', `email IS NOT NULL OR phone IS NOT NULL OR erased_at IS NOT NULL`)
@Index('person_created_at_idx', ['createdAt', 'id'])
@Index('person_owner_idx', ['ownerId'])
@Index('person_company_idx', ['companyId'])
// Trigram index over name, e-mail and company for search; an expression index the migration owns.
@Index('person_search_idx', { synchronize: false })
export class Person {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text', { nullable: true })
  firstName: string | null;

  @Column('text', { nullable: true })
  lastName: string | null;

  @Column('text', { nullable: true })
  position: string | null;

  /** Trimmed, domain lower-cased. */
  @Index('person_email_key', { unique: true, where: 'email IS NOT NULL' })
  @Column('text', { nullable: true })
  email: string | null;

  /** E.164. People known only by phone are unique by it. */
  @Index('person_phone_only_key', { unique: true, where: 'email IS NULL AND phone IS NOT NULL' })
  @Index('person_phone_idx')
  @Column('text', { nullable: true })
  phone: string | null;

  @Column('text', { nullable: true })
  skypeId: string | null;

  @Column('text', { nullable: true })
  linkedinUrl: string | null;

  @Column('text', { nullable: true })
  location: string | null;

  @Column('uuid', { nullable: true })
  companyId: string | null;

  /**
   * The company when it is an active customer, else null: kept by triggers from company_id and
   * the company's customer flag, so the row-level security policies can test one column.
   */
  @Index('person_customer_company_idx', { where: 'customer_company_id IS NOT NULL' })
  @Column('uuid', { nullable: true })
  customerCompanyId: string | null;

  /** The company name as the person gave it, before (or without) a link to a company. */
  @Column('text', { nullable: true })
  companyName: string | null;

  @Index('person_status_idx')
  @Column('text', { default: 'new' })
  status: LifecycleStatus;

  @Column('uuid', { nullable: true })
  ownerId: string | null;

  @Column('timestamptz', { nullable: true })
  restrictedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  marketingObjectionAt: Date | null;

  @Column('timestamptz', { nullable: true })
  erasedAt: Date | null;

  /** HubSpot's contact id, once synced. */
  @Column('text', { nullable: true })
  hubspotId: string | null;

  /** Every HubSpot contact id the person has had (a merge brings the other's): an erasure deletes them all. */
  @Column('text', { array: true, default: () => `'{}'` })
  hubspotIds: string[];

  /** HubSpot fields staff cleared on purpose and HubSpot has not been told of: the only values sent empty. */
  @Column('text', { array: true, default: () => `'{}'` })
  hubspotClears: string[];

  /** The furthest lifecycle stage the sync has sent: HubSpot's stages only move forward. */
  @Column('text', { nullable: true })
  hubspotStage: string | null;

  /** pending (a change waits in the outbox), synced, failed (see syncError), suppressed (erased address), restricted. */
  @Index('person_sync_state_idx')
  @Column('text', { default: 'pending' })
  syncState: SyncState;

  @Column('timestamptz', { nullable: true })
  syncedAt: Date | null;

  @Column('text', { nullable: true })
  syncError: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @ManyToOne(() => Company, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'company_id' })
  company?: Company | null;

  @ManyToOne(() => StaffUser, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'owner_id' })
  owner?: StaffUser | null;
}
