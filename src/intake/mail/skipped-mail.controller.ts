import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../access/decorators';
import { CurrentActor } from '../../common/actor';
import { PageQuery } from '../../common/pagination';
import type { Actor } from '../../domain/actor';
import { SkippedMailView, TakenInView } from './dto/mail.dto';
import { MailIntakeService } from './mail-intake.service';

/** Mail the inbox took in without a lead (auto-replies, bounces, list mail): for staff to look over, and take in one that was a person after all. */
@ApiTags('intake')
@Controller('mail/skipped')
@Roles('sales', 'admin')
export class SkippedMailController {
  constructor(private readonly mail: MailIntakeService) {}

  @Get()
  @ApiOperation({ summary: 'Skipped mail, newest first, with the reason; `takeable` while the message is kept (the quarantine period)' })
  @ApiOkResponse({ type: [SkippedMailView] })
  list(@Query() query: PageQuery): Promise<SkippedMailView[]> {
    return this.mail.skipped(query.limit);
  }

  @Post(':id/take')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take a skipped mail in by hand: it becomes a capture (or a reply on its thread) with its original time; audited' })
  @ApiOkResponse({ type: TakenInView })
  take(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<TakenInView> {
    return this.mail.takeSkipped(actor, id);
  }
}
