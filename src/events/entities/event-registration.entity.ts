import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Capture } from '../../leads/entities/capture.entity';
import { Person } from '../../leads/entities/person.entity';
import { Event } from './event.entity';

/**
 * A person registered for an event: at most one per (event, person), which is what makes a
 * re-import change nothing. The capture it came with carries the data and the retention clock.
 */
@Entity('event_registration')
@Index('event_registration_key', ['eventId', 'personId'], { unique: true })
@Index('event_registration_person_idx', ['personId'])
export class EventRegistration {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  eventId: string;

  @Column('uuid')
  personId: string;

  @Column('uuid', { nullable: true })
  captureId: string | null;

  /** The import it came from (no foreign key: a batch of inserts should not pay a check per row for a reference nobody deletes). */
  @Column('uuid', { nullable: true })
  importId: string | null;

  /** The file's line (or sheet row) the registration came from. */
  @Column('integer', { nullable: true })
  line: number | null;

  @Column('text', { nullable: true })
  ticketType: string | null;

  /** The ticket seller's order and attendee numbers (Eventbrite's "Order #", "Attendee #"). */
  @Column('text', { nullable: true })
  orderRef: string | null;

  @Column('text', { nullable: true })
  attendeeRef: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  registeredAt: Date;

  @ManyToOne(() => Event, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: Event;

  @ManyToOne(() => Person, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'person_id' })
  person?: Person;

  @ManyToOne(() => Capture, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'capture_id' })
  capture?: Capture | null;
}
