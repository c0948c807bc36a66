import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { trimmed } from '../../../common/validation';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsEmail, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, IsUrl, MaxLength } from 'class-validator';
import { INQUIRY_TYPES, type ConsentPurpose, type InquiryType } from '../../../domain/purposes';
import { FORM_TARGETS, type FormTarget } from '../entities/intake-form.entity';


export class CreateIntakeFormDto {
  @ApiProperty({ example: 'contact-us', description: 'The URL key: lower-case letters, digits and dashes.' })
  @Matches(/^[a-z0-9][a-z0-9-]{1,62}$/, { message: 'key must be 2-63 lower-case letters, digits or dashes' })
  key: string;

  @ApiProperty({ example: 'Contact us (website)' })
  @Transform(trimmed) @IsString() @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ type: [String], example: ['https://www.example.com'], description: 'Browser origins allowed to post (scheme, host and port; no path).' })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @Matches(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, { each: true, message: 'each allowed origin must look like https://www.example.com (no path, no trailing slash)' })
  allowedOrigins?: string[];

  @ApiProperty({ type: Object, example: { 'your-name': 'name', 'your-email': 'email', 'your-message': 'request' }, description: `The form's field name -> one of: ${FORM_TARGETS.join(', ')}.` })
  @IsObject()
  fieldMapping: Record<string, FormTarget>;

  @ApiProperty({ enum: INQUIRY_TYPES })
  @IsIn(INQUIRY_TYPES)
  defaultInquiryType: InquiryType;

  @ApiPropertyOptional({ type: Object, example: { 'Get a quote': 'services' }, description: 'Values of the field mapped to inquiryType -> inquiry type.' })
  @IsOptional() @IsObject()
  inquiryTypeValues?: Record<string, InquiryType>;

  @ApiPropertyOptional({ type: Object, example: { 'consent-updates': 'service_updates' }, description: 'Checkbox field -> the consent purpose it grants.' })
  @IsOptional() @IsObject()
  consentFields?: Record<string, ConsentPurpose>;

  @ApiPropertyOptional({ type: Object, example: { 'consent-updates': 'Yes, send me news about your services (you can unsubscribe at any time).' }, description: 'Checkbox field -> the exact text the site shows beside it; required for every consent checkbox. The consent ledger records this text.' })
  @IsOptional() @IsObject()
  consentTexts?: Record<string, string>;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Where notifications of this form’s unowned leads go (else SALES_INBOX).' })
  @IsOptional() @IsEmail()
  notifyEmail?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'A hidden field people never see; filled or missing holds the submission for review.' })
  @IsOptional() @IsString() @Length(1, 100)
  honeypotField?: string | null;

  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Seconds after rendering before which a submission is held (the page embeds a render token from GET /api/intake/forms/{key}/render-token).' })
  @IsOptional() @IsInt() @Min(1) @Max(3600)
  minFillSeconds?: number | null;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'Where a browser is sent (303) after a plain HTML post (Accept: text/html); JSON callers get the 202.' })
  @IsOptional() @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false }) @MaxLength(2000)
  thankYouUrl?: string | null;
}

export class UpdateIntakeFormDto extends PartialType(OmitType(CreateIntakeFormDto, ['key'] as const)) {}

export class FormLastDayView {
  @ApiProperty() posts: number;
  @ApiProperty({ description: 'Posts held for a bot trap (honeypot, render token, fill time).' }) heldForTrap: number;
  @ApiProperty({ type: Object, description: 'Trap reason -> posts held for it.' }) byReason: Record<string, number>;
}

export class IntakeFormView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() key: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Where the website posts.' }) submitPath: string;
  @ApiProperty({ type: [String] }) allowedOrigins: string[];
  @ApiProperty({ type: Object }) fieldMapping: Record<string, string>;
  @ApiProperty({ enum: INQUIRY_TYPES }) defaultInquiryType: string;
  @ApiProperty({ type: Object }) inquiryTypeValues: Record<string, string>;
  @ApiProperty({ type: Object }) consentFields: Record<string, string>;
  @ApiProperty({ type: Object, description: 'Checkbox field -> the exact text the site shows beside it.' }) consentTexts: Record<string, string>;
  @ApiProperty({ description: 'Counted up whenever a checkbox text changes.' }) consentTextsVersion: number;
  @ApiProperty({ nullable: true, type: String }) notifyEmail: string | null;
  @ApiProperty({ nullable: true, type: String }) honeypotField: string | null;
  @ApiProperty({ nullable: true, type: Number }) minFillSeconds: number | null;
  @ApiProperty({ nullable: true, type: String }) thankYouUrl: string | null;
  @ApiProperty({ description: 'A script the site can include to fill the render token and post the form (see docs/integrations.md).' }) embedScript: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) archivedAt: Date | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ format: 'date-time' }) updatedAt: Date;
  @ApiPropertyOptional({ type: FormLastDayView, description: 'On GET of one form: the last day’s posts and those held for a bot trap, by reason. Most posts held for a trap means a broken integration.' })
  lastDay?: FormLastDayView;
}

export class CreatedIntakeFormView extends IntakeFormView {
  @ApiProperty({ description: 'HMAC-SHA256 key for a server-side relay (header X-Signature: hex of the raw body). Shown once.' })
  signingSecret: string;
}

export class SubmissionAcceptedView {
  @ApiProperty({ format: 'uuid', description: 'The submission’s id (its capture carries the same id once accepted).' }) reference: string;
  @ApiProperty({ example: 'accepted' }) status: string;
}

export class RenderTokenView {
  @ApiProperty({ example: '_crm_rendered', description: 'The hidden field to put the token in.' }) field: string;
  @ApiProperty() token: string;
}
