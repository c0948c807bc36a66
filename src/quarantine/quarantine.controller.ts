import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import type { Actor } from '../domain/actor';
import { DecideDto, DecisionResultView, HeldPage, HeldQuery } from './dto/quarantine.dto';
import { ReviewService } from './review.service';

@ApiTags('quarantine')
@Controller('quarantine')
@Roles('sales', 'admin')
export class QuarantineController {
  constructor(private readonly review: ReviewService) {}

  @Get()
  @ApiOperation({ summary: 'Held submissions with their reasons and the matches to highlight; filter by form, reason and date' })
  @ApiOkResponse({ type: HeldPage })
  held(@Query() query: HeldQuery): Promise<HeldPage> {
    return this.review.held(query);
  }

  @Post('decisions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decide one or many: release, spam, or spam and block the sender (each logged)' })
  @ApiOkResponse({ type: [DecisionResultView] })
  decide(@CurrentActor() actor: Actor, @Body() dto: DecideDto): Promise<DecisionResultView[]> {
    return this.review.decide(actor, dto);
  }
}
