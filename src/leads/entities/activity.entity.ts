import { Capture } from './capture.entity';
import { Person } from './person.entity';
import { JoinColumn, ManyToOne, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ActorType } from '../../domain/actor';
import type { ActivityType } from '../../domain/lifecycle';

/** One entry of a person's timeline. */
@Entity('activity')
@Index('activity_person_idx', ['personId', 'occurredAt'])
export class Activity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  personId: string;

  @Column('text')
  type: ActivityType;

  @Column('timestamptz')
  occurredAt: Date;

  /** Free text: a note, a chat transcript. Personal data. */
  @Column('text', { nullable: true })
  body: string | null;

  /** Structured facts: a call's number, direction, duration and recording; a status change's from and to. */
  @Column('jsonb', { nullable: true })
  details: Record<string, unknown> | null;

  @Column('uuid', { nullable: true })
  captureId: string | null;

  @Column('text')
  actorType: ActorType;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @ManyToOne(() => Person, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'person_id' })
  person?: Person;

  @ManyToOne(() => Capture, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'capture_id' })
  capture?: Capture | null;
}
