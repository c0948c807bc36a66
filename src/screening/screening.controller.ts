import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { type Actor } from '../domain/actor';
import { DryRunDto, DryRunView, RuleDto, RuleView, SenderDto, SenderView } from './dto/screening.dto';
import { RulesService } from './rules.service';

@ApiTags('screening')
@Controller('screening')
@Roles('admin')
export class ScreeningRulesController {
  constructor(private readonly rules: RulesService) {}

  @Get('rules')
  @ApiOperation({ summary: 'Keyword, phrase and pattern rules' })
  @ApiOkResponse({ type: [RuleView] })
  list(): Promise<RuleView[]> {
    return this.rules.rules();
  }

  @Post('rules')
  @ApiOperation({ summary: 'Add a rule (a regex that does not compile or could backtrack catastrophically is refused)' })
  @ApiCreatedResponse({ type: RuleView })
  create(@CurrentActor() actor: Actor, @Body() dto: RuleDto): Promise<RuleView> {
    return this.rules.createRule(actor, dto);
  }

  @Put('rules/:id')
  @ApiOperation({ summary: 'Change a rule' })
  @ApiOkResponse({ type: RuleView })
  @ApiNotFoundResponse({ description: 'No such rule.' })
  update(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: RuleDto): Promise<RuleView> {
    return this.rules.updateRule(actor, id, dto);
  }

  @Delete('rules/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a rule' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiNotFoundResponse({ description: 'No such rule.' })
  remove(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.rules.deleteRule(actor, id);
  }

  @Get('senders')
  @ApiOperation({ summary: 'The block list and the allow list' })
  @ApiOkResponse({ type: [SenderView] })
  senders(): Promise<SenderView[]> {
    return this.rules.senders();
  }

  @Post('senders')
  @ApiOperation({ summary: 'Block (spam or swindler, optionally until a date) or allow a sender: e-mail, domain, IP, range, phone, Skype' })
  @ApiCreatedResponse({ type: SenderView })
  addSender(@CurrentActor() actor: Actor, @Body() dto: SenderDto): Promise<SenderView> {
    return this.rules.addSender(actor, dto);
  }

  @Delete('senders/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a block or allow list entry' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiNotFoundResponse({ description: 'No such entry.' })
  removeSender(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.rules.removeSender(actor, id);
  }

  @Post('dry-run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Screen a sample payload: which rules would fire (nothing is stored)' })
  @ApiOkResponse({ type: DryRunView })
  dryRun(@Body() dto: DryRunDto): Promise<DryRunView> {
    return this.rules.dryRun(dto);
  }
}
