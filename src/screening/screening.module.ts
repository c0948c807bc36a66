import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RulesService } from './rules.service';
import { ScreeningRulesController } from './screening.controller';
import { ScreeningRepository } from './screening.repository';
import { ScreeningService } from './screening.service';

/** The screening engine, used by every public intake channel, and the rules admins keep. */
@Module({ imports: [AuditModule], controllers: [ScreeningRulesController], providers: [ScreeningRepository, ScreeningService, RulesService], exports: [ScreeningService, ScreeningRepository] })
export class ScreeningModule {}
