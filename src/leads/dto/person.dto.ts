import { INQUIRY_TYPES, type InquiryType } from '../../domain/purposes';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { trimmed } from '../../common/validation';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDate, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min, ValidateIf, ValidateNested, IsArray, ArrayMinSize, ArrayMaxSize } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { CONSENT_PURPOSES, INTAKE_SOURCES, LEGAL_BASES, type ConsentPurpose, type IntakeSource, type LegalBasis } from '../../domain/purposes';
import { CALL_DIRECTIONS, LIFECYCLE_STATUSES, type CallDirection, type LifecycleStatus } from '../../domain/lifecycle';

const list = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter(Boolean) : value);

export class PersonQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'One or more statuses, comma-separated.', enum: LIFECYCLE_STATUSES, isArray: true })
  @IsOptional() @Transform(list) @IsIn(LIFECYCLE_STATUSES, { each: true })
  status?: LifecycleStatus[];

  @ApiPropertyOptional({ description: 'People with at least one capture from this channel.', enum: INTAKE_SOURCES })
  @IsOptional() @IsIn(INTAKE_SOURCES)
  source?: IntakeSource;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  ownerId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  companyId?: string;

  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate()
  createdFrom?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive.' }) @IsOptional() @Type(() => Date) @IsDate()
  createdTo?: Date;

  @ApiPropertyOptional({ description: 'People whose current consent for this purpose is granted.', enum: CONSENT_PURPOSES })
  @IsOptional() @IsIn(CONSENT_PURPOSES)
  consentPurpose?: ConsentPurpose;

  @ApiPropertyOptional({ description: 'People with a capture processed on this legal basis.', enum: LEGAL_BASES })
  @IsOptional() @IsIn(LEGAL_BASES)
  legalBasis?: LegalBasis;

  @ApiPropertyOptional({ description: 'Free text over name, e-mail and company (at least 2 characters).' })
  @IsOptional() @Transform(trimmed) @IsString() @Length(2, 200)
  q?: string;

  @ApiPropertyOptional({ description: 'A phone number as anyone writes it (`412 34 567`, `+47 41234567`): the person with that number.' })
  @IsOptional() @Transform(trimmed) @IsString() @Length(3, 40)
  phone?: string;

  @ApiPropertyOptional({ enum: ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'name', '-name'], default: '-createdAt' })
  @IsOptional() @IsIn(['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'name', '-name'])
  sort: string = '-createdAt';
}

/** A lead staff enter by hand: someone who called, or whom they met. */
export class NewLeadDto {
  @ApiProperty({ enum: ['manual', 'phone'], description: '`phone`: they called; `manual`: met in person, a business card, a referral.' })
  @IsIn(['manual', 'phone'])
  source: 'manual' | 'phone';

  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @Length(1, 200) firstName?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @Length(1, 200) lastName?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(320) email?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(300) companyName?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(300) position?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(300) location?: string;
  @ApiPropertyOptional({ description: 'What they asked for.' }) @IsOptional() @IsString() @MaxLength(20000) request?: string;

  @ApiPropertyOptional({ enum: INQUIRY_TYPES, default: 'other', description: 'Decides the legal basis of handling the request (policy 3.3).' })
  @IsOptional() @IsIn(INQUIRY_TYPES)
  inquiryType?: InquiryType;

  @ApiPropertyOptional({ enum: CONSENT_PURPOSES, isArray: true, description: 'Consents the person gave (stated to staff), each recorded in the ledger.' })
  @IsOptional() @IsArray() @ArrayMaxSize(3) @IsIn(CONSENT_PURPOSES, { each: true })
  consents?: ConsentPurpose[];

  @ApiPropertyOptional({ description: 'The words the person agreed to (what was read to them, or shown); needed with consents.' })
  @IsOptional() @IsString() @Length(1, 2000)
  consentWording?: string;
}

export class CaptureInquiryDto {
  @ApiProperty({ enum: INQUIRY_TYPES, description: 'What the capture asks for; the legal basis of handling the request follows from it (policy 3.3).' })
  @IsIn(INQUIRY_TYPES)
  inquiryType: InquiryType;
}

export class RectifyPersonDto {
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(200) firstName?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(200) lastName?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(200) position?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(254) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(40) phone?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(200) skypeId?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(500) linkedinUrl?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(200) location?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(200) companyName?: string;
}

export class AssignOwnerDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'A staff user in sales, account management or admin; null to unassign.' })
  // Required, so that an empty body cannot unassign by accident; null unassigns on purpose.
  @ValidateIf((o: AssignOwnerDto) => o.ownerId !== null) @IsUUID('all', { message: 'ownerId must be a user id, or null to unassign' })
  ownerId: string | null;
}

