import { LeadsModule } from '../leads/leads.module';
import { IntakeModule } from '../intake/intake.module';
import { AuthModule } from '../auth/auth.module';
import { PrivacyModule } from '../privacy/privacy.module';
import { Module } from '@nestjs/common';
import { HubspotModule } from '../hubspot/hubspot.module';
import { MailIntakeModule } from '../intake/mail/mail-intake.module';
import { JobQueueModule } from '../common/job-queue';
import { EventsModule } from '../events/events.module';
import { QuarantineModule } from '../quarantine/quarantine.module';
import { JobsService } from './jobs.service';

/** The job catalogue registered on pg-boss (see job-catalogue.ts); the handlers are the features' services. */
@Module({ imports: [JobQueueModule, LeadsModule, QuarantineModule, EventsModule, HubspotModule, MailIntakeModule, PrivacyModule, AuthModule, IntakeModule], providers: [JobsService] })
export class JobsModule {}
