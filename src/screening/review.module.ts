import { Module } from '@nestjs/common';
import { IntakeModule } from '../intake/intake.module';
import { ReviewService } from './review.service';
import { RulesService } from './rules.service';
import { QuarantineController, ScreeningRulesController } from './screening.controller';

/** People deciding: quarantine review and rule administration. */
@Module({ imports: [IntakeModule], controllers: [QuarantineController, ScreeningRulesController], providers: [ReviewService, RulesService], exports: [ReviewService] })
export class ReviewModule {}
