import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { trimmed } from '../../common/validation';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDate, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { BLOCK_TYPES, type BlockType } from '../entities/sender-list-entry.entity';


export class HeldQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() formId?: string;
  @ApiPropertyOptional({ example: 'keyword', description: 'A reason code: blocklist, keyword, too_many_links, url_in_name, html, disposable_email, honeypot_filled, too_fast, burst ...' })
  @IsOptional() @IsString() @MaxLength(50) reason?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() from?: Date;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() to?: Date;
}

export class HeldItemView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) formId: string | null;
  @ApiProperty({ format: 'date-time' }) receivedAt: Date;
  @ApiProperty({ type: Object, description: 'The fields as received.' }) fields: Record<string, unknown>;
  @ApiProperty({ type: [Object], description: 'Every reason it was held, with its evidence.' }) reasons: unknown[];
  @ApiProperty({ type: [String], description: 'The matched words and phrases, to highlight.' }) highlights: string[];
  @ApiProperty() ruleSetVersion: string;
}

export class HeldPage {
  @ApiProperty({ type: [HeldItemView] }) items: HeldItemView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export const DECISIONS = ['release', 'spam', 'spam_and_block'] as const;
export type Decision = (typeof DECISIONS)[number];

export class DecideDto {
  @ApiProperty({ type: [String], description: 'One or more held submissions (up to 200).' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(200) @IsUUID('all', { each: true })
  ids: string[];

  @ApiProperty({ enum: DECISIONS, description: 'release: processed as if it had passed (keeping its time), sender allow-listed; spam; spam_and_block: also blocks the sender.' })
  @IsIn(DECISIONS)
  decision: Decision;

  @ApiPropertyOptional({ enum: ['spam', 'swindler'], description: 'For spam_and_block: how the sender is tagged.' })
  @IsOptional() @IsIn(['spam', 'swindler'])
  blockAs?: 'spam' | 'swindler';

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000)
  comment?: string;
}

export class DecisionResultView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'released, spam, or why nothing was done (e.g. already decided).' }) outcome: string;
}

export class RuleDto {
  @ApiProperty({ enum: ['word', 'phrase', 'regex'] }) @IsIn(['word', 'phrase', 'regex']) kind: 'word' | 'phrase' | 'regex';
  @ApiProperty({ description: 'Words and phrases match whole words, case and accents aside (æ, ø, å included); a regex runs on the same folded text.' })
  @Transform(trimmed) @IsString() @Length(1, 500)
  pattern: string;
  @ApiProperty({ enum: ['spam', 'misleading'] }) @IsIn(['spam', 'misleading']) tag: 'spam' | 'misleading';
}

export class RuleView extends RuleDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: Date;
}

export class SenderDto {
  @ApiProperty({ enum: ['block', 'allow'] }) @IsIn(['block', 'allow']) list: 'block' | 'allow';
  @ApiProperty({ enum: BLOCK_TYPES }) @IsIn(BLOCK_TYPES) type: BlockType;
  @ApiProperty({ example: 'spammer@example.com' }) @Transform(trimmed) @IsString() @Length(1, 320) value: string;
  @ApiPropertyOptional({ enum: ['spam', 'swindler'] }) @IsOptional() @IsIn(['spam', 'swindler']) tag?: 'spam' | 'swindler';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) reason?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @Type(() => Date) @IsDate() expiresAt?: Date;
}

export class SenderView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['block', 'allow'] }) list: string;
  @ApiProperty({ enum: BLOCK_TYPES }) type: string;
  @ApiProperty() value: string;
  @ApiProperty({ nullable: true, type: String }) tag: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) createdBy: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expiresAt: Date | null;
}

export class DryRunDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(320) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(60) ip?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20000) text?: string;
}

export class DryRunView {
  @ApiProperty({ enum: ['clean', 'held', 'blocked'] }) outcome: string;
  @ApiProperty({ type: [Object] }) reasons: unknown[];
  @ApiProperty() ruleSetVersion: string;
}
