import { runAsSystem } from '../access/access-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Client } from '@hubspot/api-client';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { SYSTEM_ACTOR } from '../domain/actor';
import { foldEmail } from '../domain/identity';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { classify, HUBSPOT_CLIENT, HUBSPOT_SLEEP, safeJson, withTimeout, type Failure, type Sleep } from './hubspot.client';
import { HubspotLimiter } from './hubspot-limiter';
import { CUSTOM_PROPERTIES, parseStatusMap, portalOptions, PROPERTY_GROUP, toContactChange, type ContactChange, type PortalOptions } from './hubspot.mapper';
import { HubspotRepository, type ClaimedRow } from './hubspot.repository';
import { NotificationsService } from '../notifications/notifications.service';
import { PersonSyncService } from '../leads/person-sync.service';
import type { PersonForSync, SyncOutcome } from '../leads/person-sync.repository';

export const BATCH_SIZE = 100;
const MAX_BACKOFF_MS = 5 * 60_000;
/** Sends of one outbox row HubSpot answered without taking it, before it is given up and shown as failed (about 30 s of backoff in all, then staff decide). */
export const MAX_ATTEMPTS = 5;
/**
 * A row HubSpot did not answer (5xx, a timeout, no connection) is given up only when it is also
 * this old: an outage is HubSpot's, not the contact's, and the sync waits it out (paused, longer
 * each time, up to 5 minutes between tries) instead of spending every row's attempts in seconds.
 */
export const OUTAGE_GIVE_UP_MS = 24 * 3_600_000;
/** Unanswered requests in a row that make an outage (the sync pauses); fewer are a blip, and the rows are simply sent again later. */
export const OUTAGE_AFTER = 3;
/**
 * HubSpot's daily limit resets at midnight in the account's own time zone, which the sync does
 * not know: paused this long, then one request asks again.
 */
export const DAILY_PAUSE_MS = 30 * 60_000;

/** A failure as the sync-wide status may tell it: its kind and HTTP status, no message. */
const describe = (failure: Failure): string =>
  ({
    window: 'rate limited (10-second window)',
    daily: 'daily API limit used up',
    transient: 'HubSpot or the network failed; paused, trying again later',
    access: (failure as { scope?: boolean }).scope
      ? 'HubSpot refused a call for a scope this app lacks (HTTP 403); those calls are retried, then shown as failed, the rest go on'
      : `HubSpot refused our access token (HTTP ${(failure as { status?: number }).status}); paused until it works again`,
    rejected: `HubSpot refused a request (HTTP ${(failure as { status?: number }).status})`,
  })[failure.kind];

export const emailHash = (email: string) => createHash('sha256').update(foldEmail(email)).digest('hex');

