import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { EventImport } from './event-import.entity';

/**
 * The uploaded file, in pieces of up to 1 MiB, in the database every instance shares: any
 * instance can run or resume the import, and it is read back as a stream.
 */
@Entity('event_import_chunk')
export class EventImportChunk {
  @PrimaryColumn('uuid')
  importId: string;

  @PrimaryColumn('integer')
  seq: number;

  @Column('bytea')
  data: Buffer;

  @ManyToOne(() => EventImport, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'import_id' })
  import?: EventImport;
}
