import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { SELF_SERVICE_SOURCES } from '../domain/purposes';
import { PersonSyncRepository, type PersonForSync, type SyncOutcome } from './person-sync.repository';

/**
 * What the HubSpot sync may read and change of persons: leads own the person table, the sync
 * goes through here. Calls take the sync's own connection (its claim transaction).
 */
@Injectable()
export class PersonSyncService {
  constructor(private readonly repo: PersonSyncRepository) {}

  forSync(client: PoolClient, personIds: string[]): Promise<PersonForSync[]> {
    return this.repo.forSync(client, personIds);
  }

  /** Of these persons, those who gave new data themselves (a form, the chatbot, e-mail) after the given time. */
  gaveDataSince(client: PoolClient, since: { personId: string; at: Date }[]): Promise<Set<string>> {
    return this.repo.gaveDataSince(client, since, SELF_SERVICE_SOURCES);
  }

  recordOutcomes(client: PoolClient, outcomes: SyncOutcome[]): Promise<void> {
    return this.repo.recordOutcomes(client, outcomes);
  }

  /** Of these persons, those the caller may see (row-level security decides). */
  visible(personIds: string[]): Promise<Set<string>> {
    return this.repo.visible(personIds);
  }

  failedCount(): Promise<number> {
    return this.repo.failedCount();
  }

  syncedLastMinute(): Promise<number> {
    return this.repo.syncedLastMinute();
  }

  failures(limit: number): Promise<{ id: string; syncError: string | null; updatedAt: Date }[]> {
    return this.repo.failures(limit);
  }

  requeueFailed(personId?: string): Promise<number> {
    return this.repo.requeueFailed(personId);
  }
}
