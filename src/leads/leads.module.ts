import { Module } from '@nestjs/common';
import { ScreeningModule } from '../screening/screening.module';
import { AuditModule } from '../audit/audit.module';
import { PolicyModule } from '../policy/policy.module';
import { AuthModule } from '../auth/auth.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';
import { PersonsController } from './persons.controller';
import { PersonsService } from './persons.service';
import { PersonSyncRepository } from './person-sync.repository';
import { PersonSyncService } from './person-sync.service';
import { RetentionService } from './retention.service';
import { RetentionController } from './retention.controller';
import { AssignmentRulesController } from './assignment-rules.controller';
import { AssignmentRulesService } from './assignment-rules.service';

@Module({
  imports: [AuthModule, PolicyModule, AuditModule, ScreeningModule, NotificationsModule],
  controllers: [PersonsController, RetentionController, AssignmentRulesController],
  providers: [LeadsRepository, LeadsService, PersonsService, PersonSyncRepository, PersonSyncService, RetentionService, AssignmentRulesService],
  exports: [LeadsService, PersonsService, PersonSyncService, RetentionService],
})
export class LeadsModule {}
