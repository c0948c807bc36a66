import { Body, Controller, Get, Header, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { trimmed } from '../common/validation';
import { PersonDetailView, PersonView } from '../leads/dto/person.dto';
import { PersonsService } from '../leads/persons.service';
import { ChoosePersonDto, ExtendDeadlineDto, FulfilDto, IdentityRequestDto, LookupQuery, OpenPrivacyRequestDto, PrivacyRequestQuery, PrivacyRequestView, RefuseDto, VerifyIdentityDto } from './dto/privacy-request.dto';
import { PrivacyRequestsService } from './privacy-requests.service';

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
export class PrivacyRecordsController {
  constructor(private readonly persons: PersonsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Open a person’s whole record for a privacy request, with the reason recorded (by id or e-mail)' })
  @ApiOkResponse({ type: PersonDetailView })
  open(@CurrentActor() actor: Actor, @Body() dto: PrivacyRecordRequestDto): Promise<PersonDetailView> {
    return this.persons.readForPrivacyRequest(actor, dto);
  }
}

/** Data subjects' requests as cases, handled by the DPO (policy 9). */
@ApiTags('privacy')
@Controller('privacy-requests')
@Roles('dpo')
export class PrivacyRequestsController {
  constructor(private readonly requests: PrivacyRequestsService) {}

  @Post()
  @ApiOperation({ summary: 'Open a request: its type, the person (found by any e-mail or phone they ever gave; several matches are listed to choose from), how and when it arrived' })
  @ApiOkResponse({ type: PrivacyRequestView })
  open(@CurrentActor() actor: Actor, @Body() dto: OpenPrivacyRequestDto): Promise<PrivacyRequestView> {
    return this.requests.open(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Requests by state: open (default), due this week, overdue, closed, all; soonest due first' })
  @ApiOkResponse({ type: [PrivacyRequestView] })
  list(@Query() query: PrivacyRequestQuery): Promise<PrivacyRequestView[]> {
    return this.requests.list(query.state);
  }

  @Get('lookup')
  @ApiOperation({ summary: 'Everyone an e-mail address or phone number ever named (their own, or on any capture, merged-away records’ included), customers’ people too; audited' })
  @ApiOkResponse({ type: [PersonView] })
  lookup(@CurrentActor() actor: Actor, @Query() query: LookupQuery): Promise<PersonView[]> {
    return this.requests.lookup(actor, query.identifier);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A request with every step taken' })
  @ApiOkResponse({ type: PrivacyRequestView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<PrivacyRequestView> {
    return this.requests.get(id);
  }

  @Post(':id/person')
  @HttpCode(200)
  @ApiOperation({ summary: 'Settle whom the request is about (one of the candidates)' })
  @ApiOkResponse({ type: PrivacyRequestView })
  choosePerson(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ChoosePersonDto): Promise<PrivacyRequestView> {
    return this.requests.choosePerson(actor, id, dto.personId);
  }

  @Post(':id/identity-request')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record that the requester was asked to prove their identity (how); the request waits, identity pending' })
  @ApiOkResponse({ type: PrivacyRequestView })
  awaitIdentity(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: IdentityRequestDto): Promise<PrivacyRequestView> {
    return this.requests.awaitIdentity(actor, id, dto.how);
  }

  @Post(':id/identity')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record the identity check: method and the two documents’ types (never copies); the request goes in progress' })
  @ApiOkResponse({ type: PrivacyRequestView })
  verifyIdentity(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: VerifyIdentityDto): Promise<PrivacyRequestView> {
    return this.requests.verifyIdentity(actor, id, dto);
  }

  @Post(':id/extension')
  @HttpCode(200)
  @ApiOperation({ summary: 'Extend the deadline by one or two months, with the reason told to the person, within the first month; once' })
  @ApiOkResponse({ type: PrivacyRequestView })
  extend(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ExtendDeadlineDto): Promise<PrivacyRequestView> {
    return this.requests.extend(actor, id, dto);
  }

  @Post(':id/refusal')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refuse, with the reason and the person’s options' })
  @ApiOkResponse({ type: PrivacyRequestView })
  refuse(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: RefuseDto): Promise<PrivacyRequestView> {
    return this.requests.refuse(actor, id, dto);
  }

  @Post(':id/fulfilment')
  @HttpCode(200)
  @ApiOperation({ summary: 'Do what the request asks (identity verified first) and complete it, with what was done as its proof' })
  @ApiOkResponse({ type: PrivacyRequestView })
  fulfil(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: FulfilDto): Promise<PrivacyRequestView> {
    return this.requests.fulfil(actor, id, dto);
  }

  @Get(':id/access-copy')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'An access request’s copy of everything held on the person, as JSON' })
  accessCopy(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.requests.accessCopy(actor, id);
  }

  @Get(':id/access-copy.pdf')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('application/pdf')
  @ApiOperation({ summary: 'The access copy as a PDF encrypted with AES-256; its password is in the X-Pdf-Password header, shown this once: send it to the person by another channel' })
  async accessPdf(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const { pdf, password } = await this.requests.accessPdf(actor, id);
    void reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="access-copy-${id}.pdf"`).header('x-pdf-password', password);
    return pdf;
  }

  @Get(':id/portable-copy')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('application/json', 'text/csv')
  @ApiOperation({ summary: 'A portability request’s copy of what the person provided: JSON, or CSV with ?format=csv (schema in docs/privacy.md)' })
  async portableCopy(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Query('format') format: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const copy = await this.requests.portableCopy(actor, id);
    if (format !== 'csv') return copy;
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="portable-${id}.csv"`);
    return PrivacyRequestsService.portableCsv(copy);
  }
}
