import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { NotificationsModule } from '../../notifications/notifications.module';
import { AuditModule } from '../../audit/audit.module';
import { ScreeningModule } from '../../screening/screening.module';
import { LeadsModule } from '../../leads/leads.module';
import { ChatbotIntakeRepository } from './chatbot-intake.repository';
import { ChatbotIntakeService } from './chatbot-intake.service';
import { DriftWebhookController } from './drift-webhook.controller';

/** The chatbot channel: Drift's webhook. */
@Module({
  imports: [LeadsModule, ScreeningModule, AuditModule, AuthModule, NotificationsModule],
  controllers: [DriftWebhookController],
  providers: [ChatbotIntakeRepository, ChatbotIntakeService],
  exports: [ChatbotIntakeService],
})
export class ChatbotIntakeModule {}