export class ChangeStatusDto {
  @ApiProperty({ enum: LIFECYCLE_STATUSES.filter((s) => s !== 'customer'), description: 'Use the convert action to make a customer.' })
  @IsIn(LIFECYCLE_STATUSES.filter((s) => s !== 'customer'), { message: 'status must be one of: new, contacted, qualified, disqualified (use convert for customer)' })
  status: LifecycleStatus;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  comment?: string;
}

export class NewCompanyDto {
  @ApiProperty() @Transform(trimmed) @IsString() @Length(1, 200) name: string;
  @ApiPropertyOptional({ example: 'example.no' }) @IsOptional() @Transform(trimmed) @IsString() @MaxLength(253) domain?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(trimmed) @IsString() @MaxLength(500) address?: string;
}

export class ConvertDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'An existing company; or give `company` to create one.' })
  @IsOptional() @IsUUID()
  companyId?: string;

  @ApiPropertyOptional({ type: NewCompanyDto })
  @IsOptional() @ValidateNested() @Type(() => NewCompanyDto)
  company?: NewCompanyDto;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Who looks after the customer from now on (active users with the account_manager role). Left out: the converting user.' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(10) @IsUUID('all', { each: true })
  accountManagerIds?: string[];
}

export class RestrictDto {
  @ApiProperty({ description: 'Why (the person’s request, a dispute about accuracy, ...).' }) @Transform(trimmed) @IsString() @Length(1, 2000) reason: string;
}

export class LiftRestrictionDto {
  @ApiProperty({ description: 'Why the restriction ends (the accuracy was verified, the objection was decided, ...).' }) @Transform(trimmed) @IsString() @Length(1, 2000) reason: string;
  @ApiProperty({ format: 'date-time', description: 'When the person was told the restriction will be lifted (Art. 18(3): before it is).' })
  @Type(() => Date) @IsDate({ message: 'personInformedAt must be a date-time' }) personInformedAt: Date;
}

export class UnderSixteenDto {
  @ApiProperty({ description: 'How it became known (the person said so on a call, a parent wrote, ...).' }) @Transform(trimmed) @IsString() @Length(3, 2000) reason: string;
}

export class UnderSixteenView {
  @ApiProperty() erased: boolean;
  @ApiProperty({ description: 'HubSpot deletes queued (each contact id and address the person had).' }) hubspotPurges: number;
}

export class NoteDto {
  @ApiProperty() @IsString() @Length(1, 20000) text: string;
}

export class CallDto {
  @ApiProperty({ description: 'The number called or calling.' }) @IsString() @MaxLength(40) phone: string;
  @ApiProperty({ enum: CALL_DIRECTIONS }) @IsIn(CALL_DIRECTIONS) direction: CallDirection;
  @ApiProperty({ minimum: 0 }) @Type(() => Number) @IsInt() @Min(0) @Max(86400) durationSeconds: number;
  @ApiPropertyOptional({ description: 'Where the full recording is kept.' }) @IsOptional() @IsString() @MaxLength(1000) recordingRef?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() occurredAt?: Date;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20000) summary?: string;
}

