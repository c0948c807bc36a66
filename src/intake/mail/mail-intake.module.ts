import { Global, Module } from '@nestjs/common';
import { LeadsModule } from '../../leads/leads.module';
import { MailAttachmentsController } from './mail-attachments.controller';
import { MailBodyParser } from './mail-body-parser';
import { MailInboxPoller } from './mail-inbox.poller';
import { MailIntakeController } from './mail-intake.controller';
import { MailIntakeRepository } from './mail-intake.repository';
import { MailIntakeService } from './mail-intake.service';

/** The mail channel. Global: the job runner (src/jobs) polls the inbox through it. */
@Global()
@Module({
  imports: [LeadsModule],
  controllers: [MailIntakeController, MailAttachmentsController],
  providers: [MailIntakeRepository, MailIntakeService, MailInboxPoller, MailBodyParser],
  exports: [MailIntakeService, MailInboxPoller],
})
export class MailIntakeModule {}
