import { Body, Controller, Get, Header, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { CreateEventDto, EventPage, EventQuery, EventView } from './dto/event.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@Controller('events')
@ApiNotFoundResponse({ description: 'No such event.' })
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post()
  @Roles('event_staff', 'admin')
  @ApiOperation({ summary: 'Create an event (name, date, place, organiser)' })
  @ApiCreatedResponse({ type: EventView })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateEventDto): Promise<EventView> {
    return this.events.create(actor, dto);
  }

  @Get()
  @Roles('event_staff', 'admin', 'sales')
  @ApiOperation({ summary: 'Events, newest first, with cursor pagination' })
  @ApiOkResponse({ type: EventPage })
  list(@Query() query: EventQuery): Promise<EventPage> {
    return this.events.list(query);
  }

  @Get(':id')
  @Roles('event_staff', 'admin', 'sales')
  @ApiOperation({ summary: 'One event, with how many registrations the caller may see' })
  @ApiOkResponse({ type: EventView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<EventView> {
    return this.events.get(id);
  }

  @Get(':id/attendees.csv')
  @Roles('event_staff', 'admin')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'The attendee list for the organiser (policy 7.4): each download is recorded in the disclosure log, one row per person' })
  @ApiOkResponse({ description: 'CSV (UTF-8 with BOM); cells that a spreadsheet would run as a formula are prefixed with a single quote.' })
  async attendees(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { fileName, csv } = await this.events.attendeeList(actor, id);
    void reply.header('Content-Disposition', `attachment; filename="${fileName}"`);
    return csv;
  }
}
