import { Module } from '@nestjs/common';
import { PolicyModule } from '../policy/policy.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { JobQueueModule } from '../common/job-queue';
import { LeadsModule } from '../leads/leads.module';
import { EventImportJobs } from './event-import.job';
import { EventImportRunner } from './event-import.runner';
import { EventImportsController } from './event-imports.controller';
import { EventImportsRepository } from './event-imports.repository';
import { EventImportsService } from './event-imports.service';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

/** Events, attendee list imports, and the organiser's list (policy section 7). */
@Module({
  imports: [AuthModule, LeadsModule, JobQueueModule, AuditModule, PolicyModule],
  controllers: [EventsController, EventImportsController],
  providers: [EventsRepository, EventsService, EventImportsRepository, EventImportsService, EventImportRunner, EventImportJobs],
  exports: [EventsService, EventImportJobs],
})
export class EventsModule {}
