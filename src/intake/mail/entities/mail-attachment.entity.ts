import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Activity } from '../../../leads/entities/activity.entity';
import { Capture } from '../../../leads/entities/capture.entity';
import { MailMessage } from './mail-message.entity';

/**
 * A file that came with a mail, belonging to the capture (a new request) or the timeline entry
 * (a reply) the mail became, and going with it. Over MAIL_ATTACHMENT_MAX_BYTES only its facts
 * are kept (`content` null, `skippedReason` set).
 */
@Entity('mail_attachment')
@Check('mail_attachment_owner_check', `num_nonnulls(capture_id, activity_id) = 1`)
@Index('mail_attachment_capture_idx', ['captureId'])
@Index('mail_attachment_activity_idx', ['activityId'])
@Index('mail_attachment_message_idx', ['mailMessageId'])
export class MailAttachment {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid')
  mailMessageId: string;

  @Column('uuid', { nullable: true })
  captureId: string | null;

  @Column('uuid', { nullable: true })
  activityId: string | null;

  @Column('text', { nullable: true })
  filename: string | null;

  @Column('text')
  contentType: string;

  @Column('integer')
  size: number;

  @Column('text')
  sha256: string;

  /** Shown inside the message (a signature logo, a pasted image) rather than attached. */
  @Column('boolean', { default: false })
  inline: boolean;

  @Column('bytea', { nullable: true })
  content: Buffer | null;

  @Column('text', { nullable: true })
  skippedReason: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @ManyToOne(() => MailMessage, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'mail_message_id' })
  mailMessage?: MailMessage;

  @ManyToOne(() => Capture, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'capture_id' })
  capture?: Capture | null;

  @ManyToOne(() => Activity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'activity_id' })
  activity?: Activity | null;
}
