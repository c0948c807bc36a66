import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { HubspotStatusView, RequeuedView, SyncFailureView } from './dto/hubspot.dto';
import { HubspotStatusService } from './hubspot-status.service';

@ApiTags('hubspot')
@Controller('hubspot')
@Roles('admin', 'sales')
export class HubspotController {
  constructor(private readonly status: HubspotStatusService) {}

  @Get('status')
  @ApiOperation({ summary: 'The sync: backlog, throughput, last error, and whether it is paused and why' })
  @ApiOkResponse({ type: HubspotStatusView })
  get(): Promise<HubspotStatusView> {
    return this.status.status();
  }

  @Get('failures')
  @ApiOperation({ summary: 'People whose last sync HubSpot refused, with its message' })
  @ApiOkResponse({ type: [SyncFailureView] })
  failures(): Promise<SyncFailureView[]> {
    return this.status.failures();
  }

  @Post('failures/requeue')
  @HttpCode(200)
  @ApiOperation({ summary: 'Queue every failed person again' })
  @ApiOkResponse({ type: RequeuedView })
  requeueAll(@CurrentActor() actor: Actor): Promise<RequeuedView> {
    return this.status.requeue(actor);
  }

  @Post('failures/:personId/requeue')
  @HttpCode(200)
  @ApiOperation({ summary: 'Queue one failed person again' })
  @ApiOkResponse({ type: RequeuedView })
  requeueOne(@CurrentActor() actor: Actor, @Param('personId', ParseUUIDPipe) personId: string): Promise<RequeuedView> {
    return this.status.requeue(actor, personId);
  }
}
