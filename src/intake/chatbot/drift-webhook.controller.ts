import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, ApiUnauthorizedResponse, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Public } from '../../access/decorators';
import { CurrentActor } from '../../common/actor';
import { type Actor } from '../../domain/actor';
import { ChatbotIntakeService } from './chatbot-intake.service';
import { ChatbotEventView } from './dto/chatbot.dto';
import { BodyLimit } from '../../common/request-edge';

/** Drift cannot send an API key: the route is public and each event carries the app's verification token. */
@ApiTags('intake')
@Controller('intake/chatbot')
export class DriftWebhookController {
  constructor(private readonly chatbot: ChatbotIntakeService) {}

  @Post('drift')
  @Public()
  @BodyLimit(256 * 1024) // one event: a contact or a message, never a transcript
  @HttpCode(200)
  @ApiOperation({ summary: 'Drift webhook: contact_identified makes or completes the person; new_message goes on their timeline. Stored before the answer; redeliveries change nothing.' })
  @ApiOkResponse({ type: ChatbotEventView })
  @ApiUnauthorizedResponse({ description: 'The verification token is missing or not this app’s.' })
  @ApiUnprocessableEntityResponse({ description: 'A handled event without the fields it needs; nothing stored.' })
  @ApiServiceUnavailableResponse({ description: 'DRIFT_VERIFICATION_TOKEN is not configured.' })
  receive(@CurrentActor() actor: Actor, @Body() body: unknown, @Headers('x-verification-token') token?: string): Promise<ChatbotEventView> {
    return this.chatbot.receiveDrift(actor, body, typeof token === 'string' ? token : null);
  }
}
