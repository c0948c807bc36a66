import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { EventImport } from './event-import.entity';

/** A line of an attendee list that was not taken, and why (downloadable as rejected.csv). */
@Entity('event_import_rejection')
export class EventImportRejection {
  @PrimaryColumn('uuid')
  importId: string;

  @PrimaryColumn('integer')
  line: number;

  /** A code: no_contact, invalid_email, invalid_phone, under_16, invalid_age, invalid_birth_date, too_long, restricted; or a warning on an imported line: phone_dropped, consent_unclear, order_date_dropped. */
  @Column('text')
  reason: string;

  /** What staff should fix, in words; never the row's values. */
  @Column('text')
  message: string;

  /** The row as read, header by header; not kept for someone under 16 (policy 12). */
  @Column('jsonb', { nullable: true })
  values: Record<string, string> | null;

  @ManyToOne(() => EventImport, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'import_id' })
  import?: EventImport;
}
