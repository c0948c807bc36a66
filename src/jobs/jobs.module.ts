import { Module } from '@nestjs/common';
import { ReviewModule } from '../screening/review.module';
import { JobsService } from './jobs.service';

@Module({ imports: [ReviewModule], providers: [JobsService] })
export class JobsModule {}
