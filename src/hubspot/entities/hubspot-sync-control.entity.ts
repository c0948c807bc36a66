import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The sync's shared state, one row: whether it is paused (HubSpot's daily limit) and its last error. */
@Entity('hubspot_sync_control')
@Check('hubspot_sync_control_single_row', 'id = 1')
export class HubspotSyncControl {
  @PrimaryColumn('integer', { default: 1 })
  id: number;

  @Column('timestamptz', { nullable: true })
  pausedUntil: Date | null;

  @Column('text', { nullable: true })
  pauseReason: string | null;

  @Column('text', { nullable: true })
  lastError: string | null;

  @Column('timestamptz', { nullable: true })
  lastErrorAt: Date | null;

  @Column('bigint', { default: 0 })
  syncedCount: string;

  @Column('bigint', { default: 0 })
  rateLimitedCount: string;

  /** Consecutive refusals of our token (401/403) or failed start-up calls: the pause grows with them. */
  @Column('integer', { default: 0 })
  accessFailures: number;
}
