import { runAsSystem } from '../access/access-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Client } from '@hubspot/api-client';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { SYSTEM_ACTOR } from '../domain/actor';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { classify, HUBSPOT_CLIENT, HUBSPOT_SLEEP, withTimeout, type Failure, type Sleep } from './hubspot.client';
import { HubspotLimiter } from './hubspot-limiter';
import { CUSTOM_PROPERTIES, parseStatusMap, portalOptions, PROPERTY_GROUP, toContactChange, type ContactChange, type PortalOptions } from './hubspot.mapper';
import { HubspotRepository, type ClaimedRow } from './hubspot.repository';
import { NotificationsService } from '../notifications/notifications.service';
import { PersonSyncService } from '../leads/person-sync.service';
import type { PersonForSync, SyncOutcome } from '../leads/person-sync.repository';

export const BATCH_SIZE = 100;
const MAX_BACKOFF_MS = 5 * 60_000;
/** Sends of one outbox row before it is given up and shown as failed (about 30 s of backoff in all, then staff decide). */
export const MAX_ATTEMPTS = 5;

/** A failure as the sync-wide status may tell it: its kind and HTTP status, no message. */
const describe = (failure: Failure): string =>
  ({
    window: 'rate limited (10-second window)',
    daily: 'daily API limit used up',
    transient: 'HubSpot or the network failed; retrying',
    access: `HubSpot refused our access token (HTTP ${(failure as { status?: number }).status}); paused until it works again`,
    rejected: `HubSpot refused a request (HTTP ${(failure as { status?: number }).status})`,
  })[failure.kind];

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

