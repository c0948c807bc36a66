import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDate, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { trimmed } from '../../common/validation';

export class CompanyQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Part of the name or domain.' })
  @IsOptional() @IsString() @Transform(trimmed) @Length(2, 200)
  q?: string;

  @ApiPropertyOptional({ description: 'Only active customers (true) or only other companies (false).', enum: ['true', 'false'] })
  @IsOptional() @IsIn(['true', 'false'])
  customer?: 'true' | 'false';
}

export class BecomeCustomerDto {
  @ApiProperty({ format: 'date-time', description: 'The last service delivered; the customer retention clock (6.4) counts from it.' })
  @Type(() => Date) @IsDate()
  lastServiceDeliveryAt: Date;
}

export class AccountManagersDto {
  @ApiProperty({ type: [String], format: 'uuid', description: 'Users with the account_manager role; replaces the current set.' })
  @IsArray() @ArrayMaxSize(50) @IsUUID('all', { each: true })
  userIds: string[];
}

export class GrantAccessDto {
  @ApiProperty({ format: 'uuid', description: 'The employee concerned.' })
  @IsUUID()
  userId: string;

  @ApiProperty({ description: 'Why they need the customer’s data (kept with the grant).', maxLength: 500 })
  @IsString() @Transform(trimmed) @Length(3, 500)
  reason: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the access ends by itself.' })
  @IsOptional() @Type(() => Date) @IsDate()
  expiresAt?: Date;
}

export class CompanyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ nullable: true }) domain: string | null;
  @ApiPropertyOptional({ nullable: true }) address: string | null;
  @ApiProperty({ description: 'An active customer: its people are seen only by its account managers, employees granted access and admins.' }) isCustomer: boolean;
  @ApiPropertyOptional({ nullable: true }) lastServiceDeliveryAt: Date | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class AccountManagerView {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() name: string;
  @ApiProperty() assignedAt: Date;
}

export class AccessGrantView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() reason: string;
  @ApiPropertyOptional({ nullable: true }) grantedBy: string | null;
  @ApiProperty() grantedAt: Date;
  @ApiPropertyOptional({ nullable: true }) expiresAt: Date | null;
  @ApiPropertyOptional({ nullable: true }) revokedAt: Date | null;
  @ApiProperty({ description: 'Unrevoked and unexpired now.' }) active: boolean;
}

export class CompanyDetailView extends CompanyView {
  @ApiProperty({ type: [AccountManagerView] }) accountManagers: AccountManagerView[];
}

export class CompanyPage {
  @ApiProperty({ type: [CompanyView] }) items: CompanyView[];
  @ApiPropertyOptional({ nullable: true }) nextCursor: string | null;
}
