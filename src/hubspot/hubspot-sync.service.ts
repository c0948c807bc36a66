import { runAsSystem } from '../access/access-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Client } from '@hubspot/api-client';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR } from '../domain/actor';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { classify, HUBSPOT_CLIENT, HUBSPOT_SLEEP, withTimeout, type Failure, type Sleep } from './hubspot.client';
import { HubspotLimiter } from './hubspot-limiter';
import { CUSTOM_PROPERTIES, legalBasisOptions, PROPERTY_GROUP, toContactProperties, type LegalBasisOptions } from './hubspot.mapper';
import { HubspotRepository, type ClaimedRow } from './hubspot.repository';
import { PersonSyncService } from '../leads/person-sync.service';
import type { PersonForSync, SyncOutcome } from '../leads/person-sync.repository';

export const BATCH_SIZE = 100;
const SENDERS = 2;
const MAX_BACKOFF_MS = 5 * 60_000;

/** A failure as the sync-wide status may tell it: its kind and HTTP status, no message. */
const describe = (failure: Failure): string =>
  ({ window: 'rate limited (10-second window)', daily: 'daily API limit used up', transient: 'HubSpot or the network failed; retrying', rejected: `HubSpot refused a request (HTTP ${(failure as { status?: number }).status})` })[failure.kind];

export const emailHash = (email: string) => createHash('sha256').update(email.trim().toLowerCase()).digest('hex');

/** Exponential backoff with full jitter: 1 s, 2 s, 4 s ... up to 5 minutes, each between half and all of it. */
export function backoffMs(attempts: number): number {
  const ceiling = Math.min(1000 * 2 ** attempts, MAX_BACKOFF_MS);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

const nextUtcMidnight = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
};

export interface DrainReport {
  upserted: number;
  failed: number;
  purged: number;
  unsubscribed: number;
  rateLimited: number;
  retried: number;
  paused: boolean;
}

type Step = 'worked' | 'idle' | 'paused';

/**
 * Drains the outbox into HubSpot: batches of up to 100 contacts by e-mail (newest state per
 * person), GDPR deletes and unsubscribes; under a limiter shared by every instance, with
 * HubSpot's 429s, timeouts and errors handled by our own policy. Rows are claimed with
 * SKIP LOCKED, so instances draining at once never send the same row twice.
 */
@Injectable()
export class HubspotSyncService {
  private readonly logger = new Logger('HubSpotSync');
  private options?: LegalBasisOptions;
  private preparing?: Promise<LegalBasisOptions>;

