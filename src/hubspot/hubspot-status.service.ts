import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { HubspotSyncService } from './hubspot-sync.service';
import { HubspotRepository, type FailedDelivery } from './hubspot.repository';
import { PersonSyncService } from '../leads/person-sync.service';
import type { HubspotStatusView, RequeuedView, SyncFailureView } from './dto/hubspot.dto';

/** What staff see of the sync: backlog, throughput, failures, pauses; and re-queuing. */
@Injectable()
export class HubspotStatusService {
  constructor(
    private readonly repo: HubspotRepository,
    private readonly persons: PersonSyncService,
    private readonly sync: HubspotSyncService,
    private readonly audit: AuditService,
  ) {}

  async status(): Promise<HubspotStatusView> {
    const [control, backlog, failed, deliveries, syncedLastMinute] = await Promise.all([
      this.repo.control(), this.repo.backlog(), this.persons.failedCount(), this.failedDeliveries(), this.persons.syncedLastMinute(),
    ]);
    const paused = Boolean(control.pausedUntil && control.pausedUntil > new Date());
    // Until a request goes through, a refused token stays "degraded", also between tries.
    const degraded = control.accessFailures > 0;
    return {
      configured: this.sync.configured,
      state: !this.sync.configured ? 'not configured' : degraded ? 'degraded' : paused ? 'paused' : 'running',
      paused,
      pausedUntil: paused ? control.pausedUntil : null,
      pauseReason: paused ? control.pauseReason : null,
      backlog: backlog.pending,
      oldestWaitingSince: backlog.oldest,
      failed: failed + deliveries.length,
      syncedLastMinute,
      syncedTotal: Number(control.syncedCount),
      rateLimitedTotal: Number(control.rateLimitedCount),
      lastError: control.lastError,
      lastErrorAt: control.lastErrorAt,
    };
  }

  async failures(): Promise<SyncFailureView[]> {
    const [contacts, deliveries] = await Promise.all([this.persons.failures(200), this.failedDeliveries()]);
    return [
      ...deliveries.map((d) => ({ personId: d.personId, kind: d.kind, error: d.error, at: d.at })),
      ...contacts.map((f) => ({ personId: f.id, kind: 'upsert', error: f.syncError, at: f.updatedAt })),
    ];
  }

  /**
   * Given-up deliveries of persons the caller may see: the outbox has no row-level security of its
   * own, so the person's decides (a customer's failed erasure is not shown to sales who may not see them).
   */
  private async failedDeliveries(): Promise<FailedDelivery[]> {
    const deliveries = await this.repo.failedDeliveries(1000);
    const visible = await this.persons.visible(deliveries.map((d) => d.personId));
    return deliveries.filter((d) => visible.has(d.personId));
  }

  async requeue(actor: Actor, personId?: string): Promise<RequeuedView> {
    const deliveries = (await this.failedDeliveries()).map((d) => d.personId).filter((id) => !personId || id === personId);
    const requeued = (await this.persons.requeueFailed(personId)) + (await this.repo.requeueDeliveries([...new Set(deliveries)]));
    await this.audit.record(actor, { action: 'hubspot.failures_requeued', entityType: personId ? 'person' : 'hubspot_sync', entityId: personId ?? null, after: { requeued } });
    return { requeued };
  }
}