export class ChatDto {
  @ApiProperty({ example: 'whatsapp' }) @Transform(trimmed) @IsString() @Length(1, 50) service: string;
  @ApiProperty({ description: 'The person’s handle on that service.' }) @Transform(trimmed) @IsString() @Length(1, 200) handle: string;
  @ApiProperty() @IsString() @Length(1, 200000) transcript: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() occurredAt?: Date;
}

export class MergeDto {
  @ApiProperty({ format: 'uuid', description: 'Survives, and inherits everything.' }) @IsUUID() winnerId: string;
  @ApiProperty({ format: 'uuid', description: 'Is removed after the move.' }) @IsUUID() loserId: string;
  @ApiPropertyOptional({ default: true, description: 'Show what would happen without changing anything.' })
  @IsOptional() @IsBoolean()
  dryRun: boolean = true;
}

export class PersonView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String }) firstName: string | null;
  @ApiProperty({ nullable: true, type: String }) lastName: string | null;
  @ApiProperty({ nullable: true, type: String }) position: string | null;
  @ApiProperty({ nullable: true, type: String }) email: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'E.164' }) phone: string | null;
  @ApiProperty({ nullable: true, type: String }) skypeId: string | null;
  @ApiProperty({ nullable: true, type: String }) linkedinUrl: string | null;
  @ApiProperty({ nullable: true, type: String }) location: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) companyId: string | null;
  @ApiProperty({ nullable: true, type: String }) companyName: string | null;
  @ApiProperty({ enum: LIFECYCLE_STATUSES }) status: LifecycleStatus;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) ownerId: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The owner’s name (in lists and the record).' }) ownerName?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'In lists: the start (200 characters) of the latest capture’s request.' }) latestRequest?: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'In lists: the latest capture’s inquiry type.' }) latestInquiryType?: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) restrictedAt: Date | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) marketingObjectionAt: Date | null;
  @ApiProperty({ enum: ['pending', 'synced', 'failed', 'suppressed', 'restricted'], description: 'HubSpot sync state.' }) syncState: string;
  @ApiProperty({ nullable: true, type: String }) hubspotId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) syncedAt: Date | null;
  @ApiProperty({ nullable: true, type: String, description: 'HubSpot’s message when the last sync failed.' }) syncError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ format: 'date-time' }) updatedAt: Date;
}

export class PersonPage {
  @ApiProperty({ type: [PersonView] }) items: PersonView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class CaptureView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: INTAKE_SOURCES }) source: IntakeSource;
  @ApiProperty({ nullable: true, type: String }) sourceRef: string | null;
  @ApiProperty({ format: 'date-time' }) receivedAt: Date;
  @ApiProperty({ nullable: true, type: String }) inquiryType: string | null;
  @ApiProperty({ nullable: true, type: String }) request: string | null;
  @ApiProperty({ type: Object, description: 'The submitted fields as received.' }) payload: Record<string, unknown>;
  @ApiProperty({ description: 'Optional values that could not be read: kept as given in the payload, left off the person.', type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } })
  warnings: { field: string; message: string }[];
  @ApiProperty({ type: Object, description: 'Purpose -> legal basis.' }) legalBases: Record<string, string>;
  @ApiProperty({ enum: CONSENT_PURPOSES, isArray: true }) consentsGiven: string[];
  @ApiProperty() policyVersion: string;
  @ApiProperty({ description: 'What the retention clock counts from.' }) retentionAnchor: string;
  @ApiProperty({ format: 'date-time' }) retentionAnchorAt: Date;
  @ApiProperty({ format: 'date-time' }) retentionDueAt: Date;
}

export class ConsentEventView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: CONSENT_PURPOSES }) purpose: string;
  @ApiProperty({ enum: ['granted', 'withdrawn'] }) action: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: Date;
  @ApiProperty({ enum: INTAKE_SOURCES }) source: string;
  @ApiProperty({ nullable: true, type: String }) captureId: string | null;
  @ApiProperty() policyVersion: string;
  @ApiProperty({ description: 'The exact words the person was shown.' }) wording: string;
}