  constructor(
    private readonly repo: HubspotRepository,
    private readonly persons: PersonSyncService,
    private readonly limiter: HubspotLimiter,
    @Inject(HUBSPOT_CLIENT) private readonly client: Client | null,
    @Inject(HUBSPOT_SLEEP) private readonly sleep: Sleep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get configured(): boolean {
    return this.client !== null;
  }

  /** Inside the erasing transaction: delete the contact in HubSpot, and never re-create it from data we held. */
  async enqueueErasure(tx: EntityManager, personId: string, email: string): Promise<void> {
    await this.repo.suppress(tx, emailHash(email));
    await this.repo.enqueuePurge(tx, personId, email);
  }

  /**
   * Reads hs_legal_basis's options and creates our property group and properties where
   * missing. Once per process, before the first send.
   */
  prepare(): Promise<LegalBasisOptions> {
    // One preparation per process, however many senders ask; a failed one is tried again next time.
    this.preparing ??= this.prepareOnce().catch((err) => {
      this.preparing = undefined;
      throw err;
    });
    return this.preparing;
  }

  private async prepareOnce(): Promise<LegalBasisOptions> {
    const client = this.client!;
    const call = <T>(work: () => Promise<T>) => this.call(work);
    const legalBasis = await call(() => client.crm.properties.coreApi.getByName('contacts', 'hs_legal_basis'));
    const existing = new Set((await call(() => client.crm.properties.coreApi.getAll('contacts'))).results.map((p) => p.name));
    const groups = new Set((await call(() => client.crm.properties.groupsApi.getAll('contacts'))).results.map((g) => g.name));
    if (!groups.has(PROPERTY_GROUP.name)) await call(() => client.crm.properties.groupsApi.create('contacts', { ...PROPERTY_GROUP, displayOrder: -1 }));
    for (const p of CUSTOM_PROPERTIES.filter((p) => !existing.has(p.name))) {
      await call(() => client.crm.properties.coreApi.create('contacts', { ...p, groupName: PROPERTY_GROUP.name, options: p.options?.map((o, i) => ({ ...o, displayOrder: i, hidden: false })) } as never));
    }
    this.options = legalBasisOptions(legalBasis.options);
    return this.options;
  }

  /**
   * Sends until the outbox is empty (or the sync is paused for the day). What the job runs.
   * Two senders work side by side, so one's database work overlaps the other's request; the
   * shared limiter, not their number, sets the pace, and the per-person locks keep them apart.
   */
  async drain(): Promise<DrainReport> {
    const report: DrainReport = { upserted: 0, failed: 0, purged: 0, unsubscribed: 0, rateLimited: 0, retried: 0, paused: false };
    if (!this.client) return report;
    // HubSpot holds every lead, customers' contacts included: the drain works as the system.
    await runAsSystem('hubspot sync', () => Promise.all(Array.from({ length: SENDERS }, (_, i) => this.send(report, i % 2 === 1))));
    return report;
  }

  private async send(report: DrainReport, newestFirst: boolean): Promise<void> {
    for (;;) {
      const control = await this.repo.control();
      if (control.pausedUntil && control.pausedUntil > new Date()) {
        report.paused = true;
        return;
      }
      if (control.pausedUntil) await this.repo.updateControl({ pausedUntil: null, pauseReason: null });
      let step: Step = 'idle';
      try {
        await this.prepare();
        for (const kind of ['purge', 'unsubscribe', 'upsert'] as const) {
          step = kind === 'upsert' ? await this.sendUpserts(report, newestFirst) : await this.sendSingles(kind, report);
          if (step !== 'idle') break;
        }
      } catch (err) {
        const failure = classify(err);
        step = await this.onFailure(failure, report);
        if (failure.kind === 'transient' || failure.kind === 'rejected') throw err; // prepare() or the database failed: the job retries later
      }
      if (step === 'idle') return;
      if (step === 'paused') {
        report.paused = true;
        return;
      }
    }
  }

  /** One batch of up to 100 people, in one transaction that holds their outbox rows. */
  private async sendUpserts(report: DrainReport, newestFirst: boolean): Promise<Step> {
    const tx = await this.repo.begin();
    try {
      const mine = await this.repo.claimUpserts(tx.client, BATCH_SIZE, newestFirst);
      if (!mine.length) {
        await tx.commit();
        return 'idle';
      }
      const step = await this.upsertBatch(tx.client, mine, report);
      if (step === 'paused' || step === 'window') {
        await tx.rollback();
        return step === 'paused' ? 'paused' : 'worked';
      }
      await tx.commit();
      return 'worked';
    } catch (err) {
      await tx.rollback();
      throw err;
    }
  }

  /**
   * Of these persons, those whose address is suppressed (erased before) and who gave no data
   * themselves since: a newer form, chat or mail of theirs lifts the suppression.
   */
  private async stillSuppressed(db: PoolClient, subjects: (PersonForSync & { email: string })[]): Promise<Set<string>> {
    const suppressions = await this.repo.suppressions(db, subjects.map((s) => ({ personId: s.id, emailHash: emailHash(s.email) })));
    if (!suppressions.length) return new Set();
    const lifted = await this.persons.gaveDataSince(db, suppressions.map((s) => ({ personId: s.personId, at: s.since })));
    await this.repo.liftSuppressions(db, suppressions.filter((s) => lifted.has(s.personId)).map((s) => s.emailHash));
    return new Set(suppressions.filter((s) => !lifted.has(s.personId)).map((s) => s.personId));
  }

  private async upsertBatch(db: PoolClient, rows: ClaimedRow[], report: DrainReport): Promise<'done' | 'paused' | 'window'> {
    const claimed = rows.map((r) => r.id);
    const subjects = await this.persons.forSync(db, [...new Set(rows.map((r) => r.personId))]);
    const outcomes: SyncOutcome[] = [];
    const withEmail = subjects.filter((s): s is PersonForSync & { email: string } => {
      if (s.email) return true;
      outcomes.push({ personId: s.id, state: 'failed', error: 'No e-mail address: HubSpot contacts are keyed on e-mail.' });
      return false;
    });
    const suppressed = await this.stillSuppressed(db, withEmail);
    for (const id of suppressed) outcomes.push({ personId: id, state: 'suppressed' });
    const toSend = withEmail.filter((s) => !suppressed.has(s.id));

    if (toSend.length) {
      const byEmail = new Map(toSend.map((s) => [s.email, s]));
      const inputs = toSend.map((s) => ({
        id: s.email,
        idProperty: 'email',
        properties: this.propertiesOf(s),
      }));
      let result: Awaited<ReturnType<Client['crm']['contacts']['batchApi']['upsert']>>;
      try {
        result = await this.call(() => this.client!.crm.contacts.batchApi.upsert({ inputs }));
      } catch (err) {
        const failure = classify(err);
        if (failure.kind === 'rejected' && inputs.length > 1) {
          // HubSpot refused the whole batch: send each contact alone, so one bad contact fails alone.
          for (const s of toSend) outcomes.push(await this.upsertOne(s));
        } else {
          const step = await this.onFailure(failure, report);
          if (failure.kind === 'transient') await this.repo.retryLater(db, claimed, backoffMs(Math.max(...rows.map((r) => r.attempts))), failure.message);
          if (failure.kind === 'rejected') for (const s of toSend) outcomes.push({ personId: s.id, state: 'failed', error: failure.message });
          if (step === 'paused') return 'paused';
          if (failure.kind === 'window') return 'window';
          if (failure.kind === 'transient') return 'done';
        }
        result = { results: [] } as never;
      }
      for (const contact of result.results ?? []) {
        const subject = byEmail.get(String(contact.properties?.email ?? '').toLowerCase());
        if (subject) outcomes.push({ personId: subject.id, state: 'synced', hubspotId: contact.id });
      }
      // A 207: the batch went through but for these contacts, each with HubSpot's own message.
      for (const error of (result as { errors?: { message: string; context?: { ids?: string[] } }[] }).errors ?? []) {
        for (const id of error.context?.ids ?? []) {
          const subject = byEmail.get(id.toLowerCase());
          if (subject) outcomes.push({ personId: subject.id, state: 'failed', error: error.message.slice(0, 1000) });
        }
      }
      const restricted = toSend.filter((s) => s.restricted && outcomes.some((o) => o.personId === s.id && o.state === 'synced'));
      await this.repo.recordDisclosures(db, SYSTEM_ACTOR, 'restriction', restricted.map((s) => ({ personId: s.id })));
    }
    await this.persons.recordOutcomes(db, claimed, outcomes);
    await this.repo.done(db, claimed);
    const synced = outcomes.filter((o) => o.state === 'synced').length;
    const failed = outcomes.filter((o) => o.state === 'failed').length;
    report.upserted += synced;
    report.failed += failed;
    await this.repo.updateControl({ synced, ...(failed ? { lastError: `${failed} contact(s) refused by HubSpot` } : {}) });
    return 'done';
  }

  private async upsertOne(s: PersonForSync & { email: string }): Promise<{ personId: string; state: 'synced' | 'failed'; hubspotId?: string; error?: string }> {
    const properties = this.propertiesOf(s);
    try {
      const result = await this.call(() => this.client!.crm.contacts.batchApi.upsert({ inputs: [{ id: s.email, idProperty: 'email', properties }] }));
      const error = (result as { errors?: { message: string }[] }).errors?.[0];
      return error ? { personId: s.id, state: 'failed', error: error.message } : { personId: s.id, state: 'synced', hubspotId: result.results[0]?.id };
    } catch (err) {
      const failure = classify(err);
      if (failure.kind !== 'rejected') throw err; // a 429 or an outage is not this contact's fault: the batch goes back and is retried
      return { personId: s.id, state: 'failed', error: failure.message };
    }
  }

  private propertiesOf(s: PersonForSync & { email: string }): Record<string, string> {
    return toContactProperties({ ...s, legalBases: s.legalBases ?? [], consents: (s.consents ?? []).map((c) => ({ ...c, at: new Date(c.at) })) }, this.options!);
  }

  /** GDPR deletes and unsubscribes go one address at a time. */
  private async sendSingles(kind: 'purge' | 'unsubscribe', report: DrainReport): Promise<Step> {
    const tx = await this.repo.begin();
    try {
      const [row] = await this.repo.claim(tx.client, kind, 1);
      if (!row) {
        await tx.commit();
        return 'idle';
      }
      try {
        if (kind === 'purge') {
          await this.call(() => this.client!.crm.contacts.basicApi.purge({ objectId: row.email!, idProperty: 'email' }));
          report.purged++;
        } else {
          await this.call(async () => {
            const res = await this.client!.apiRequest({ method: 'POST', path: `/communication-preferences/v4/statuses/${encodeURIComponent(row.email!)}/unsubscribe-all`, qs: { channel: 'EMAIL' } });
            if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { code: res.status, body: await res.text(), headers: Object.fromEntries(res.headers.entries()) });
          });
          report.unsubscribed++;
        }
      } catch (err) {
        const failure = classify(err);
        // A 404 on a GDPR delete: there is nothing (left) to delete.
        if (!(kind === 'purge' && failure.kind === 'rejected' && failure.status === 404)) {
          const step = await this.onFailure(failure, report);
          if (failure.kind === 'window' || failure.kind === 'daily') {
            await tx.rollback();
            return step === 'paused' ? 'paused' : 'worked';
          }
          await this.repo.retryLater(tx.client, [row.id], failure.kind === 'transient' ? backoffMs(row.attempts) : MAX_BACKOFF_MS, failure.message);
          await tx.commit();
          return 'worked';
        }
      }
      await this.repo.recordDisclosures(tx.client, SYSTEM_ACTOR, kind === 'purge' ? 'gdpr_delete' : 'unsubscribe_all', [{ personId: row.personId }]);
      await this.repo.done(tx.client, [row.id]);
      await tx.commit();
      return 'worked';
    } catch (err) {
      await tx.rollback();
      throw err;
    }
  }

