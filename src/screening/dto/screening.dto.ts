import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { trimmed } from '../../common/validation';
import { Transform, Type } from 'class-transformer';
import { IsDate, IsIn, IsNumber, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { BLOCK_TYPES, type BlockType } from '../entities/sender-list-entry.entity';


export class RuleDto {
  @ApiProperty({ enum: ['word', 'phrase', 'regex'] }) @IsIn(['word', 'phrase', 'regex']) kind: 'word' | 'phrase' | 'regex';
  @ApiProperty({ description: 'Words and phrases match whole words, case and accents aside (æ, ø, å included); a regex runs on the same folded text.' })
  @Transform(trimmed) @IsString() @Length(1, 500)
  pattern: string;
  @ApiProperty({ enum: ['spam', 'misleading'] }) @IsIn(['spam', 'misleading']) tag: 'spam' | 'misleading';
  @ApiPropertyOptional({ description: 'What a match adds to the score (the threshold is 1 by default); 0.5 unless given. Negative: a phrase that speaks for a real inquiry.', minimum: -5, maximum: 5, default: 0.5 })
  @IsOptional() @Type(() => Number) @IsNumber() @Min(-5) @Max(5)
  weight?: number;
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
  @ApiProperty() score: number;
  @ApiProperty() threshold: number;
  @ApiProperty() modelVersion: string;
  @ApiProperty({ type: [Object] }) reasons: unknown[];
  @ApiProperty() ruleSetVersion: string;
}
