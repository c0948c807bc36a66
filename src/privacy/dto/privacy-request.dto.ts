import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDate, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { trimmed } from '../../common/validation';
import { IDENTITY_DOCUMENTS, PRIVACY_REQUEST_CHANNELS, PRIVACY_REQUEST_STATUSES, PRIVACY_REQUEST_TYPES, type IdentityDocument, type PrivacyRequestChannel, type PrivacyRequestStatus, type PrivacyRequestType } from '../../domain/privacy-requests';
import { CONSENT_PURPOSES } from '../../domain/purposes';
import { RectifyPersonDto } from '../../leads/dto/person.dto';

export const OBJECTION_SCOPES = ['direct_marketing', 'legitimate_interest'] as const;

export class OpenPrivacyRequestDto {
  @ApiProperty({ enum: PRIVACY_REQUEST_TYPES }) @IsIn(PRIVACY_REQUEST_TYPES, { message: `type must be one of: ${PRIVACY_REQUEST_TYPES.join(', ')}` })
  type: PrivacyRequestType;

  @ApiPropertyOptional({ description: 'The e-mail address or phone number the person gave (any they ever gave finds them).' })
  @ValidateIf((o: OpenPrivacyRequestDto) => !o.personId) @IsString() @Transform(trimmed) @Length(3, 320)
  identifier?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The person, when already known.' }) @IsOptional() @IsUUID()
  personId?: string;

  @ApiProperty({ enum: PRIVACY_REQUEST_CHANNELS, description: 'How the request arrived.' }) @IsIn(PRIVACY_REQUEST_CHANNELS, { message: `channel must be one of: ${PRIVACY_REQUEST_CHANNELS.join(', ')}` })
  channel: PrivacyRequestChannel;

  @ApiPropertyOptional({ format: 'date-time', description: 'When it arrived (default now); the month to answer runs from it.' })
  @IsOptional() @Type(() => Date) @IsDate({ message: 'receivedAt must be a date-time' })
  receivedAt?: Date;

  @ApiPropertyOptional({ description: `A consent withdrawal: the purpose (${CONSENT_PURPOSES.join(', ')}). An objection: ${OBJECTION_SCOPES.join(' or ')}.` })
  @ValidateIf((o: OpenPrivacyRequestDto) => o.type === 'consent_withdrawal' || o.type === 'objection')
  @IsIn([...CONSENT_PURPOSES, ...OBJECTION_SCOPES], { message: `scope must be a purpose (${CONSENT_PURPOSES.join(', ')}) for a consent withdrawal, or ${OBJECTION_SCOPES.join(' or ')} for an objection` })
  scope?: string;
}

export class PrivacyRequestQuery {
  @ApiPropertyOptional({ enum: ['open', 'due_this_week', 'overdue', 'closed', 'all'], description: 'Default open.' })
  @IsOptional() @IsIn(['open', 'due_this_week', 'overdue', 'closed', 'all'], { message: 'state must be one of: open, due_this_week, overdue, closed, all' })
  state?: 'open' | 'due_this_week' | 'overdue' | 'closed' | 'all';
}

export class LookupQuery {
  @ApiProperty({ description: 'An e-mail address or a phone number.' }) @IsString() @Transform(trimmed) @Length(3, 320)
  identifier: string;
}

export class ChoosePersonDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() personId: string;
}

export class IdentityRequestDto {
  @ApiProperty({ description: 'How the requester was asked (reply from the known address, show ID on a video call, ...).' }) @IsString() @Transform(trimmed) @Length(3, 500)
  how: string;
}

export class VerifyIdentityDto {
  @ApiProperty({ description: 'How identity was checked (met in person, video call with ID shown, BankID, reply from the known address, ...).' })
  @IsString() @Transform(trimmed) @Length(3, 500)
  method: string;

  @ApiProperty({ enum: IDENTITY_DOCUMENTS, isArray: true, description: 'The two identity documents checked, by type only: never a copy.' })
  @IsArray() @ArrayMinSize(2, { message: 'documents must name the two identity documents checked' }) @ArrayMaxSize(2, { message: 'documents must name the two identity documents checked' })
  @IsIn(IDENTITY_DOCUMENTS, { each: true, message: `each document must be one of: ${IDENTITY_DOCUMENTS.join(', ')}` })
  documents: IdentityDocument[];
}

export class ExtendDeadlineDto {
  @ApiProperty({ minimum: 1, maximum: 2, description: 'Months added to the one month (at most two more, Art. 12(3)).' })
  @Type(() => Number) @IsInt() @Min(1) @Max(2)
  months: number;

  @ApiProperty({ description: 'Why (the request is complex, many requests at once).' }) @IsString() @Transform(trimmed) @Length(10, 2000)
  reason: string;

  @ApiProperty({ format: 'date-time', description: 'When the person was told of the extension and why.' })
  @Type(() => Date) @IsDate({ message: 'toldAt must be a date-time' })
  toldAt: Date;
}

export class RefuseDto {
  @ApiProperty({ description: 'Why the request is refused (manifestly unfounded, excessive, identity not proven, ...).' }) @IsString() @Transform(trimmed) @Length(10, 2000)
  reason: string;

  @ApiProperty({ description: 'What the person may do: complain to Datatilsynet, seek a judicial remedy.' }) @IsString() @Transform(trimmed) @Length(10, 2000)
  options: string;
}

export class FulfilDto {
  @ApiPropertyOptional({ type: RectifyPersonDto, description: 'A rectification: the corrected fields.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RectifyPersonDto)
  changes?: RectifyPersonDto;

  @ApiPropertyOptional({ description: 'An objection to processing on legitimate interest: the compelling legitimate grounds that override it (Art. 21(1)); without them, the processing stops (the person is restricted).' })
  @IsOptional() @IsString() @Transform(trimmed) @Length(10, 2000)
  compellingGrounds?: string;
}

export class PrivacyRequestActionView {
  @ApiProperty() action: string;
  @ApiProperty({ type: Object }) details: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) actorId: string | null;
  @ApiProperty({ format: 'date-time' }) at: Date;
}

export class PrivacyRequestView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: PRIVACY_REQUEST_TYPES }) type: PrivacyRequestType;
  @ApiProperty({ enum: PRIVACY_REQUEST_STATUSES }) status: PrivacyRequestStatus;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) personId: string | null;
  @ApiProperty({ type: [String], description: 'Persons the identifier matched, when more than one did.' }) candidates: string[];
  @ApiProperty({ enum: PRIVACY_REQUEST_CHANNELS }) channel: PrivacyRequestChannel;
  @ApiProperty({ nullable: true, type: String }) scope: string | null;
  @ApiProperty({ format: 'date-time' }) receivedAt: Date;
  @ApiProperty({ format: 'date-time' }) dueAt: Date;
  @ApiProperty({ description: 'Open past its due date.' }) overdue: boolean;
  @ApiProperty({ nullable: true, type: String }) extensionReason: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) extensionToldAt: Date | null;
  @ApiProperty({ nullable: true, type: String }) identityMethod: string | null;
  @ApiProperty({ nullable: true, type: [String] }) identityDocuments: string[] | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) identityVerifiedAt: Date | null;
  @ApiProperty({ nullable: true, type: String }) refusalReason: string | null;
  @ApiProperty({ nullable: true, type: String }) refusalOptions: string | null;
  @ApiProperty({ nullable: true, type: Object, description: 'What was done, in counts and facts: the proof.' }) outcome: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) completedAt: Date | null;
  @ApiPropertyOptional({ type: [PrivacyRequestActionView] }) actions?: PrivacyRequestActionView[];
}