/** Exponential backoff with full jitter: 1 s, 2 s, 4 s ... up to 5 minutes, each between half and all of it. */
export function backoffMs(attempts: number): number {
  const ceiling = Math.min(1000 * 2 ** attempts, MAX_BACKOFF_MS);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * HubSpot's refusal of one contact, as kept on the person. An update that would give the contact
 * an address another contact has ("Contact already exists. Existing ID: N") is said as what staff
 * can do about it; the other contact's id stays (it is not personal), HubSpot's wording does not.
 */
function refusal(category: string | undefined, message: string): string {
  const existing = category === 'CONFLICT' ? /Existing ID: *(\d+)/i.exec(message) : null;
  if (existing) return `HubSpot already has another contact with this address (id ${existing[1]}): merge the two in HubSpot or correct the address here, then requeue`;
  return message.slice(0, 1000);
}

/** An answer to creating a group or property that says it is there already (409 OBJECT_ALREADY_EXISTS). */
const alreadyExists = (failure: Failure) => failure.kind === 'rejected' && failure.status === 409 && (failure.category === 'OBJECT_ALREADY_EXISTS' || /already exists/i.test(failure.message));

/** HubSpot's message about an address we are deleting may quote it, also URL-encoded: the failure shown keeps no address. */
const withoutAddresses = (message: string) => message.replace(/[^\s@"'<>(),;:/?&=]+(?:@|%40)[^\s@"'<>(),;:/?&=]+/gi, '[address]');

export interface DrainReport {
  upserted: number;
  failed: number;
  purged: number;
  unsubscribed: number;
  merged: number;
  rateLimited: number;
  retried: number;
  paused: boolean;
  /** Erasures and objections given up in this drain: the DPO hears of them in one notice. */
  givenUp: { kind: 'purge' | 'unsubscribe'; personId: string; error: string }[];
}

type Step = 'worked' | 'idle' | 'paused';
/** Per person in a batch: the most sends any of their rows had, and when the oldest was queued. */
type Tries = Map<string, { attempts: number; since: Date }>;
type Subject = PersonForSync & { change: ContactChange };
type BatchAnswer = { results?: { id: string; properties?: Record<string, string | null> }[]; errors?: { message: string; category?: string; context?: { ids?: string[] } }[] };

/**
 * A failure that stops the whole batch (window, day, token): its rows go back untouched, and a
 * wait for the window (`waitMs`) comes only after its transaction is rolled back, holding no rows.
 */
class BatchStopped extends Error {
  constructor(
    readonly step: 'paused' | 'worked',
    readonly waitMs = 0,
  ) {
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
    const existing = new Map((await call(() => client.crm.properties.coreApi.getAll('contacts'))).results.map((p) => [p.name, p]));
    const groups = new Set((await call(() => client.crm.properties.groupsApi.getAll('contacts'))).results.map((g) => g.name));
    // Another instance (or person) may create the same thing between our read and our create: theirs is as good as ours.
    const create = async (work: () => Promise<unknown>) => {
      try {
        await call(work);
      } catch (err) {
        if (!alreadyExists(classify(err))) throw err;
      }
    };
    if (!groups.has(PROPERTY_GROUP.name)) await create(() => client.crm.properties.groupsApi.create('contacts', { ...PROPERTY_GROUP, displayOrder: -1 }));
    const unusable: { name: string; why: string }[] = [];
    for (const p of CUSTOM_PROPERTIES) {
      const theirs = existing.get(p.name);
      if (!theirs) {
        await create(() => client.crm.properties.coreApi.create('contacts', { ...p, groupName: PROPERTY_GROUP.name, options: p.options?.map((o, i) => ({ ...o, displayOrder: i, hidden: false })) } as never));
        continue;
      }
      // Made by someone else, or by an older version of ours: a value of ours it cannot hold would fail every contact, one by one.
      if (theirs.type !== p.type || theirs.fieldType !== p.fieldType) {
        unusable.push({ name: p.name, why: `is ${theirs.type}/${theirs.fieldType}, not ${p.type}/${p.fieldType}` });
        continue;
      }
      const lacking = (p.options ?? []).filter((o) => !theirs.options.some((t) => t.value === o.value));
      if (!lacking.length) continue;
      // HubSpot's PATCH replaces the whole option list: theirs are sent back with ours after them.
      const options = [
        ...theirs.options.map((o) => ({ label: o.label, value: o.value, description: o.description, displayOrder: o.displayOrder, hidden: o.hidden })),
        ...lacking.map((o, i) => ({ ...o, displayOrder: theirs.options.length + i, hidden: false })),
      ];
      try {
        await call(() => client.crm.properties.coreApi.update('contacts', p.name, { options }));
      } catch (err) {
        const failure = classify(err);
        if (failure.kind !== 'rejected') throw err;
        unusable.push({ name: p.name, why: `lacks option(s) ${lacking.map((o) => o.value).join(', ')} and HubSpot refused to add them (HTTP ${failure.status})` });
      }
    }
    this.portal = {
      ...portalOptions(legalBasis.options, leadStatus.options, stages.options, {
        leadStatus: parseStatusMap(this.config.HUBSPOT_LEAD_STATUS_MAP),
        lifecycle: parseStatusMap(this.config.HUBSPOT_LIFECYCLE_MAP),
      }),
      unusable: unusable.map((u) => u.name),
    };
    for (const missing of this.portal.missing) this.logger.warn(`HubSpot ${missing}: not sent`);
    if (unusable.length) {
      // Property names are ours, not personal: fit for the log and the sync-wide status.
      const message = `HubSpot property ${unusable.map((u) => `${u.name} ${u.why}`).join('; ')}: not sent until fixed in HubSpot`;
      this.logger.warn(message);
      await this.repo.updateControl({ lastError: message.slice(0, 1000) });
    }
    return this.portal;
  }

  /**
   * Sends until the outbox is empty (or the sync is paused). What the job runs. Several senders
   * work side by side, so enough requests are in flight that the shared limiter, not one
   * sender's round trips (claim, map, send, record), sets the pace; the per-person locks keep
   * them apart.
   */
  async drain(): Promise<DrainReport> {
    const report: DrainReport = { upserted: 0, failed: 0, purged: 0, unsubscribed: 0, merged: 0, rateLimited: 0, retried: 0, paused: false, givenUp: [] };
    if (!this.client || (await this.paused(report))) return report;
    try {
      await this.work(report);
    } finally {
      // Erasures and objections carry a legal deadline: the DPO hears of those that did not go through, once per drain.
      if (report.givenUp.length) await this.notifications.hubspotDeliveryFailed(report.givenUp);
    }
    return report;
  }

  private async work(report: DrainReport): Promise<void> {
    try {
      await this.prepare();
    } catch (err) {
      // The portal could not be read: the sync waits, longer each time, rather than ask again at once.
      const failure = classify(err);
      await this.onFailure(failure.kind === 'window' || failure.kind === 'daily' || (failure.kind === 'access' && !failure.scope) ? failure : { kind: 'access', status: failure.status ?? 0, message: failure.message, setup: true }, report);
      if (failure.kind === 'window') await this.sleep(failure.waitMs);
      report.paused = true;
      return;
    }
    // HubSpot holds every lead, customers' contacts included: the drain works as the system.
    await runAsSystem('hubspot sync', () => Promise.all(Array.from({ length: this.config.HUBSPOT_SENDERS }, (_, i) => this.send(report, i % 2 === 1))));
  }

  /**
   * Paused (the daily limit, an outage, or our access refused, and its wait not yet over). The
   * report only ever turns paused: senders read the control row at different moments, and one
   * that read it before another paused the sync must not clear that.
   */
  private async paused(report: DrainReport): Promise<boolean> {
    const control = await this.repo.control();
    const paused = Boolean(control.pausedUntil && control.pausedUntil > new Date());
    if (paused) report.paused = true;
    return paused;
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
        // The batch's transaction is over (rolled back, its rows untouched): waiting holds no row and no connection.
        if (err.waitMs) await this.sleep(err.waitMs);
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
    const attempts: Tries = new Map();
    for (const r of rows) {
      const seen = attempts.get(r.personId);
      attempts.set(r.personId, { attempts: Math.max(seen?.attempts ?? 0, r.attempts), since: seen && seen.since < r.createdAt ? seen.since : r.createdAt });
    }
    await Promise.all([
      this.sendGroup('update', byId, outcomes, attempts, report),
      this.sendGroup('upsert', byEmail, outcomes, attempts, report),
    ]);

    const settled = [...outcomes.values()];
    const retry = new Set(settled.filter((o) => o.state === 'retry').map((o) => o.personId));
    await this.repo.done(db, rows.filter((r) => !retry.has(r.personId)).map((r) => r.id));
    // Each row keeps its own person's reason: persons in one batch retry for different ones.
    const again = new Map<string, ClaimedRow[]>();
    for (const r of rows.filter((r) => retry.has(r.personId))) {
      const error = outcomes.get(r.personId)!.error ?? 'retrying';
      again.set(error, [...(again.get(error) ?? []), r]);
    }
    for (const [error, same] of again) await this.repo.retryLater(db, same.map((r) => r.id), backoffMs(Math.max(...same.map((r) => r.attempts))), error);
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
  private async sendGroup(how: 'update' | 'upsert', subjects: Subject[], outcomes: Map<string, SyncOutcome>, attempts: Tries, report: DrainReport): Promise<void> {
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
        outcomes.set(subjects[0].id, { personId: subjects[0].id, state: 'failed', error: refusal(failure.category, failure.message) });
        return;
      }
      const step = await this.onFailure(failure, report);
      if (failure.kind !== 'transient') throw new BatchStopped(step === 'paused' ? 'paused' : 'worked', failure.kind === 'window' ? failure.waitMs : 0);
      for (const s of subjects) outcomes.set(s.id, this.unanswered(s, attempts, failure.message, true));
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
        // The contact is gone from HubSpot: deleted there, perhaps as someone's erasure, which a send by
        // e-mail would undo. Shown as failed, its id forgotten: staff decide, and a requeue creates it again.
        if (how === 'update' && error.category === 'OBJECT_NOT_FOUND') outcomes.set(s.id, { personId: s.id, state: 'failed', forgetId: true, error: 'HubSpot no longer has this contact (deleted there); not created again unless staff requeue it' });
        else outcomes.set(s.id, { personId: s.id, state: 'failed', error: refusal(error.category, error.message) });
      }
    }
    for (const s of subjects) if (!outcomes.has(s.id)) outcomes.set(s.id, this.unanswered(s, attempts, 'HubSpot neither confirmed nor refused this contact'));
  }

  /** Sent, but not answered for: again later, until the attempts run out (in an outage, also the day), then a visible failure. */
  private unanswered(s: Subject, attempts: Tries, error: string, outage = false): SyncOutcome {
    const seen = attempts.get(s.id);
    return givesUp(seen?.attempts ?? 0, seen?.since ?? new Date(), outage) ? { personId: s.id, state: 'failed', error: `${error} (${(seen?.attempts ?? 0) + 1} attempts)` } : { personId: s.id, state: 'retry', error };
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
      let mergedId: string | undefined;
      try {
        mergedId = await this.call(() => this.single(row));
        await this.accessWorks();
      } catch (err) {
        failure = classify(err);
        // HubSpot's own "no such object": there is nothing (left) to delete or merge. Any other 404 (a wrong path or base URL) is a failure.
        if (kind !== 'unsubscribe' && failure.kind === 'rejected' && failure.status === 404 && failure.category === 'OBJECT_NOT_FOUND') failure = undefined;
      }
      const step = failure && (await this.onFailure(failure, report, true));
      // The row's own failure: HubSpot refused it, did not answer, or lacks a scope for this kind of call.
      const rowFailure = failure && (failure.kind === 'transient' || failure.kind === 'rejected' || (failure.kind === 'access' && failure.scope));
      if (failure && !rowFailure) {
        await tx.rollback();
        if (failure.kind === 'window') await this.sleep(failure.waitMs); // the row is free again while we wait
        return step === 'paused' ? 'paused' : 'worked';
      }
      if (failure) {
        const message = withoutAddresses(failure.message);
        if (!givesUp(row.attempts, row.createdAt, failure.kind === 'transient')) await this.repo.retryLater(tx.client, [row.id], backoffMs(row.attempts), message);
        else {
          await this.repo.giveUp(tx.client, row.id, message);
          if (kind !== 'merge') report.givenUp.push({ kind, personId: row.personId, error: message });
        }
        await tx.commit();
        return step === 'paused' ? 'paused' : 'worked';
      }
      if (kind === 'purge') report.purged++;
      else if (kind === 'merge') report.merged++;
      else report.unsubscribed++;
      // HubSpot gives the merged record a new id (both old ones answer for it): the person keeps it.
      if (mergedId) await this.persons.recordOutcomes(tx.client, [{ personId: row.personId, state: 'synced', hubspotId: mergedId }]);
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

  /** One GDPR delete, merge (answering the merged record's id) or unsubscribe. */
  private async single(row: ClaimedRow): Promise<string | undefined> {
    const client = this.client!;
    if (row.kind === 'purge') {
      await client.crm.contacts.basicApi.purge(row.hubspotId ? { objectId: row.hubspotId } : { objectId: row.email!, idProperty: 'email' });
    } else if (row.kind === 'merge') {
      return (await client.crm.contacts.basicApi.merge({ primaryObjectId: row.hubspotId!, objectIdToMerge: row.mergedHubspotId! })).id;
    } else {
      const res = await client.apiRequest({ method: 'POST', path: `/communication-preferences/v4/statuses/${encodeURIComponent(row.email!)}/unsubscribe-all`, qs: { channel: 'EMAIL' } });
      const body = await res.text();
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { code: res.status, body, headers: Object.fromEntries(res.headers.entries()) });
      // A 200 is done only when its status says so and it names no error.
      const answer = (safeJson(body) ?? {}) as { status?: string; numErrors?: number; errors?: { message?: string }[] };
      if (answer.status !== 'COMPLETE' || answer.numErrors || answer.errors?.length) {
        throw Object.assign(new Error('unsubscribe not complete'), { code: 422, body: { message: `HubSpot answered the unsubscribe with status ${String(answer.status ?? 'none').slice(0, 20)}${answer.errors?.length ? `: ${answer.errors[0].message ?? ''}` : ''}` } });
      }
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
   * What a failure does to the sync as a whole: note the window (the caller waits it out once its
   * transaction is over, so no rows stay locked meanwhile), pause for the day or for a
   * token that works, or note the error. The sync-wide state (shown to sales at
   * /api/hubspot/status) says what kind of failure it was, never HubSpot's message, which may
   * name a contact: that stays on the outbox row and the person, where row-level security decides
   * who sees it.
   */
  private async onFailure(failure: Failure, report: DrainReport, oneRow = false): Promise<Step> {
    switch (failure.kind) {
      case 'window':
        report.rateLimited++;
        await this.repo.updateControl({ rateLimited: 1, lastError: describe(failure) });
        return 'worked';
      case 'daily':
        report.rateLimited++;
        await this.repo.updateControl({ rateLimited: 1, pausedUntil: new Date(Date.now() + DAILY_PAUSE_MS), pauseReason: "HubSpot's daily API limit is used up", lastError: describe(failure) });
        this.logger.warn(`HubSpot daily: paused for ${DAILY_PAUSE_MS / 60_000} minutes, then asked again`);
        return 'paused';
      case 'transient': {
        // Several in a row: HubSpot or the way there is down, and every sender waits, longer each
        // time (up to 5 minutes); the first request that works ends it.
        report.retried++;
        const failures = await this.repo.accessFailed(describe(failure), (before) => new Date(Date.now() + (before + 1 < OUTAGE_AFTER ? 0 : backoffMs(before + 1 - OUTAGE_AFTER))));
        if (failures < OUTAGE_AFTER) return 'worked';
        if (failures === OUTAGE_AFTER) this.logger.warn(`HubSpot did not answer ${OUTAGE_AFTER} times in a row${failure.status ? ` (HTTP ${failure.status})` : ''}: the sync pauses and tries again`);
        return 'paused';
      }
      case 'access': {
        if (failure.scope && oneRow && !failure.setup) {
          // A scope this kind of call needs (unsubscribes need communication preferences): that row fails in time, the rest go on.
          this.logger.warn(`HubSpot refused a call for a missing scope (HTTP ${failure.status})`);
          await this.repo.updateControl({ lastError: describe(failure) });
          return 'worked';
        }
        // Our token (or the portal) is the problem, not the contacts: nothing is marked failed, and
        // the sync tries again later, waiting longer each time; logged once, not on every try.
        const reason = failure.setup ? `HubSpot could not be prepared (${failure.status ? `HTTP ${failure.status}` : 'no answer'}); trying again later` : describe(failure);
        const failures = await this.repo.accessFailed(reason, (n) => new Date(Date.now() + backoffMs(n + 2)));
        if (failures === 1) this.logger.warn(`HubSpot sync paused: ${reason}`);
        return 'paused';
      }
      default:
        this.logger.warn(`HubSpot rejected: HTTP ${failure.status}`);
        report.retried++;
        await this.repo.updateControl({ lastError: describe(failure) });
        return 'worked';
    }
  }
}

/** Whether a row failing once more is given up: after MAX_ATTEMPTS sends, and in an outage also not before it waited a day. */
function givesUp(attempts: number, since: Date, outage: boolean): boolean {
  return attempts + 1 >= MAX_ATTEMPTS && (!outage || Date.now() - since.getTime() >= OUTAGE_GIVE_UP_MS);
}
