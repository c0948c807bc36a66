import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { IntakeModule } from '../intake/intake.module';
import { ScreeningModule } from '../screening/screening.module';
import { QuarantineController } from './quarantine.controller';
import { ReviewService } from './review.service';

/** People deciding on held arrivals: review, release into intake, spam, block. */
@Module({ imports: [AuditModule, IntakeModule, ScreeningModule], controllers: [QuarantineController], providers: [ReviewService], exports: [ReviewService] })
export class QuarantineModule {}