  /** A request under the shared limiter and our timeout. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    await this.limiter.acquire();
    return withTimeout(work(), this.config.HUBSPOT_REQUEST_TIMEOUT_MS);
  }

  /**
   * What a failure does to the sync as a whole: wait out the window, pause for the day, or note
   * the error. The sync-wide state (shown to sales at /api/hubspot/status) says what kind of
   * failure it was, never HubSpot's message, which may name a contact: that stays on the outbox
   * row and the person, where row-level security decides who sees it.
   */
  private async onFailure(failure: Failure, report: DrainReport): Promise<Step> {
    this.logger.warn(`HubSpot ${failure.kind}: ${failure.kind === 'rejected' ? `HTTP ${failure.status}` : ''}`.trim());
    switch (failure.kind) {
      case 'window':
        report.rateLimited++;
        await this.repo.updateControl({ rateLimited: 1, lastError: describe(failure) });
        await this.sleep(failure.waitMs);
        return 'worked';
      case 'daily':
        report.rateLimited++;
        await this.repo.updateControl({ rateLimited: 1, pausedUntil: nextUtcMidnight(), pauseReason: "HubSpot's daily API limit is used up", lastError: describe(failure) });
        return 'paused';
      default:
        report.retried++;
        await this.repo.updateControl({ lastError: describe(failure) });
        return 'worked';
    }
  }
}
