import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiOperation, ApiPayloadTooLargeResponse, ApiTags, ApiUnprocessableEntityResponse, ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuth } from '../../access/decorators';
import { CurrentActor } from '../../common/actor';
import { type Actor } from '../../domain/actor';
import { Accepts } from '../../common/request-edge';
import { ProblemException } from '../../common/problem-details';
import { MailTakenView } from './dto/mail.dto';
import { RAW_MAIL_TYPE } from './mail-body-parser';
import { MailIntakeService } from './mail-intake.service';

@ApiTags('intake')
@Controller('intake/email')
export class MailIntakeController {
  constructor(private readonly mail: MailIntakeService) {}

  @Post()
  @ApiKeyAuth('email')
  @Accepts(RAW_MAIL_TYPE)
  @HttpCode(202)
  @ApiConsumes(RAW_MAIL_TYPE)
  @ApiBody({ description: 'The raw RFC 5322 message, as the mail server received it.', schema: { type: 'string', format: 'binary' } })
  @ApiOperation({ summary: 'One raw mail from the inbox (a relay): stored, screened, and taken as a capture or a reply before the answer' })
  @ApiAcceptedResponse({ type: MailTakenView })
  @ApiUnprocessableEntityResponse({ description: 'The message has no readable From address; nothing stored.' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not sent as message/rfc822.' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MAIL_MESSAGE_MAX_BYTES.' })
  take(@CurrentActor() actor: Actor, @Req() req: FastifyRequest): Promise<MailTakenView> {
    if (!Buffer.isBuffer(req.body) || !req.body.length) throw new ProblemException(415, `Send the raw message as the body, with Content-Type: ${RAW_MAIL_TYPE}.`);
    return this.mail.ingest(actor, req.body, 'api');
  }
}
