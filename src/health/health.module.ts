import { Module } from '@nestjs/common';
import { HubspotModule } from '../hubspot/hubspot.module';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';

@Module({ imports: [TerminusModule.forRoot({ logger: false }), HubspotModule], controllers: [HealthController] })
export class HealthModule {}
