import { Global, Module } from '@nestjs/common';
import { ScreeningRepository } from './screening.repository';
import { ScreeningService } from './screening.service';

/** The screening engine, used by every public intake channel. */
@Global()
@Module({ providers: [ScreeningRepository, ScreeningService], exports: [ScreeningService, ScreeningRepository] })
export class ScreeningModule {}
