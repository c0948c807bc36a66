import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ScreeningModule } from '../screening/screening.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { AuthModule } from '../auth/auth.module';
import { LeadsModule } from '../leads/leads.module';
import { ChatbotIntakeModule } from './chatbot/chatbot-intake.module';
import { FormSubmissionController, IntakeFormsAdminController } from './forms/intake-forms.controller';
import { IntakeFormsRepository } from './forms/intake-forms.repository';
import { IntakeFormsService } from './forms/intake-forms.service';
import { MailIntakeModule } from './mail/mail-intake.module';

@Module({
  imports: [AuthModule, LeadsModule, ChatbotIntakeModule, MailIntakeModule, NotificationsModule, ScreeningModule, AuditModule],
  controllers: [IntakeFormsAdminController, FormSubmissionController],
  providers: [IntakeFormsRepository, IntakeFormsService],
  // The review of held arrivals releases chat and mail through their services too.
  exports: [IntakeFormsService, ChatbotIntakeModule, MailIntakeModule],
})
export class IntakeModule {}
