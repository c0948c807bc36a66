import { Module } from '@nestjs/common';
import { JobQueueModule } from '../common/job-queue';
import { EventsModule } from '../events/events.module';
import { ReviewModule } from '../screening/review.module';
import { JobsService } from './jobs.service';

/** The job catalogue registered on pg-boss (see job-catalogue.ts); the handlers are the features' services. */
@Module({ imports: [JobQueueModule, ReviewModule, EventsModule], providers: [JobsService] })
export class JobsModule {}
