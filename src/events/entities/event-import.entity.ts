import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Event } from './event.entity';

export const IMPORT_STATUSES = ['analysed', 'queued', 'running', 'done', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** What an analysis (dry run) found, or what the import did. */
export interface ImportCounts {
  /** Data rows read (the header excluded). */
  rows: number;
  newPersons: number;
  matchedPersons: number;
  registrations: number;
  /** The person is registered for this event already (an earlier import, or an earlier line of this file). */
  alreadyRegistered: number;
  /** Cancelled, refunded, transferred or not attending: not registered. */
  notAttending: number;
  /** A later line about someone an earlier line of the file already named. */
  duplicateRows: number;
  rejectedRows: number;
}

/** How the file's columns were read: each header and the person field it fills (null: kept as extra data). */
export interface ImportColumn {
  header: string;
  target: string | null;
}

/**
 * One uploaded attendee list and its background import. The file is kept (in
 * event_import_chunk) until the import is done, so a crash loses nothing and a retry of its
 * job resumes after the last committed batch (`doneThroughLine`).
 */
@Entity('event_import')
@Check('event_import_status_check', `status IN ('analysed','queued','running','done','failed')`)
@Check('event_import_format_check', `format IN ('csv','xlsx')`)
// One import per file content (and mapping) per event: the same file again is the same import.
@Index('event_import_file_key', ['eventId', 'fileSha256'], { unique: true })
export class EventImport {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  eventId: string;

  @Column('text')
  status: ImportStatus;

  /** SHA-256 of the file's bytes and the mapping given with it. */
  @Column('text')
  fileSha256: string;

  @Column('integer')
  fileBytes: number;

  @Column('text')
  format: 'csv' | 'xlsx';

  /** For CSV: utf-8, utf-16le, utf-16be or windows-1252, as detected. */
  @Column('text', { nullable: true })
  encoding: string | null;

  @Column('text', { nullable: true })
  delimiter: string | null;

  @Column('jsonb')
  columns: ImportColumn[];

  /** The file's line (or sheet row) the header was read from; the lines before it are a preamble (a report's title block). Null: uploaded before it was recorded. */
  @Column('integer', { nullable: true })
  headerLine: number | null;

  /** The mapping staff gave for headers the synonyms do not know ({"Navn på kort": "fullName"}). */
  @Column('jsonb', { nullable: true })
  mapping: Record<string, string> | null;

  @Column('integer', { nullable: true })
  totalRows: number | null;

  @Column('integer', { default: 0 })
  processedRows: number;

  /** Checkpoint: every line up to this one is committed. */
  @Column('integer', { default: 0 })
  doneThroughLine: number;

  /** The dry run's counts. */
  @Column('jsonb', { nullable: true })
  analysis: ImportCounts | null;

  /** The import's counts so far. */
  @Column('jsonb', { nullable: true })
  outcome: ImportCounts | null;

  @Column('integer', { default: 0 })
  attempts: number;

  /** The run job sent when it was last queued (its retries keep the id; if pg-boss gives up on it, the import fails). Null: never queued as a job. */
  @Column('uuid', { nullable: true })
  jobId: string | null;

  /** The run that holds the import now (each run of the job takes a new one): only it may commit a batch. */
  @Column('uuid', { nullable: true })
  runnerToken: string | null;

  /** Why it failed: an error class or code, never row content. */
  @Column('text', { nullable: true })
  error: string | null;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  @Column('uuid', { nullable: true })
  startedBy: string | null;

  /** The request that started the import, for the audit lines it writes. */
  @Column('text', { nullable: true })
  requestId: string | null;

  @Column('timestamptz', { nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  finishedAt: Date | null;

  /** When the stored file was deleted (after the import, or unused after EVENT_IMPORT_KEEP_DAYS). */
  @Column('timestamptz', { nullable: true })
  fileDeletedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @ManyToOne(() => Event, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: Event;
}
