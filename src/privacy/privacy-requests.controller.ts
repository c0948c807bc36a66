import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { trimmed } from '../common/validation';
import { PersonDetailView } from '../leads/dto/person.dto';
import { PersonsService } from '../leads/persons.service';

export class PrivacyRecordRequestDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @ValidateIf((o: PrivacyRecordRequestDto) => !o.email) @IsUUID()
  personId?: string;

  @ApiPropertyOptional({ description: 'The address the request came from, when the id is not known.' })
  @IsOptional() @IsEmail()
  email?: string;

  @ApiProperty({ description: 'The privacy request this serves (kept in the audit log), e.g. "access request of 2026-11-20, ticket 4411".' })
  @IsString() @Transform(trimmed) @Length(10, 500)
  reason: string;
}

/** The DPO's recorded way to any person's record, an active customer's included (policy 9, 6.2(8)). */
@ApiTags('privacy')
@Controller('privacy/records')
@Roles('dpo', 'admin')
export class PrivacyRequestsController {
  constructor(private readonly persons: PersonsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Open a person’s whole record for a privacy request, with the reason recorded (by id or e-mail)' })
  @ApiOkResponse({ type: PersonDetailView })
  open(@CurrentActor() actor: Actor, @Body() dto: PrivacyRecordRequestDto): Promise<PersonDetailView> {
    return this.persons.readForPrivacyRequest(actor, dto);
  }
}
