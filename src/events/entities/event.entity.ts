import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * An event the firm runs or attends (policy section 7). Its organiser is the one third party
 * the attendee list may go to (7.4).
 */
@Entity('event')
@Index('event_date_idx', ['date', 'id'])
export class Event {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  /** The day it takes place (YYYY-MM-DD): the attendees' retention clock counts from it (7.5). */
  @Column('date')
  date: string;

  @Column('text')
  place: string;

  /** May be a person's name. */
  @Column('text')
  organiserName: string;

  /** How the organiser is reached (an e-mail address or a phone number). */
  @Column('text')
  organiserContact: string;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
