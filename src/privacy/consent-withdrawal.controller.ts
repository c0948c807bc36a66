import { Body, Controller, Get, Header, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public, Roles } from '../access/decorators';
import { CurrentActor } from '../common/actor';
import { Accepts, BodyLimit, RateLimitedPerVisitor } from '../common/request-edge';
import type { Actor } from '../domain/actor';
import { ConsentWithdrawalService } from './consent-withdrawal.service';

const PURPOSE_WORDS: Record<string, string> = {
  service_updates: 'news about our services',
  request_contact: 'being contacted about your request',
  other_services_ask: 'being asked about our other services',
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const page = (body: string) => `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Your consent</title><body style="font-family:sans-serif;max-width:36em;margin:3em auto">${body}</body></html>`;
const INVALID = page('<p>This link is not valid. Write to dpo@altoros.com and we will withdraw your consent by hand.</p>');

/** The signed withdrawal link's page (policy 9.8): as easy to withdraw as it was to give. */
@ApiTags('privacy')
@Controller('consent-withdrawal')
export class ConsentWithdrawalController {
  constructor(private readonly withdrawals: ConsentWithdrawalService) {}

  @Get()
  @Public()
  @RateLimitedPerVisitor()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Referrer-Policy', 'no-referrer')
  @ApiProduces('text/html')
  @ApiOperation({ summary: 'The page a withdrawal link opens: one button (nothing changes until it is pressed)' })
  confirm(@Query() query: Record<string, unknown>): string {
    const link = this.withdrawals.verify(query);
    if (!link) return INVALID;
    const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
    return page(
      `<h1>Withdraw your consent</h1><p>You agreed to ${escapeHtml(PURPOSE_WORDS[link.purpose])}. Press the button to withdraw that consent; it takes effect at once.</p>` +
        `<form method="post" action="">${hidden('person', link.personId)}${hidden('purpose', link.purpose)}${hidden('sig', String(query.sig))}<button type="submit">Withdraw my consent</button></form>`,
    );
  }

  @Post()
  @Public()
  @RateLimitedPerVisitor()
  @Accepts('application/x-www-form-urlencoded')
  @BodyLimit(4096)
  @HttpCode(200)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('text/html')
  @ApiOperation({ summary: 'Withdraws the consent the signed link names; answers with a plain confirmation page' })
  async withdraw(@CurrentActor() actor: Actor, @Body() body: Record<string, unknown>): Promise<string> {
    const link = this.withdrawals.verify(body ?? {});
    if (!link) return INVALID;
    await this.withdrawals.withdraw(actor, link);
    return page(`<h1>Done</h1><p>Your consent to ${escapeHtml(PURPOSE_WORDS[link.purpose])} is withdrawn. You can give it again at any time.</p>`);
  }
}

/** Staff get a person's withdrawal links, to put in the messages they send. */
@ApiTags('privacy')
@Controller('persons')
export class WithdrawalLinksController {
  constructor(private readonly withdrawals: ConsentWithdrawalService) {}

  @Get(':id/withdrawal-links')
  @Roles('sales', 'account_manager', 'dpo', 'admin')
  @ApiOperation({ summary: 'Signed links, one per consent purpose, that let the person withdraw that consent themselves' })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: { type: 'string', format: 'uri' } } })
  links(@Param('id', ParseUUIDPipe) id: string): Promise<Record<string, string>> {
    return this.withdrawals.links(id);
  }
}