export class ConsentStateView {
  @ApiProperty({ enum: CONSENT_PURPOSES }) purpose: string;
  @ApiProperty({ enum: ['granted', 'withdrawn'] }) state: string;
  @ApiProperty({ format: 'date-time' }) since: Date;
}

export class ActivityView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() type: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: Date;
  @ApiProperty({ nullable: true, type: String }) body: string | null;
  @ApiProperty({ nullable: true, type: Object }) details: Record<string, unknown> | null;
  @ApiProperty({ nullable: true, type: String }) captureId: string | null;
  @ApiProperty() actorType: string;
  @ApiProperty({ nullable: true, type: String }) actorId: string | null;
}

export class RetentionView {
  @ApiProperty({ format: 'date-time', description: 'The person is kept while any capture’s clock runs: the latest due date.' }) keptUntil: Date;
}

export class EventRegistrationView {
  @ApiProperty({ format: 'uuid' }) eventId: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date' }) date: string;
  @ApiProperty({ nullable: true, type: String }) ticketType: string | null;
  @ApiProperty({ format: 'date-time' }) registeredAt: Date;
}

export class RecipientView {
  @ApiProperty({ description: '`hubspot`, or `event_organiser:<event id>`.' }) recipient: string;
  @ApiProperty({ description: 'What went: `contact_upsert`, `attendee_list`, …' }) kind: string;
  @ApiProperty() times: number;
  @ApiProperty({ format: 'date-time' }) firstAt: Date;
  @ApiProperty({ format: 'date-time' }) lastAt: Date;
}

export class PersonDetailView extends PersonView {
  @ApiProperty({ type: [CaptureView] }) captures: CaptureView[];
  @ApiProperty({ type: [ConsentStateView], description: 'The current state per purpose (the latest event).' }) consents: ConsentStateView[];
  @ApiProperty({ type: [ConsentEventView] }) consentEvents: ConsentEventView[];
  @ApiProperty({ type: Object, description: 'Purpose -> the legal bases it is processed on, over all captures.' }) legalBases: Record<string, string[]>;
  @ApiProperty({ type: [ActivityView] }) timeline: ActivityView[];
  @ApiProperty({ type: RetentionView }) retention: RetentionView;
  @ApiProperty({ type: [EventRegistrationView], description: 'The events the person was registered for, latest first.' }) eventRegistrations: EventRegistrationView[];
  @ApiProperty({ type: [RecipientView], description: 'To whom the person’s data was disclosed (the disclosure log; policy 9.1, 9.5).' }) recipients: RecipientView[];
  @ApiProperty({ type: [String], description: 'Screening matches on staff-entered data, which is never held: a block-listed sender, a disposable address.' }) warnings: string[];
}

export class MergeResultView {
  @ApiProperty() applied: boolean;
  @ApiProperty({ format: 'uuid' }) winnerId: string;
  @ApiProperty({ format: 'uuid' }) loserId: string;
  @ApiProperty({ type: Object, description: 'How many captures, consent events, activities, event registrations and disclosure records move (a registration for an event the winner attended already is dropped, its capture kept).' })
  moves: { captures: number; consentEvents: number; activities: number; eventRegistrations: number; disclosures: number };
  @ApiProperty({ type: [String], description: 'Fields blank on the winner that the loser fills.' }) fieldsFilled: string[];
  @ApiProperty({ type: [String], description: 'Fields both have with different values; the winner’s value stays.' }) conflicts: string[];
}

export class NewLeadView {
  @ApiProperty({ format: 'uuid', description: 'The person.' }) id: string;
  @ApiProperty({ format: 'uuid' }) captureId: string;
  @ApiProperty({ description: 'False when the address or number belonged to someone already known.' }) created: boolean;
}

export class CreatedView {
  @ApiProperty({ format: 'uuid' }) id: string;
}