/** HubSpot's message about an address we are deleting may quote it: the failure shown keeps no address. */
const withoutAddresses = (message: string) => message.replace(/[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g, '[address]');

export interface DrainReport {
  upserted: number;
  failed: number;
  purged: number;
  unsubscribed: number;
  merged: number;
  rateLimited: number;
  retried: number;
  paused: boolean;
}

type Step = 'worked' | 'idle' | 'paused';
type Subject = PersonForSync & { change: ContactChange };
type BatchAnswer = { results?: { id: string; properties?: Record<string, string | null> }[]; errors?: { message: string; category?: string; context?: { ids?: string[] } }[] };

/** A failure that stops the whole batch (window, day, token): its rows go back untouched. */
class BatchStopped extends Error {
  constructor(readonly step: 'paused' | 'worked') {
    super('batch stopped');
  }
}

/**
 * Drains the outbox into HubSpot: one contact per person (updated by its HubSpot id once known,
 * upserted by e-mail before), merges, GDPR deletes and unsubscribes; under a limiter shared by
 * every instance, with HubSpot's 429s, timeouts and errors handled by our own policy. An outbox
 * row is done only when HubSpot confirmed it or refused it by name; rows are claimed with SKIP
 * LOCKED and per-person locks, so instances draining at once never send the same row twice.
 */
@Injectable()
export class HubspotSyncService {
  private readonly logger = new Logger('HubSpotSync');
  private portal?: PortalOptions;
  private preparing?: Promise<PortalOptions>;
  private readonly gauge = { waiting: 0, sending: 0 };

  constructor(
    private readonly repo: HubspotRepository,
    private readonly persons: PersonSyncService,
    private readonly limiter: HubspotLimiter,
    private readonly notifications: NotificationsService,
    @Inject(HUBSPOT_CLIENT) private readonly client: Client | null,
    @Inject(HUBSPOT_SLEEP) private readonly sleep: Sleep,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get configured(): boolean {
    return this.client !== null;
  }

  /**
   * Reads the portal's options (hs_legal_basis, hs_lead_status, lifecycle stages) and creates our
   * property group and properties where missing. Once per process, before the first send.
   */
  prepare(): Promise<PortalOptions> {
    // One preparation per process, however many senders ask; a failed one is tried again next time.
    this.preparing ??= this.prepareOnce().catch((err) => {
      this.preparing = undefined;
      throw err;
    });
    return this.preparing;
  }

  private async prepareOnce(): Promise<PortalOptions> {
    const client = this.client!;
    const call = <T>(work: () => Promise<T>) => this.call(work);
    const read = (name: string) => call(() => client.crm.properties.coreApi.getByName('contacts', name));
    const [legalBasis, leadStatus, stages] = [await read('hs_legal_basis'), await read('hs_lead_status'), await read('lifecyclestage')];
    const existing = new Set((await call(() => client.crm.properties.coreApi.getAll('contacts'))).results.map((p) => p.name));
    const groups = new Set((await call(() => client.crm.properties.groupsApi.getAll('contacts'))).results.map((g) => g.name));
    if (!groups.has(PROPERTY_GROUP.name)) await call(() => client.crm.properties.groupsApi.create('contacts', { ...PROPERTY_GROUP, displayOrder: -1 }));
    for (const p of CUSTOM_PROPERTIES.filter((p) => !existing.has(p.name))) {
      await call(() => client.crm.properties.coreApi.create('contacts', { ...p, groupName: PROPERTY_GROUP.name, options: p.options?.map((o, i) => ({ ...o, displayOrder: i, hidden: false })) } as never));
    }
    this.portal = portalOptions(legalBasis.options, leadStatus.options, stages.options, {
      leadStatus: parseStatusMap(this.config.HUBSPOT_LEAD_STATUS_MAP),
      lifecycle: parseStatusMap(this.config.HUBSPOT_LIFECYCLE_MAP),
    });
    for (const missing of this.portal.missing) this.logger.warn(`HubSpot ${missing}: not sent`);
    return this.portal;
  }

  /**
   * Sends until the outbox is empty (or the sync is paused). What the job runs. Several senders
   * work side by side, so enough requests are in flight that the shared limiter, not one
   * sender's round trips (claim, map, send, record), sets the pace; the per-person locks keep
   * them apart.
   */
  async drain(): Promise<DrainReport> {
    const report: DrainReport = { upserted: 0, failed: 0, purged: 0, unsubscribed: 0, merged: 0, rateLimited: 0, retried: 0, paused: false };
    if (!this.client || (await this.paused(report))) return report;
    try {
      await this.prepare();
    } catch (err) {
      // The portal could not be read: the sync waits, longer each time, rather than ask again at once.
      const failure = classify(err);
      await this.onFailure(failure.kind === 'window' || failure.kind === 'daily' || failure.kind === 'access' ? failure : { kind: 'access', status: failure.status ?? 0, message: failure.message, setup: true }, report);
      report.paused = true;
      return report;
    }
    // HubSpot holds every lead, customers' contacts included: the drain works as the system.
    await runAsSystem('hubspot sync', () => Promise.all(Array.from({ length: this.config.HUBSPOT_SENDERS }, (_, i) => this.send(report, i % 2 === 1))));
    return report;
  }

  /** Paused (the daily limit, or our access refused and its backoff not yet over). */
  private async paused(report: DrainReport): Promise<boolean> {
    const control = await this.repo.control();
    report.paused = Boolean(control.pausedUntil && control.pausedUntil > new Date());
    return report.paused;
  }

  private async send(report: DrainReport, newestFirst: boolean): Promise<void> {
    for (;;) {
      if (await this.paused(report)) return;
      let step: Step = 'idle';
      try {
        for (const kind of ['purge', 'merge', 'unsubscribe', 'upsert'] as const) {
          step = kind === 'upsert' ? await this.sendUpserts(report, newestFirst) : await this.sendSingle(kind, report);
          if (step !== 'idle') break;
        }
      } catch (err) {
        if (!(err instanceof BatchStopped)) throw err; // the database failed: the job retries later
        step = err.step;
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
      const mine = await this.repo.claimUpserts(tx.client, BATCH_SIZE, this.config.HUBSPOT_SENDERS, newestFirst);
      if (!mine.length) {
        await tx.commit();
        return 'idle';
      }
      await this.upsertBatch(tx.client, mine, report);
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
  private async stillSuppressed(db: PoolClient, subjects: PersonForSync[]): Promise<Set<string>> {
    const withEmail = subjects.filter((s) => s.email);
    const suppressions = await this.repo.suppressions(db, withEmail.map((s) => ({ personId: s.id, emailHash: emailHash(s.email!) })));
    if (!suppressions.length) return new Set();
    const lifted = await this.persons.gaveDataSince(db, suppressions.map((s) => ({ personId: s.personId, at: s.since })));
    await this.repo.liftSuppressions(db, suppressions.filter((s) => lifted.has(s.personId)).map((s) => s.emailHash));
    return new Set(suppressions.filter((s) => !lifted.has(s.personId)).map((s) => s.personId));
  }

  private async upsertBatch(db: PoolClient, rows: ClaimedRow[], report: DrainReport): Promise<void> {
    const portal = this.portal!;
    const outcomes = new Map<string, SyncOutcome>();
    const found = await this.persons.forSync(db, [...new Set(rows.map((r) => r.personId))]);
    const suppressed = await this.stillSuppressed(db, found);
    const byId: Subject[] = [];
    const byEmail: Subject[] = [];
    for (const s of found) {
      if (suppressed.has(s.id)) outcomes.set(s.id, { personId: s.id, state: 'suppressed' });
      // Restricted before HubSpot ever had them: there is nothing to tell it, and nothing more may go.
      else if (s.restricted && !s.hubspotId) outcomes.set(s.id, { personId: s.id, state: 'restricted' });
      else if (!s.hubspotId && !s.email) outcomes.set(s.id, { personId: s.id, state: 'failed', error: 'No e-mail address: a new HubSpot contact is keyed on e-mail.' });
      else {
        const change = toContactChange({ ...s, legalBases: s.legalBases ?? [], consents: (s.consents ?? []).map((c) => ({ ...c, at: new Date(c.at) })) }, portal);
        (s.hubspotId ? byId : byEmail).push({ ...s, change });
      }
    }
    const attempts = new Map<string, number>();
    for (const r of rows) attempts.set(r.personId, Math.max(attempts.get(r.personId) ?? 0, r.attempts));
    await Promise.all([
      this.sendGroup('update', byId, outcomes, attempts, report),
      this.sendGroup('upsert', byEmail, outcomes, attempts, report),
    ]);

    const settled = [...outcomes.values()];
    const retry = new Set(settled.filter((o) => o.state === 'retry').map((o) => o.personId));
    await this.repo.done(db, rows.filter((r) => !retry.has(r.personId)).map((r) => r.id));
    const again = rows.filter((r) => retry.has(r.personId));
    if (again.length) await this.repo.retryLater(db, again.map((r) => r.id), backoffMs(Math.max(...again.map((r) => r.attempts))), outcomes.get(again[0].personId)!.error ?? 'retrying');
    await this.persons.recordOutcomes(db, settled);
    const restricted = [...byId, ...byEmail].filter((s) => s.restricted && outcomes.get(s.id)?.state === 'synced');
    await this.repo.recordDisclosures(db, SYSTEM_ACTOR, 'restriction', restricted.map((s) => ({ personId: s.id })));
    const synced = settled.filter((o) => o.state === 'synced').length;
    const failed = settled.filter((o) => o.state === 'failed').length;
    report.upserted += synced;
    report.failed += failed;
    await this.repo.updateControl({ synced, ...(failed ? { lastError: `${failed} contact(s) refused by HubSpot` } : {}) });
  }

  /**
   * One request for these persons (an update by id, or an upsert by e-mail), and what its
   * answer says of each: confirmed, refused by name, or neither (sent again, then failed).
   */
  private async sendGroup(how: 'update' | 'upsert', subjects: Subject[], outcomes: Map<string, SyncOutcome>, attempts: Map<string, number>, report: DrainReport): Promise<void> {
    if (!subjects.length) return;
    const inputs = subjects.map((s) => (how === 'update' ? { id: s.hubspotId!, properties: s.change.properties } : { id: s.email!, idProperty: 'email', properties: s.change.properties }));
    let answer: BatchAnswer;
    try {
      answer = await this.call(() => (how === 'update' ? this.client!.crm.contacts.batchApi.update({ inputs }) : this.client!.crm.contacts.batchApi.upsert({ inputs })) as Promise<BatchAnswer>);
    } catch (err) {
      const failure = classify(err);
      if (failure.kind === 'rejected' && subjects.length > 1) {
        // HubSpot refused the whole batch: send each contact alone, so one bad contact fails alone.
        for (const s of subjects) await this.sendGroup(how, [s], outcomes, attempts, report);
        return;
      }
      if (failure.kind === 'rejected') {
        outcomes.set(subjects[0].id, { personId: subjects[0].id, state: 'failed', error: failure.message });
        return;
      }
      const step = await this.onFailure(failure, report);
      if (failure.kind !== 'transient') throw new BatchStopped(step === 'paused' ? 'paused' : 'worked');
      for (const s of subjects) outcomes.set(s.id, this.unanswered(s, attempts, failure.message));
      return;
    }
    await this.accessWorks();
    const keyOf = (s: Subject) => (how === 'update' ? s.hubspotId! : s.email!.toLowerCase());
    const byKey = new Map(subjects.map((s) => [keyOf(s), s]));
    const byEmail = new Map(subjects.filter((s) => s.email).map((s) => [s.email!.toLowerCase(), s]));
    for (const contact of answer.results ?? []) {
      // By the id or address we sent; an id HubSpot resolved to another (a merge in HubSpot) by the address.
      const s = (how === 'update' ? byKey.get(contact.id) : undefined) ?? byEmail.get(String(contact.properties?.email ?? '').toLowerCase());
      if (s) outcomes.set(s.id, { personId: s.id, state: 'synced', hubspotId: contact.id, stage: s.change.stage, clears: s.change.clears });
    }
    // A 207: the batch went through but for these contacts, each with HubSpot's own message.
    for (const error of answer.errors ?? []) {
      for (const id of error.context?.ids ?? []) {
        const s = byKey.get(how === 'update' ? id : id.toLowerCase());
        if (!s) continue;
        // The contact is gone from HubSpot (deleted there): the next send creates it again by e-mail.
        if (how === 'update' && error.category === 'OBJECT_NOT_FOUND') outcomes.set(s.id, { personId: s.id, state: 'retry', forgetId: true, error: 'HubSpot no longer has the contact; sending it again by e-mail' });
        else outcomes.set(s.id, { personId: s.id, state: 'failed', error: error.message.slice(0, 1000) });
      }
    }
    for (const s of subjects) if (!outcomes.has(s.id)) outcomes.set(s.id, this.unanswered(s, attempts, 'HubSpot neither confirmed nor refused this contact'));
  }

  /** Sent, but not answered for: again later, until the attempts run out, then a visible failure. */
  private unanswered(s: Subject, attempts: Map<string, number>, error: string): SyncOutcome {
    return (attempts.get(s.id) ?? 0) + 1 >= MAX_ATTEMPTS ? { personId: s.id, state: 'failed', error: `${error} (${MAX_ATTEMPTS} attempts)` } : { personId: s.id, state: 'retry', error };
  }

  /** GDPR deletes, merges and unsubscribes go one at a time. */
  private async sendSingle(kind: 'purge' | 'merge' | 'unsubscribe', report: DrainReport): Promise<Step> {
    const tx = await this.repo.begin();
    try {
      const [row] = await this.repo.claim(tx.client, kind, 1);
      if (!row) {
        await tx.commit();
        return 'idle';
      }
      let failure: Failure | undefined;
      try {
        await this.call(() => this.single(row));
        await this.accessWorks();
      } catch (err) {
        failure = classify(err);
        // A 404: there is nothing (left) to delete or merge.
        if (kind !== 'unsubscribe' && failure.kind === 'rejected' && failure.status === 404) failure = undefined;
      }
      const step = failure && (await this.onFailure(failure, report));
      if (failure && failure.kind !== 'transient' && failure.kind !== 'rejected') {
        await tx.rollback();
        return step === 'paused' ? 'paused' : 'worked';
      }
      if (failure) {
        const message = withoutAddresses(failure.message);
        if (row.attempts + 1 < MAX_ATTEMPTS) await this.repo.retryLater(tx.client, [row.id], backoffMs(row.attempts), message);
        else {
          await this.repo.giveUp(tx.client, row.id, message);
          await tx.commit();
          // Erasures and objections carry a legal deadline: the DPO hears of one that did not go through.
          if (kind !== 'merge') await this.notifications.hubspotDeliveryFailed({ kind, personId: row.personId, error: message });
          return 'worked';
        }
        await tx.commit();
        return 'worked';
      }
      if (kind === 'purge') report.purged++;
      else if (kind === 'merge') report.merged++;
      else report.unsubscribed++;
      const disclosure = { purge: 'gdpr_delete', merge: 'contact_merge', unsubscribe: 'unsubscribe_all' }[kind];
      await this.repo.recordDisclosures(tx.client, SYSTEM_ACTOR, disclosure, [{ personId: row.personId }]);
      await this.repo.done(tx.client, [row.id]);
      await tx.commit();
      return 'worked';
    } catch (err) {
      await tx.rollback();
      throw err;
    }
  }

  private async single(row: ClaimedRow): Promise<void> {
    const client = this.client!;
    if (row.kind === 'purge') {
      await client.crm.contacts.basicApi.purge(row.hubspotId ? { objectId: row.hubspotId } : { objectId: row.email!, idProperty: 'email' });
    } else if (row.kind === 'merge') {
      await client.crm.contacts.basicApi.merge({ primaryObjectId: row.hubspotId!, objectIdToMerge: row.mergedHubspotId! });
    } else {
      const res = await client.apiRequest({ method: 'POST', path: `/communication-preferences/v4/statuses/${encodeURIComponent(row.email!)}/unsubscribe-all`, qs: { channel: 'EMAIL' } });
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { code: res.status, body: await res.text(), headers: Object.fromEntries(res.headers.entries()) });
    }
  }

  /** A request under the shared limiter and our timeout. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    this.gauge.waiting++;
    try {
      await this.limiter.acquire();
    } finally {
      this.gauge.waiting--;
    }
    this.gauge.sending++;
    try {
      return await withTimeout(work(), this.config.HUBSPOT_REQUEST_TIMEOUT_MS);
    } finally {
      this.gauge.sending--;
    }
  }

  /**
   * This process's requests right now: waiting for the limiter, and sent but not answered. With
   * one waiting most of the time, the limiter, not the senders' round trips, sets the pace.
   */
  get requests(): Readonly<{ waiting: number; sending: number }> {
    return this.gauge;
  }

  /** HubSpot took a request: a pause for our token (or a failed start) is over. */
  private async accessWorks(): Promise<void> {
    if (await this.repo.accessRestored()) this.logger.log('HubSpot accepts our access token again: the sync goes on');
  }

  /**
   * What a failure does to the sync as a whole: wait out the window, pause for the day or for a
   * token that works, or note the error. The sync-wide state (shown to sales at
   * /api/hubspot/status) says what kind of failure it was, never HubSpot's message, which may
   * name a contact: that stays on the outbox row and the person, where row-level security decides
   * who sees it.
   */
  private async onFailure(failure: Failure, report: DrainReport): Promise<Step> {
    switch (failure.kind) {
      case 'window':
        report.rateLimited++;
        await this.repo.updateControl({ rateLimited: 1, lastError: describe(failure) });
        await this.sleep(failure.waitMs);
        return 'worked';
      case 'daily':
        report.rateLimited++;
        await this.repo.updateControl({ rateLimited: 1, pausedUntil: nextUtcMidnight(), pauseReason: "HubSpot's daily API limit is used up", lastError: describe(failure) });
        this.logger.warn('HubSpot daily: paused until midnight UTC');
        return 'paused';
      case 'access': {
        // Our token (or the portal) is the problem, not the contacts: nothing is marked failed, and
        // the sync tries again later, waiting longer each time; logged once, not on every try.
        const reason = failure.setup ? `HubSpot could not be prepared (${failure.status ? `HTTP ${failure.status}` : 'no answer'}); trying again later` : describe(failure);
        const failures = await this.repo.accessFailed(reason, (n) => new Date(Date.now() + backoffMs(n + 2)));
        if (failures === 1) this.logger.warn(`HubSpot sync paused: ${reason}`);
        return 'paused';
      }
      default:
        this.logger.warn(`HubSpot ${failure.kind}${failure.kind === 'rejected' ? `: HTTP ${failure.status}` : ''}`);
        report.retried++;
        await this.repo.updateControl({ lastError: describe(failure) });
        return 'worked';
    }
  }
}
