import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { trimmed } from '../../common/validation';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export class CreateEventDto {
  @ApiProperty({ maxLength: 200, example: 'Cloud Native Oslo 2025' })
  @IsString() @Transform(trimmed) @Length(1, 200)
  name: string;

  @ApiProperty({ format: 'date', example: '2025-09-10', description: 'The day of the event; attendees are kept 6 years from the last event they registered for (7.5).' })
  @IsString() @Matches(ISO_DATE, { message: 'date must be a date like 2025-09-10' })
  date: string;

  @ApiProperty({ maxLength: 200, example: 'Oslo Spektrum' })
  @IsString() @Transform(trimmed) @Length(1, 200)
  place: string;

  @ApiProperty({ maxLength: 200, description: 'Who organises it: the one recipient of the attendee list (7.4).' })
  @IsString() @Transform(trimmed) @Length(1, 200)
  organiserName: string;

  @ApiProperty({ maxLength: 200, description: 'How the organiser is reached: an e-mail address or a phone number.' })
  @IsString() @Transform(trimmed) @Length(3, 200)
  organiserContact: string;
}

export class EventQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'date', description: 'Events on or after this day.' })
  @IsOptional() @Matches(ISO_DATE, { message: 'from must be a date like 2025-09-10' })
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Events before this day.' })
  @IsOptional() @Matches(ISO_DATE, { message: 'to must be a date like 2025-09-10' })
  to?: string;

  @ApiPropertyOptional({ description: 'Part of the name or place.' })
  @IsOptional() @IsString() @Transform(trimmed) @Length(2, 200)
  q?: string;
}

export class EventView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date' }) date: string;
  @ApiProperty() place: string;
  @ApiProperty() organiserName: string;
  @ApiProperty() organiserContact: string;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String }) createdBy: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
  @ApiPropertyOptional({ description: 'Registrations the caller may see (only on a single event).' }) registrations?: number;
}

export class EventPage {
  @ApiProperty({ type: [EventView] }) items: EventView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
