import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { SubmissionStatus, Verdict } from '../../domain/verdict';


/**
 * Every arrival on a public intake endpoint, stored as received before screening runs, so no
 * rule can lose it. Accepted: its capture has the same id. Held: quarantined until a person
 * decides. Blocked: its content is dropped and only the attempt is kept.
 */
@Entity('intake_submission')
@Check('intake_submission_status_check', `status IN ('received','accepted','held','blocked','released','spam')`)
@Index('intake_submission_review_idx', ['status', 'receivedAt'])
// A form's last day of posts (its bot-trap counts).
@Index('intake_submission_form_idx', ['formId', 'receivedAt'])
@Index('intake_submission_ip_idx', ['ip', 'receivedAt'])
@Index('intake_submission_sender_idx', ['senderEmail', 'receivedAt'])
@Index('intake_submission_fingerprint_idx', ['textFingerprint', 'receivedAt'])
export class IntakeSubmission {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  channel: string;

  @Column('uuid', { nullable: true })
  formId: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  receivedAt: Date;

  @Column('text', { nullable: true })
  contentType: string | null;

  @Column('text', { nullable: true })
  rawBody: string | null;

  @Column('jsonb')
  fields: Record<string, unknown>;

  @Column('inet', { nullable: true })
  ip: string | null;

  @Column('text', { nullable: true })
  senderEmail: string | null;

  /** A hash of the request text as normalised (case, accents, digits, links and spacing aside): bursts of near-copies share it. */
  @Column('text', { nullable: true })
  textFingerprint: string | null;

  @Column('text', { default: 'received' })
  status: SubmissionStatus;

  @Column('jsonb', { nullable: true })
  verdict: Verdict | null;

  @Column('timestamptz', { nullable: true })
  decidedAt: Date | null;
}
