import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { IMPORT_STATUSES, type ImportStatus } from '../entities/event-import.entity';

export class ImportUploadQuery {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'true',
    description: 'true (the default): read and check the file and report what an import would do, storing nothing but the file and the report. false: import it (in the background; poll the import).',
  })
  @IsOptional() @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}

/** The multipart form (documentation only: the service reads the body itself, the file streamed into storage). */
export class ImportUploadForm {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The attendee list: CSV (comma, semicolon or tab; UTF-8, UTF-16 or Windows-1252) or XLSX (first sheet), at most 50 MiB.' })
  file: unknown;

  @ApiPropertyOptional({
    type: 'string',
    description:
      'JSON: header → field, for headers the built-in synonyms (Eventbrite, Norwegian) do not know, e.g. {"Navn på kort": "fullName", "Mobil jobb": "phone", "Notater": "ignore"}. Before or after the file part.',
  })
  mapping?: string;
}

export class ImportListQuery extends PageQuery {}

export class ImportCountsView {
  @ApiProperty({ description: 'Data lines read (the header excluded, blank lines not counted).' }) rows: number;
  @ApiProperty() newPersons: number;
  @ApiProperty({ description: 'Existing persons found by e-mail, then phone.' }) matchedPersons: number;
  @ApiProperty() registrations: number;
  @ApiProperty() alreadyRegistered: number;
  @ApiProperty({ description: 'Cancelled, refunded, transferred or not attending: not registered.' }) notAttending: number;
  @ApiProperty({ description: 'Lines about someone an earlier line already named.' }) duplicateRows: number;
  @ApiProperty() rejectedRows: number;
}

export class ImportColumnView {
  @ApiProperty() header: string;
  @ApiProperty({ nullable: true, type: String, description: 'The field it fills; null: kept with the capture as extra data.' }) target: string | null;
}

export class RejectedLineView {
  @ApiProperty() line: number;
  @ApiProperty({
    enum: ['no_contact', 'invalid_email', 'invalid_phone', 'under_16', 'invalid_age', 'invalid_birth_date', 'too_long', 'restricted', 'phone_dropped', 'consent_unclear', 'order_date_dropped'],
    description: 'phone_dropped, consent_unclear and order_date_dropped are warnings: the line is imported, without the phone or the consent, or dated by the import.',
  })
  reason: string;
  @ApiProperty() message: string;
}

export class ImportProgressView {
  @ApiProperty() processed: number;
  @ApiProperty({ nullable: true, type: Number }) total: number | null;
}

export class ImportView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) eventId: string;
  @ApiProperty({ enum: IMPORT_STATUSES, description: 'analysed (dry run done), queued, running, done, failed.' }) status: ImportStatus;
  @ApiProperty({ enum: ['csv', 'xlsx'] }) format: string;
  @ApiPropertyOptional({ nullable: true, type: String }) encoding: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) delimiter: string | null;
  @ApiProperty() fileBytes: number;
  @ApiProperty({ type: [ImportColumnView] }) columns: ImportColumnView[];
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'The line (or sheet row) the header was read from: the first of the leading lines that names an e-mail or phone column.' })
  headerLine: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Lines before the header (a report’s preamble: title, date, host details), skipped.' })
  skippedLines: number | null;
  @ApiProperty({ type: [String], description: 'Columns the import does not know, which are not stored: map each to a field, or to "keep" to store it as received, before importing.' })
  droppedColumns: string[];
  @ApiProperty({ type: ImportProgressView }) progress: ImportProgressView;
  @ApiPropertyOptional({ type: ImportCountsView, nullable: true, description: 'What the dry run found.' }) analysis: ImportCountsView | null;
  @ApiPropertyOptional({ type: ImportCountsView, nullable: true, description: 'What the import did (so far, while it runs).' }) outcome: ImportCountsView | null;
  @ApiProperty({ type: [RejectedLineView], description: 'The first 1000 rejected lines; all of them in rejected.csv.' }) rejected: RejectedLineView[];
  @ApiProperty() rejectedTruncated: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) error: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) createdBy: string | null;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ nullable: true, type: Date }) startedAt: Date | null;
  @ApiPropertyOptional({ nullable: true, type: Date }) finishedAt: Date | null;
  @ApiProperty({ description: 'self, run (start the import), rejectedCsv.' }) links: Record<string, string>;
}

export class ImportPage {
  @ApiProperty({ type: [ImportView] }) items: ImportView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
