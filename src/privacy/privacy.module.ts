import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { LeadsModule } from '../leads/leads.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { ConsentWithdrawalController, WithdrawalLinksController } from './consent-withdrawal.controller';
import { ConsentWithdrawalService } from './consent-withdrawal.service';
import { PrivacyRecordsController, PrivacyRequestsController } from './privacy-requests.controller';
import { PrivacyRequestsRepository } from './privacy-requests.repository';
import { PrivacyRequestsService } from './privacy-requests.service';

/** Data subjects' rights (policy 9): requests as cases, the DPO's record access, withdrawal links. */
@Module({
  imports: [AuthModule, AuditModule, LeadsModule, NotificationsModule],
  controllers: [PrivacyRecordsController, PrivacyRequestsController, ConsentWithdrawalController, WithdrawalLinksController],
  providers: [PrivacyRequestsRepository, PrivacyRequestsService, ConsentWithdrawalService],
  exports: [PrivacyRequestsService],
})
export class PrivacyModule {}
