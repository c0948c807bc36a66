import { Person } from './person.entity';
import { JoinColumn, ManyToOne, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ActorType } from '../../domain/actor';
import type { ConsentPurpose, InquiryType, IntakeSource, LegalBasis, RetentionAnchor } from '../../domain/purposes';
import type { ProcessingPurpose } from '../../domain/purposes';


/**
 * One arrival of a person's data through a channel: the payload exactly as received, what was
 * mapped from it, why the firm may hold it (legal basis per purpose, under which policy
 * version), and when it must go (its retention clock).
 */
@Entity('capture')
@Index('capture_person_idx', ['personId', 'receivedAt'])
@Index('capture_source_ref_idx', ['source', 'sourceRef'])
// The sweep walks ended clocks in (due date, id) order, from where its last batch stopped.
@Index('capture_retention_due_idx', ['retentionDueAt', 'id'])
export class Capture {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  personId: string;

  @Column('text')
  source: IntakeSource;

  /** Form key, Drift conversation id, Message-ID, import row. */
  @Column('text', { nullable: true })
  sourceRef: string | null;

  @Column('uuid', { nullable: true })
  formId: string | null;

  @Column('timestamptz')
  receivedAt: Date;

  @Column('text', { nullable: true })
  contentType: string | null;

  /** The body exactly as received, where it was text (JSON, url-encoded). */
  @Column('text', { nullable: true })
  rawBody: string | null;

  /** Every submitted field with its own name and value, as received. */
  @Column('jsonb')
  payload: Record<string, unknown>;

  /** The person fields taken from the payload. */
  @Column('jsonb')
  mapped: Record<string, unknown>;

  /** The free-text request. */
  @Column('text', { nullable: true })
  request: string | null;

  /** Optional values that could not be read, by field (kept as given in the payload, left off the person). */
  @Column('jsonb', { default: () => "'[]'" })
  warnings: { field: string; message: string }[];

  @Column('text', { nullable: true })
  inquiryType: InquiryType | null;

  @Column('jsonb')
  legalBases: Partial<Record<ProcessingPurpose, LegalBasis>>;

  @Column('text', { array: true, default: () => "'{}'" })
  consentsGiven: ConsentPurpose[];

  @Column('text')
  policyVersion: string;

  @Column('text')
  retentionAnchor: RetentionAnchor;

  @Column('timestamptz')
  retentionAnchorAt: Date;

  @Column('timestamptz')
  retentionDueAt: Date;

  @Column('text')
  actorType: ActorType;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  @ManyToOne(() => Person, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'person_id' })
  person?: Person;

  // Named, not imported: the form belongs to intake, which builds on leads.
  @ManyToOne('IntakeForm', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'form_id' })
  form?: { id: string } | null;
}
