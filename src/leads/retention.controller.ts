import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { PageQuery } from '../common/pagination';
import type { Actor } from '../domain/actor';
import { HoldsQuery, LegalHoldView, PlaceHoldDto, RetentionPreviewQuery } from './dto/retention.dto';
import { RetentionService } from './retention.service';

@ApiTags('retention')
@Controller('retention')
@Roles('admin', 'dpo')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Get('preview')
  @ApiOperation({ summary: 'What a retention sweep on that date would remove, by channel and action; changes nothing' })
  preview(@Query() query: RetentionPreviewQuery) {
    return this.retention.preview(query.asOf);
  }

  @Post('holds')
  @ApiOperation({ summary: 'Put a person, or a company with its people, on legal hold until a date, with the reason: the sweep keeps them and reports it' })
  @ApiCreatedResponse({ type: LegalHoldView })
  placeHold(@CurrentActor() actor: Actor, @Body() dto: PlaceHoldDto): Promise<LegalHoldView> {
    return this.retention.placeHold(actor, dto);
  }

  @Get('holds')
  @ApiOperation({ summary: 'Holds in force (all, with ?all=true), latest first' })
  @ApiOkResponse({ type: [LegalHoldView] })
  holds(@Query() query: HoldsQuery): Promise<LegalHoldView[]> {
    return this.retention.holds(query.all ?? false);
  }

  @Delete('holds/:id')
  @ApiOperation({ summary: 'End a hold early; what it kept is due at the next sweep' })
  @ApiOkResponse({ type: LegalHoldView })
  endHold(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<LegalHoldView> {
    return this.retention.endHold(actor, id);
  }

  @Get('runs')
  @ApiOperation({ summary: 'Past retention sweeps’ reports (counts per channel and action), newest first' })
  runs(@Query() query: PageQuery) {
    return this.retention.runs(query.limit, query.cursor);
  }
}
