import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import {
  AssignOwnerDto, CallDto, CaptureInquiryDto, NewLeadDto, NewLeadView, CreatedView, ChangeStatusDto, ChatDto, ConvertDto, MergeDto, MergeResultView, NoteDto, PersonDetailView, PersonPage, PersonQuery, PersonView, RectifyPersonDto, RestrictDto, LiftRestrictionDto, UnderSixteenDto, UnderSixteenView } from './dto/person.dto';
import { PersonsService } from './persons.service';

@ApiTags('persons')
@Controller('persons')
@Roles('sales', 'account_manager', 'admin')
@ApiNotFoundResponse({ description: 'No such person.' })
export class PersonsController {
  constructor(private readonly persons: PersonsService) {}

  @Get()
  @ApiOperation({ summary: 'List and search people, with filters, sorting and cursor pagination' })
  @ApiOkResponse({ type: PersonPage })
  list(@CurrentActor() actor: Actor, @Query() query: PersonQuery): Promise<PersonPage> {
    return this.persons.list(actor, query);
  }

  @Post('merge')
  @HttpCode(200)
  @ApiOperation({ summary: 'Merge two records of one person (a dry run unless dryRun is false)' })
  @ApiOkResponse({ type: MergeResultView })
  merge(@CurrentActor() actor: Actor, @Body() dto: MergeDto): Promise<MergeResultView> {
    return this.persons.merge(actor, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One person with captures, consents, legal bases, timeline and retention (the read is audited)' })
  @ApiOkResponse({ type: PersonDetailView })
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<PersonDetailView> {
    return this.persons.get(actor, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rectify fields (audited with before and after)' })
  @ApiOkResponse({ type: PersonView })
  @ApiConflictResponse({ description: 'The e-mail or phone number belongs to another record (the same answer whoever holds it): an admin can merge the two.' })
  rectify(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: RectifyPersonDto): Promise<PersonView> {
    return this.persons.rectify(actor, id, dto);
  }

  @Post(':id/owner')
  @HttpCode(200)
  @ApiOperation({ summary: 'Assign (or clear) the owner' })
  @ApiOkResponse({ type: PersonView })
  assignOwner(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: AssignOwnerDto): Promise<PersonView> {
    return this.persons.assignOwner(actor, id, dto);
  }

  @Post(':id/status')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move through the lifecycle: new, contacted, qualified, disqualified' })
  @ApiOkResponse({ type: PersonView })
  changeStatus(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ChangeStatusDto): Promise<PersonView> {
    return this.persons.changeStatus(actor, id, dto);
  }

  @Post()
  @ApiOperation({ summary: 'Enter a lead by hand (a call, a meeting, a business card): stated legal basis and consent, owned by whoever enters it' })
  @ApiCreatedResponse({ type: NewLeadView, description: 'The person (an existing one when the address or number is known) and the capture.' })
  create(@CurrentActor() actor: Actor, @Body() dto: NewLeadDto): Promise<NewLeadView> {
    return this.persons.create(actor, dto);
  }

  @Patch(':id/captures/:captureId')
  @ApiOperation({ summary: 'Set or correct what a capture asks for (its inquiry type); the legal basis of handling the request follows, audited' })
  @ApiOkResponse({ type: PersonView })
  setInquiryType(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Param('captureId', ParseUUIDPipe) captureId: string, @Body() dto: CaptureInquiryDto): Promise<PersonView> {
    return this.persons.setInquiryType(actor, id, captureId, dto.inquiryType);
  }

  @Post(':id/convert')
  @HttpCode(200)
  @ApiOperation({ summary: 'Convert to a customer of a company (existing, or created here)' })
  @ApiOkResponse({ type: PersonView })
  convert(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ConvertDto): Promise<PersonView> {
    return this.persons.convert(actor, id, dto);
  }

  @Post(':id/restriction')
  @HttpCode(200)
  @Roles('dpo', 'admin')
  @ApiOperation({ summary: 'Restrict processing (policy 9.4): kept, processed no further; HubSpot is told once' })
  @ApiOkResponse({ type: PersonView })
  restrict(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: RestrictDto): Promise<PersonView> {
    return this.persons.restrict(actor, id, dto.reason);
  }

  @Post(':id/restriction/lift')
  @HttpCode(200)
  @Roles('dpo', 'admin')
  @ApiOperation({ summary: 'Lift a restriction (Art. 18(3)): with a reason, once the person was told' })
  @ApiOkResponse({ type: PersonView })
  liftRestriction(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: LiftRestrictionDto): Promise<PersonView> {
    return this.persons.liftRestriction(actor, id, dto.reason, dto.personInformedAt);
  }

  @Post(':id/under-16')
  @HttpCode(200)
  @Roles('sales', 'account_manager', 'dpo', 'admin')
  @ApiOperation({ summary: 'This person is under 16 (policy 2.3): erased everywhere, HubSpot included, with the reason recorded' })
  @ApiOkResponse({ type: UnderSixteenView })
  underSixteen(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UnderSixteenDto): Promise<UnderSixteenView> {
    return this.persons.eraseUnderSixteen(actor, id, dto.reason);
  }

  @Post(':id/marketing-objection')
  @HttpCode(200)
  @Roles('sales', 'account_manager', 'dpo', 'admin')
  @ApiOperation({ summary: 'Record an objection to direct marketing (policy 9.6): marketing consents withdrawn, unsubscribed in HubSpot' })
  @ApiOkResponse({ type: PersonView })
  objectToMarketing(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<PersonView> {
    return this.persons.objectToMarketing(actor, id);
  }

  @Post(':id/notes')
  @ApiOperation({ summary: 'Add a note to the timeline' })
  @ApiCreatedResponse({ type: CreatedView })
  addNote(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: NoteDto): Promise<{ id: string }> {
    return this.persons.addNote(actor, id, dto.text);
  }

  @Post(':id/calls')
  @ApiOperation({ summary: 'Log a call: number, direction, duration, recording reference' })
  @ApiCreatedResponse({ type: CreatedView })
  logCall(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: CallDto): Promise<{ id: string }> {
    return this.persons.logCall(actor, id, dto);
  }

  @Post(':id/chats')
  @ApiOperation({ summary: 'Log a messenger chat: service, handle, transcript' })
  @ApiCreatedResponse({ type: CreatedView })
  logChat(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: ChatDto): Promise<{ id: string }> {
    return this.persons.logChat(actor, id, dto);
  }
}
