import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Activity } from '../../../leads/entities/activity.entity';
import { Capture } from '../../../leads/entities/capture.entity';
import { IntakeSubmission } from '../../../screening/entities/intake-submission.entity';

/**
 * What became of a mail: `captured` (a new request: a capture), `reply` (on the timeline of the
 * person whose thread it answers), `held` (screening held it; the raw message is kept for the
 * reviewer's decision), `blocked` (a blocked sender: only the attempt), `skipped` (an
 * auto-reply, bounce or list mail, or one that cannot be read: no person, only the record).
 */
export const MAIL_STATUSES = ['captured', 'reply', 'held', 'blocked', 'skipped'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * One mail taken from the inbox (IMAP or the raw-message endpoint). The Message-ID is unique:
 * a mail delivered twice, by either way in, is taken once. It reaches its person through the
 * capture or timeline entry it became (those follow a merge); sender, subject and raw message
 * are kept only while it waits for a reviewer.
 */
@Entity('mail_message')
@Check('mail_message_status_check', `status IN ('captured','reply','held','blocked','skipped')`)
@Check('mail_message_via_check', `via IN ('api','imap')`)
@Index('mail_message_capture_idx', ['captureId'])
@Index('mail_message_activity_idx', ['activityId'])
@Index('mail_message_submission_idx', ['submissionId'])
export class MailMessage {
  /** The screened arrival's id where there is one (the capture made from it has it too). */
  @PrimaryColumn('uuid')
  id: string;

  /** As in the header, angle brackets included; one made from the message's SHA-256 when it has none. */
  @Index('mail_message_message_id_key', { unique: true })
  @Column('text')
  messageId: string;

  /** `api` (POST /api/intake/email) or `imap` (the inbox poller). */
  @Column('text')
  via: string;

  @Column('text')
  status: MailStatus;

  /** Why a skipped mail made no lead: `auto_submitted`, `delivery_report`, `mailing_list`, `no_sender` ... */
  @Column('text', { nullable: true })
  skipReason: string | null;

  @Column('text', { nullable: true })
  fromAddress: string | null;

  @Column('text', { nullable: true })
  subject: string | null;

  /** The message exactly as received, while it waits for a reviewer; dropped once it is a capture or a timeline entry. */
  @Column('bytea', { nullable: true })
  raw: Buffer | null;

  @Column('uuid', { nullable: true })
  captureId: string | null;

  @Column('uuid', { nullable: true })
  activityId: string | null;

  @Column('uuid', { nullable: true })
  submissionId: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  receivedAt: Date;

  @ManyToOne(() => Capture, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'capture_id' })
  capture?: Capture | null;

  @ManyToOne(() => Activity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'activity_id' })
  activity?: Activity | null;

  @ManyToOne(() => IntakeSubmission, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'submission_id' })
  submission?: IntakeSubmission | null;
}
