import { Module } from '@nestjs/common';
import { LeadsModule } from '../../leads/leads.module';
import { ChatbotIntakeRepository } from './chatbot-intake.repository';
import { ChatbotIntakeService } from './chatbot-intake.service';
import { DriftWebhookController } from './drift-webhook.controller';

/** The chatbot channel: Drift's webhook. */
@Module({
  imports: [LeadsModule],
  controllers: [DriftWebhookController],
  providers: [ChatbotIntakeRepository, ChatbotIntakeService],
  exports: [ChatbotIntakeService],
})
export class ChatbotIntakeModule {}
