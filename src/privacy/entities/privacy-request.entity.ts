import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { IdentityDocument, PrivacyRequestChannel, PrivacyRequestStatus, PrivacyRequestType } from '../../domain/privacy-requests';

/**
 * A data subject's request (policy 9): what was asked, of whom, by when, how identity was
 * verified, and how it ended. Kept after an erasure it served, as the proof it was done; the
 * identifier it named goes with the erasure.
 */
@Entity('privacy_request')
@Check('privacy_request_type_check', `type IN ('access','rectification','erasure','restriction','objection','portability','consent_withdrawal')`)
@Check('privacy_request_channel_check', `channel IN ('email','letter','phone','web','in_person','other')`)
@Check('privacy_request_status_check', `status IN ('received','identity_pending','in_progress','completed','refused')`)
// What is due and overdue: the open requests by due date.
@Index('privacy_request_due_idx', ['dueAt'], { where: `status NOT IN ('completed','refused')` })
@Index('privacy_request_person_idx', ['personId'])
export class PrivacyRequest {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  type: PrivacyRequestType;

  /** Null until the DPO settles whom it is about (none matched, or several did). */
  @Column('uuid', { nullable: true })
  personId: string | null;

  /** The address or number the request named, as given. */
  @Column('text', { nullable: true })
  identifier: string | null;

  /** Persons the identifier matched, when more than one did: the DPO chooses. */
  @Column('uuid', { array: true, default: () => `'{}'` })
  candidates: string[];

  @Column('text')
  channel: PrivacyRequestChannel;

  @Column('timestamptz')
  receivedAt: Date;

  /** One month after receipt; up to two months more with an extension. */
  @Column('timestamptz')
  dueAt: Date;

  @Column('text', { nullable: true })
  extensionReason: string | null;

  /** When the person was told of the extension and why (it must be within the first month). */
  @Column('timestamptz', { nullable: true })
  extensionToldAt: Date | null;

  @Column('text', { default: 'received' })
  status: PrivacyRequestStatus;

  @Column('text', { nullable: true })
  identityMethod: string | null;

  @Column('text', { array: true, nullable: true })
  identityDocuments: IdentityDocument[] | null;

  @Column('uuid', { nullable: true })
  identityVerifiedBy: string | null;

  @Column('timestamptz', { nullable: true })
  identityVerifiedAt: Date | null;

  /** For a consent withdrawal or an objection: the purpose or ground it concerns. */
  @Column('text', { nullable: true })
  scope: string | null;

  @Column('text', { nullable: true })
  refusalReason: string | null;

  /** What the person may do about a refusal (complain to Datatilsynet, go to court). */
  @Column('text', { nullable: true })
  refusalOptions: string | null;

  /** What was done, in counts and facts (never personal values): the proof. */
  @Column('jsonb', { nullable: true })
  outcome: Record<string, unknown> | null;

  /** The DPO was reminded a week before the due date. */
  @Column('timestamptz', { nullable: true })
  remindedAt: Date | null;

  @Column('uuid')
  createdBy: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;
}
