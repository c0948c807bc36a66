import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDate, IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';

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
  @ApiProperty({ type: [Object], description: 'Every signal screening saw, each with its weight (what it added to the score; negative speaks for a real inquiry), whether it decides alone, and its evidence.' }) reasons: unknown[];
  @ApiProperty({ nullable: true, type: Number, description: 'The sum of the signals’ weights (absent on items screened before scores).' }) score: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'What the score had to reach to hold.' }) threshold: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The learner’s model version that judged it.' }) modelVersion: string | null;
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

