import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LeadsModule } from '../leads/leads.module';
import { EventImportRunner } from './event-import.runner';
import { EventImportsController } from './event-imports.controller';
import { EventImportsRepository } from './event-imports.repository';
import { EventImportsService } from './event-imports.service';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

/** Events, attendee list imports, and the organiser's list (policy section 7). */
@Module({
  imports: [AuthModule, LeadsModule],
  controllers: [EventsController, EventImportsController],
  providers: [EventsRepository, EventsService, EventImportsRepository, EventImportsService, EventImportRunner],
  exports: [EventsService, EventImportRunner],
})
export class EventsModule {}
