import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Entity type, e.g. `staff_user`, `person`.' })
  @IsOptional() @IsString() @MaxLength(100)
  entityType?: string;

  @ApiPropertyOptional({ description: 'The id of one entity.' })
  @IsOptional() @IsString() @MaxLength(100)
  entityId?: string;

  @ApiPropertyOptional({ description: 'The acting staff user or API key.', format: 'uuid' })
  @IsOptional() @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({ description: 'Action, e.g. `user.updated`.' })
  @IsOptional() @IsString() @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({ description: 'From this time (inclusive), ISO 8601.', format: 'date-time' })
  @IsOptional() @Type(() => Date) @IsDate()
  from?: Date;

  @ApiPropertyOptional({ description: 'Until this time (exclusive), ISO 8601.', format: 'date-time' })
  @IsOptional() @Type(() => Date) @IsDate()
  to?: Date;
}

export class AuditEntryView {
  @ApiProperty({ description: 'Sequence number; later entries have higher ids.' }) id: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: Date;
  @ApiProperty({ enum: ['user', 'api_key', 'system', 'anonymous'] }) actorType: string;
  @ApiProperty({ nullable: true, format: 'uuid', type: String }) actorId: string | null;
  @ApiProperty({ example: 'user.updated' }) action: string;
  @ApiProperty({ example: 'staff_user' }) entityType: string;
  @ApiProperty({ nullable: true, type: String }) entityId: string | null;
  @ApiProperty({ nullable: true, description: 'Changed fields: `{field: {before, after}}`, personal values masked.', type: Object })
  changes: Record<string, { before: unknown; after: unknown }> | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last page.' }) nextCursor: string | null;
}
