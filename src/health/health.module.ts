import { Module } from '@nestjs/common';
import { HubspotModule } from '../hubspot/hubspot.module';
import { TerminusModule } from '@nestjs/terminus';
import { Draining } from './draining';
import { HealthController } from './health.controller';

@Module({ imports: [TerminusModule.forRoot({ logger: false }), HubspotModule], controllers: [HealthController], providers: [Draining], exports: [Draining] })
export class HealthModule {}
