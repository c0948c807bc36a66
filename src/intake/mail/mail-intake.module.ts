import { Module } from '@nestjs/common';
import { SkippedMailController } from './skipped-mail.controller';
import { AuditModule } from '../../audit/audit.module';
import { AuthModule } from '../../auth/auth.module';
import { NotificationsModule } from '../../notifications/notifications.module';
import { ScreeningModule } from '../../screening/screening.module';
import { LeadsModule } from '../../leads/leads.module';
import { MailAttachmentsController } from './mail-attachments.controller';
import { MailBodyParser } from './mail-body-parser';
import { MailInboxPoller } from './mail-inbox.poller';
import { MailIntakeController } from './mail-intake.controller';
import { MailIntakeRepository } from './mail-intake.repository';
import { MailIntakeService } from './mail-intake.service';

/** The mail channel; the job runner (src/jobs) polls the inbox through it. */
@Module({
  imports: [LeadsModule, ScreeningModule, AuditModule, AuthModule, NotificationsModule],
  controllers: [MailIntakeController, MailAttachmentsController, SkippedMailController],
  providers: [MailIntakeRepository, MailIntakeService, MailInboxPoller, MailBodyParser],
  exports: [MailIntakeService, MailInboxPoller],
})
export class MailIntakeModule {}
