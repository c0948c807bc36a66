import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsDate, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { trimmed } from '../../common/validation';

export class RetentionPreviewQuery {
  @ApiProperty({ description: 'The day the sweep would run, ISO 8601.', format: 'date-time' })
  @Type(() => Date) @IsDate()
  asOf: Date;
}

export class PlaceHoldDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The person held (or name a company).' }) @IsOptional() @IsUUID()
  personId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The company held, with all its people (or name a person).' }) @IsOptional() @IsUUID()
  companyId?: string;

  @ApiProperty({ description: 'The legal ground, without naming the person: "dispute 2026-114 over the delivery", "Bokføringsloven § 13 (5 years)".' })
  @IsString() @Transform(trimmed) @Length(5, 500)
  reason: string;

  @ApiProperty({ format: 'date-time', description: 'Held until then; what is due is removed by the first sweep after.' })
  @Type(() => Date) @IsDate({ message: 'until must be a date-time' })
  until: Date;
}

export class HoldsQuery {
  @ApiPropertyOptional({ description: 'Also ended and expired holds.' }) @IsOptional() @Transform(({ value }) => value === 'true' || value === true) @IsBoolean()
  all?: boolean;
}

export class LegalHoldView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) personId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) companyId: string | null;
  @ApiProperty() reason: string;
  @ApiProperty({ format: 'date-time' }) until: Date;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) createdBy: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: Date;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) endedAt: Date | null;
}
