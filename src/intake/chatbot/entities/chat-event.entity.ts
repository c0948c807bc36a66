import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Activity } from '../../../leads/entities/activity.entity';
import { Capture } from '../../../leads/entities/capture.entity';
import { IntakeSubmission } from '../../../screening/entities/intake-submission.entity';

export const CHAT_EVENT_TYPES = ['contact_identified', 'new_message'] as const;
export type ChatEventType = (typeof CHAT_EVENT_TYPES)[number];

/**
 * What became of an event: `captured` (a contact made a capture), `attached` (a message is on
 * its person's timeline), `pending` (a message whose contact is not identified yet: kept, and
 * attached when they are), `held` (screening held it for review), `blocked` (a blocked sender:
 * only the attempt, no content).
 */
export const CHAT_EVENT_STATUSES = ['captured', 'attached', 'pending', 'held', 'blocked'] as const;
export type ChatEventStatus = (typeof CHAT_EVENT_STATUSES)[number];

/**
 * One chatbot (Drift) webhook event taken in. Its `eventKey` is unique, so a redelivered event
 * finds its first delivery and changes nothing. It reaches its person through the capture or the
 * timeline entry it became (those follow a merge, and take it with them when they go); a held or
 * blocked event goes with its screened arrival when the quarantine purge deletes that.
 */
@Entity('chat_event')
@Check('chat_event_type_check', `type IN ('contact_identified','new_message')`)
@Check('chat_event_status_check', `status IN ('captured','attached','pending','held','blocked')`)
@Index('chat_event_contact_idx', ['orgId', 'contactId'])
@Index('chat_event_conversation_idx', ['orgId', 'conversationId'])
@Index('chat_event_capture_idx', ['captureId'])
@Index('chat_event_activity_idx', ['activityId'])
@Index('chat_event_submission_idx', ['submissionId'])
export class ChatEvent {
  /** The screened arrival's id where there is one (a capture made from it has it too). */
  @PrimaryColumn('uuid')
  id: string;

  /** `drift:<org>:message:<message id>`, or `drift:<org>:contact:<contact id>:<hash of the contact's data>`. */
  @Index('chat_event_key', { unique: true })
  @Column('text')
  eventKey: string;

  @Column('text')
  type: ChatEventType;

  @Column('text')
  orgId: string;

  /** Drift's contact id: the identified contact, or the contact who wrote the message. */
  @Column('text', { nullable: true })
  contactId: string | null;

  @Column('text', { nullable: true })
  conversationId: string | null;

  @Column('text', { nullable: true })
  messageId: string | null;

  /** `contact`, `user` (a colleague in Drift) or `bot`. */
  @Column('text', { nullable: true })
  authorType: string | null;

  /** `chat` or `private_note` (a colleague's note inside Drift). */
  @Column('text', { nullable: true })
  messageType: string | null;

  /** The message as Drift sent it (it may carry simple HTML), while it waits for its contact or a reviewer; the timeline entry holds it after. */
  @Column('text', { nullable: true })
  body: string | null;

  @Column('timestamptz', { nullable: true })
  sentAt: Date | null;

  @Column('text')
  status: ChatEventStatus;

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
