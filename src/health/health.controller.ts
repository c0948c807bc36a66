import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../access/decorators';
import { HubspotStatusService } from '../hubspot/hubspot-status.service';
import { Draining } from './draining';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly hubspot: HubspotStatusService,
    private readonly draining: Draining,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database answers and every migration is applied; also reports the HubSpot sync' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; the body says which check failed.' })
  ready(): Promise<HealthCheckResult> {
    if (this.draining.active) throw new ServiceUnavailableException({ detail: 'The service is stopping; send requests to another instance.', state: 'draining' });
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      async () => {
        const session = this.indicators.check('migrations');
        const pending = await this.dataSource.showMigrations().catch(() => true);
        return pending ? session.down({ message: 'migrations are pending' }) : session.up();
      },
      // Reported, never failing readiness: intake works while HubSpot waits.
      async () => {
        // Public: the state only; the reason and the backlog are for staff at /api/hubspot/status.
        const hubspot = this.indicators.check('hubspot');
        // With the database away the state is unknown; the database check already says not ready.
        const state = await this.hubspot.status().catch(() => null);
        if (!state) return hubspot.up({ sync: 'unknown' });
        return hubspot.up({ sync: state.state });
      },
    ]);
  }
}
