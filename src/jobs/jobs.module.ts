import { Module } from '@nestjs/common';
import { HubspotModule } from '../hubspot/hubspot.module';
import { JobsService } from './jobs.service';

@Module({ imports: [HubspotModule], providers: [JobsService] })
export class JobsModule {}
