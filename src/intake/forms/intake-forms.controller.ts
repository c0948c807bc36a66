import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Req, Res, type RawBodyRequest } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiSeeOtherResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, Roles } from '../../access/decorators';
import { CurrentActor } from '../../common/actor';
import { Accepts, BodyLimit, RateLimitedPerVisitor } from '../../common/request-edge';
import { type Actor } from '../../domain/actor';
import { CreatedIntakeFormView, CreateIntakeFormDto, IntakeFormView, RenderTokenView, SubmissionAcceptedView, UpdateIntakeFormDto } from './dto/intake-form.dto';
import { IntakeFormsService } from './intake-forms.service';

@ApiTags('intake-forms')
@Controller('intake-forms')
@Roles('admin')
export class IntakeFormsAdminController {
  constructor(private readonly forms: IntakeFormsService) {}

  @Get()
  @ApiOperation({ summary: 'List registered web forms' })
  @ApiOkResponse({ type: [IntakeFormView] })
  list(): Promise<IntakeFormView[]> {
    return this.forms.list();
  }

  @Post()
  @ApiOperation({ summary: 'Register a web form: key, origins, field mapping, inquiry type, consent checkboxes' })
  @ApiCreatedResponse({ type: CreatedIntakeFormView })
  @ApiConflictResponse({ description: 'The key is taken.' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateIntakeFormDto): Promise<CreatedIntakeFormView> {
    return this.forms.create(actor, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One web form' })
  @ApiOkResponse({ type: IntakeFormView })
  @ApiNotFoundResponse({ description: 'No such form.' })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<IntakeFormView> {
    return this.forms.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a web form' })
  @ApiOkResponse({ type: IntakeFormView })
  @ApiNotFoundResponse({ description: 'No such form.' })
  update(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateIntakeFormDto): Promise<IntakeFormView> {
    return this.forms.update(actor, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Archive a web form: it stops accepting submissions' })
  @ApiOkResponse({ type: IntakeFormView })
  @ApiNotFoundResponse({ description: 'No such form.' })
  archive(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<IntakeFormView> {
    return this.forms.archive(actor, id);
  }
}

/** A form post is a few fields of text: 256 KiB is room for a long message many times over. */
const FORM_POST_MAX_BYTES = 256 * 1024;

@ApiTags('intake')
@Controller('intake/forms')
export class FormSubmissionController {
  constructor(private readonly forms: IntakeFormsService) {}

  @Get(':formKey/render-token')
  @Public()
  @ApiOperation({ summary: 'A signed render time for the page to embed as a hidden field (for forms with a minimum fill time)' })
  @ApiOkResponse({ type: RenderTokenView })
  @ApiNotFoundResponse({ description: 'No such form.' })
  renderToken(@Param('formKey') formKey: string): Promise<RenderTokenView> {
    return this.forms.renderToken(formKey);
  }

  @Post(':formKey')
  @Public()
  @Accepts('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data')
  @RateLimitedPerVisitor()
  @BodyLimit(FORM_POST_MAX_BYTES)
  @HttpCode(202)
  @ApiOperation({ summary: 'A website form submission (url-encoded, multipart or JSON); stored before the answer' })
  @ApiAcceptedResponse({ type: SubmissionAcceptedView })
  @ApiUnauthorizedResponse({ description: 'X-Signature present but wrong.' })
  @ApiForbiddenResponse({ description: 'Neither a registered origin nor a signature.' })
  @ApiNotFoundResponse({ description: 'No such form.' })
  @ApiUnprocessableEntityResponse({ description: 'Missing or invalid fields, named as the form names them; nothing stored.' })
  @ApiTooManyRequestsResponse({ description: 'Too many submissions from this address or sender; see Retry-After.' })
  @ApiHeader({ name: 'X-Api-Key', required: false, description: 'A server-side relay’s key, created for this form (POST /api/api-keys with channel web_form and formId): its posts skip the browser-only traps.' })
  @ApiHeader({ name: 'X-Visitor-IP', required: false, description: 'From a relay with X-Api-Key only: the visitor’s IP, for the per-visitor limits and screening.' })
  @ApiHeader({ name: 'X-Visitor-Time-On-Page', required: false, description: 'From a relay with X-Api-Key only: seconds the visitor spent on the page (the fill-time trap); Contact Form 7’s _wpcf7_ak_js is read the same way.' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key within 24 hours gets the first reference and stores nothing new (without it, the same fields count as the same post).' })
  @ApiSeeOtherResponse({ description: 'A browser’s plain HTML post (Accept: text/html) to a form with a thank-you URL: sent there.' })
  async submit(
    @CurrentActor() actor: Actor,
    @Param('formKey') formKey: string,
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmissionAcceptedView | string> {
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
    const taken = await this.forms.submit(actor, formKey, { contentType: header('content-type'), rawBody: req.rawBody ?? null, body: req.body ?? {}, origin: header('origin'), signature: header('x-signature'), idempotencyKey: header('idempotency-key'),
      apiKey: header('x-api-key'), visitorIp: header('x-visitor-ip'), visitorTimeOnPage: header('x-visitor-time-on-page') });
    // A page that posted without JavaScript gets a page back, not JSON.
    const accept = header('accept') ?? '';
    if (!/text\/html/.test(accept) || /application\/json/.test(accept)) return taken;
    const thanks = await this.forms.thankYouUrl(formKey);
    if (thanks) {
      void reply.status(303).header('location', thanks);
      return '';
    }
    void reply.status(200).header('content-type', 'text/html; charset=utf-8');
    return '<!doctype html><meta charset="utf-8"><title>Thank you</title><p>Thank you. We have received your message.</p>';
  }

  @Get(':formKey/embed.js')
  @Public()
  @ApiOperation({ summary: 'A script for the site’s page: fills the render token into the form marked data-crm-form="{key}" and points it here' })
  @ApiNotFoundResponse({ description: 'No such form.' })
  async embedScript(@Param('formKey') formKey: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const script = await this.forms.embedScript(formKey); // nothing of the request in it: one script for every caller, so public caching is safe
    void reply.header('content-type', 'application/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').header('cross-origin-resource-policy', 'cross-origin');
    return script;
  }
}
