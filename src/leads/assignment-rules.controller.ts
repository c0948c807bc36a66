import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import type { Actor } from '../domain/actor';
import { AssignmentRuleView, SetAssignmentRuleDto } from './dto/assignment-rule.dto';
import { AssignmentRulesService } from './assignment-rules.service';

@ApiTags('persons')
@Controller('assignment-rules')
@Roles('admin')
export class AssignmentRulesController {
  constructor(private readonly rules: AssignmentRulesService) {}

  @Get()
  @ApiOperation({ summary: 'How new leads get an owner, per form and per channel' })
  @ApiOkResponse({ type: [AssignmentRuleView] })
  list(): Promise<AssignmentRuleView[]> {
    return this.rules.list();
  }

  @Put()
  @ApiOperation({ summary: 'Set the owner rule of a form or a channel: nobody, a fixed person, round-robin or least-busy among active sales users' })
  @ApiOkResponse({ type: AssignmentRuleView })
  set(@CurrentActor() actor: Actor, @Body() dto: SetAssignmentRuleDto): Promise<AssignmentRuleView> {
    return this.rules.set(actor, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a rule: its form falls back to its channel’s rule, a channel to nobody' })
  @ApiNoContentResponse()
  remove(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.rules.remove(actor, id);
  }
}
