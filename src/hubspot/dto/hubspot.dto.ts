import { ApiProperty } from '@nestjs/swagger';

export class HubspotStatusView {
  @ApiProperty({ description: 'False without HUBSPOT_ACCESS_TOKEN: changes wait in the outbox.' }) configured: boolean;
  @ApiProperty({ enum: ['not configured', 'running', 'paused', 'degraded'], description: 'degraded: HubSpot refuses our access token (or could not be prepared); nothing is marked failed, and the sync resumes when a request goes through.' })
  state: 'not configured' | 'running' | 'paused' | 'degraded';
  @ApiProperty() paused: boolean;
  @ApiProperty({ nullable: true, type: String }) pausedUntil: Date | null;
  @ApiProperty({ nullable: true, type: String }) pauseReason: string | null;
  @ApiProperty({ description: 'Outbox rows waiting.' }) backlog: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) oldestWaitingSince: Date | null;
  @ApiProperty({ description: 'People whose last sync failed, and erasures, merges and unsubscribes given up after bounded retries.' }) failed: number;
  @ApiProperty({ description: 'Contacts synced in the last minute.' }) syncedLastMinute: number;
  @ApiProperty() syncedTotal: number;
  @ApiProperty() rateLimitedTotal: number;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastErrorAt: Date | null;
}

export class SyncFailureView {
  @ApiProperty({ format: 'uuid' }) personId: string;
  @ApiProperty({ enum: ['upsert', 'purge', 'merge', 'unsubscribe'], description: 'What failed: the contact itself, its GDPR delete, its merge, or its unsubscribe from all e-mail.' }) kind: string;
  @ApiProperty({ nullable: true, type: String, description: 'HubSpot’s message.' }) error: string | null;
  @ApiProperty({ format: 'date-time' }) at: Date;
}

export class RequeuedView {
  @ApiProperty() requeued: number;
}
