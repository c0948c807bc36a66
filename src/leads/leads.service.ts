import { Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { ProblemException } from '../common/problem-details';
import { PolicyService } from '../policy/policy.service';
import { SELF_SERVICE_SOURCES, type ConsentPurpose, type InquiryType, type IntakeSource, type LegalBasis } from '../domain/purposes';
import type { Activity } from './entities/activity.entity';
import type { Company } from './entities/company.entity';
import type { ProcessingPurpose } from '../domain/purposes';
import type { Person } from './entities/person.entity';
import { ArrivalBatcher } from '../common/arrival-batcher';
import { uuid7 } from '../common/uuid7';
import { runAsSystem } from '../access/access-context';
import { POLICY_VERSIONS } from '../policy/versions';
import { INTAKE_SOURCES } from '../domain/purposes';
import type { AlsoWritten } from '../database/also-written';
import type { AlsoErased } from '../database/also-erased';
import { createHash } from 'node:crypto';
import { ScreeningRepository } from '../screening/screening.repository';
import { OwnerAssigner } from './owner-assigner';
import { LeadsRepository, type CaptureRows, type DueKey, type FoundPerson, type LeadsSession } from './leads.repository';
import { PERSON_FIELDS, type PersonFields } from '../domain/person-fields';
import { PersonIndex } from './person-index';
import type { ActivityType } from '../domain/lifecycle';
import type { Verdict } from '../domain/verdict';

const SELF_SERVICE: ReadonlySet<IntakeSource> = new Set(SELF_SERVICE_SOURCES);

/** One arrival of a person's data, already validated and normalised by its channel. */
export interface NewCapture {
  source: IntakeSource;
  sourceRef?: string | null;
  formId?: string | null;
  receivedAt: Date;
  contentType?: string | null;
  rawBody?: string | null;
  /** The arrival as received (or `payloadJson`). */
  payload?: Record<string, unknown>;
  person: PersonFields;
  request?: string | null;
  inquiryType?: InquiryType | null;
  consents: ConsentPurpose[];
  /** For clocks that do not start at collection: the last service delivery, the event date. */
  retentionAnchorAt?: Date;
  /** A capture for a person already known (a logged call, a conversion); otherwise found by e-mail, then phone. */
  personId?: string;
  ownerId?: string | null;
  activity?: { type: ActivityType; body?: string | null; details?: Record<string, unknown> | null; occurredAt?: Date };
  /** The screened arrival this capture comes from: the capture takes its id, and its outcome commits with the capture. */
  submission?: { id: string; status: 'accepted' | 'released'; verdict: Verdict };
  /** The capture's id, when the caller needs it before the write (otherwise made here). */
  captureId?: string;
  /** `payload` already as JSON text (a channel that read it as text need not parse and print it again). */
  payloadJson?: string;
  /** The exact words shown beside each consent given (a form's checkbox text); else the policy's wording. */
  consentWording?: Partial<Record<ConsentPurpose, string>>;
  /** Optional values that could not be read (kept in the payload, left off the person), shown on the record. */
  warnings?: { field: string; message: string }[];
  /** The legal bases, when the channel's clause decides them (an event registration is a contract, 7.3(1)); otherwise `legalBases()`. */
  legalBases?: Partial<Record<ProcessingPurpose, LegalBasis>>;
}

/**
 * What a batch works out again and again, once per batch: most of its captures share a source, a
 * day and their legal bases (an attendee list: every line), so their texts are made once.
 */
function batchMemo(policy: PolicyService, version: string) {
  const retentions = new Map<IntakeSource, ReturnType<PolicyService['retentionFor']>>();
  const isos = new Map<number, string>();
  const dues = new Map<string, string>();
  const jsons = new WeakMap<object, string>();
  const iso = (at: Date) => {
    let text = isos.get(at.getTime());
    if (!text) isos.set(at.getTime(), (text = at.toISOString()));
    return text;
  };
  return {
    iso,
    retention(source: IntakeSource) {
      let r = retentions.get(source);
      if (!r) retentions.set(source, (r = policy.retentionFor(source, version)));
      return r;
    },
    due(source: IntakeSource, anchorAt: Date) {
      const key = `${source} ${anchorAt.getTime()}`;
      let text = dues.get(key);
      if (!text) dues.set(key, (text = iso(policy.retentionDue(source, anchorAt, version))));
      return text;
    },
    json(value: object) {
      let text = jsons.get(value);
      if (!text) jsons.set(value, (text = JSON.stringify(value)));
      return text;
    },
  };
}

/** A person a capture makes, in one fixed shape (an import makes hundreds per batch). */
function newPerson(f: PersonFields, ownerId: string | null, at: Date): FoundPerson {
  return {
    id: uuid7(), firstName: f.firstName ?? null, lastName: f.lastName ?? null, position: f.position ?? null, email: f.email ?? null, phone: f.phone ?? null,
    skypeId: f.skypeId ?? null, linkedinUrl: f.linkedinUrl ?? null, location: f.location ?? null, companyName: f.companyName ?? null,
    status: 'new', ownerId, restrictedAt: null, createdAt: at, updatedAt: at, phoneTop: true, latestAnchors: {},
  } as Partial<FoundPerson> as FoundPerson;
}

/** How long which forms and channels have an owner rule is remembered between batches (a change elsewhere applies within it). */
const RULE_SCOPES_MS = 5_000;

/** Clocks that only move forward: a later event registration moves every event capture's clock (7.5); an earlier one never shortens it. */
const FORWARD_ONLY_ANCHORS: readonly string[] = ['last_event_registration'];

const emptyRows = (clocks: Pick<CaptureRows, 'retentionYears' | 'forwardAnchors'>): CaptureRows => ({
  newPersons: [],
  knownPersons: [],
  captures: {
    id: [], personId: [], source: [], sourceRef: [], formId: [], receivedAt: [], contentType: [], rawBody: [], payload: [], mapped: [], warnings: [], request: [], inquiryType: [], legalBases: [],
    consentsGiven: [], policyVersion: [], retentionAnchor: [], anchorAt: [], dueAt: [], actorType: [], actorId: [], activityType: [], activityAt: [], activityBody: [], activityDetails: [],
    auditAction: [], auditChanges: [], requestId: [], ip: [], submissionStatus: [], submissionVerdict: [],
  },
  consents: { captureId: [], purpose: [], wording: [] },
  clockMoves: { personId: [], anchor: [], anchorAt: [] },
  ...clocks,
});

export interface CaptureResult {
  captureId: string;
  person: Person;
  personCreated: boolean;
}

const snapshot = (p: Partial<Person>) => Object.fromEntries(PERSON_FIELDS.map((f) => [f, p[f] ?? null]));

/**
 * The heart of intake: one person per identity, many captures, each with the legal basis of
 * every purpose, the consent given (appended to the ledger with the exact wording), the policy
 * version, and the retention clock. Everything for one arrival commits together, or nothing does.
 */
@Injectable()
export class LeadsService {
  private ruleScopes?: { forms: string[]; channels: string[]; until: number };
  /** Each policy version's retention years by source, for clocks moved in SQL; and which clocks only move forward. */
  readonly clocks: Pick<CaptureRows, 'retentionYears' | 'forwardAnchors'>;
  // Public arrivals match a person whoever they are: a batch works as the system, whoever's request began it.
  private readonly arrivals = new ArrivalBatcher<{ actor: Actor; input: NewCapture }, CaptureResult>((items) =>
    runAsSystem('intake', () => this.inOwnTransaction((session) => this.captureMany(session, items))),
  );

  /** Other folders' rows naming a person, registered by their owners (see alsoErase). */
  private readonly alsoErased: AlsoErased[] = [];

  constructor(
    private readonly leads: LeadsRepository,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
    screening: ScreeningRepository,
  ) {
    this.alsoErased.push(screening.erasure());
    const years: CaptureRows['retentionYears'] = { version: [], source: [], years: [] };
    for (const v of POLICY_VERSIONS) {
      for (const source of INTAKE_SOURCES) {
        years.version.push(v.id);
        years.source.push(source);
        years.years.push(policy.retentionFor(source, v.id).years);
      }
    }
    this.clocks = { retentionYears: years, forwardAnchors: [...FORWARD_ONLY_ANCHORS] };
  }

  /** The legal basis of each purpose a capture is processed for. */
  legalBases(source: IntakeSource, inquiryType: InquiryType | null | undefined, consents: ConsentPurpose[], versionId?: string): Partial<Record<ProcessingPurpose, LegalBasis>> {
    const bases: Partial<Record<ProcessingPurpose, LegalBasis>> = {};
    // Serving a customer is the contract itself (6.3(1)); elsewhere the inquiry type decides.
    if (source === 'customer') bases.handle_request = 'contract';
    else if (inquiryType) bases.handle_request = this.policy.legalBasisFor(inquiryType, versionId);
    bases.communication_history = 'legitimate_interest';
    if (SELF_SERVICE.has(source)) bases.spam_prevention = 'legitimate_interest';
    for (const purpose of consents) bases[purpose] = 'consent';
    return bases;
  }

  /**
   * Stores one arrival: `captureMany` of one, in three round trips (lock and find; write
   * everything; commit), inside the caller's transaction when given one.
   */
  async capture(actor: Actor, input: NewCapture, outer?: EntityManager): Promise<CaptureResult> {
    const [result] = await this.inOwnTransaction((session) => this.captureMany(session, [{ actor, input }]), outer);
    return result;
  }

  /** `work` on a session: in the caller's transaction when given one, else in its own, committed here. */
  private async inOwnTransaction<T>(work: (session: LeadsSession) => Promise<T>, outer?: EntityManager): Promise<T> {
    const session = await this.leads.session(outer);
    try {
      const result = await work(session);
      if (session.ownTransaction) await session.client.query('COMMIT');
      return result;
    } catch (err) {
      if (session.ownTransaction) await session.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      session.release();
    }
  }

  /**
   * A public arrival, written together with the others arriving at the same moment (see
   * ArrivalBatcher): resolves once it has committed.
   */
  captureSoon(actor: Actor, input: NewCapture): Promise<CaptureResult> {
    return this.arrivals.add({ actor, input });
  }

  /** A connection for `captureMany`: the caller's transaction, or one begun by the writer's first statement. */
  session(outer?: EntityManager): Promise<LeadsSession> {
    return this.leads.session(outer);
  }

  /**
   * The one writer of arrivals: 1 to N captures in two round trips on the session (lock every
   * identity of the batch and find its persons; write everything in one statement). Each
   * person is found by e-mail, then by phone (or given by id); a returning person's blank
   * fields are filled in, never overwritten (what staff rectified stays); a capture carries the
   * legal basis of each purpose, the consents given (appended to the ledger with the exact
   * wording), the policy version and its retention clock, a timeline entry and an audit line;
   * HubSpot is owed the change unless processing is restricted; forward-only clocks never move
   * back. Captures later in a batch see the persons earlier ones made or filled. `found` skips
   * the lookup when the caller already locked and found the batch's persons on this session.
   * The caller commits (or `capture` does).
   */
  async captureMany(session: LeadsSession, items: { actor: Actor; input: NewCapture }[], found?: FoundPerson[], also?: AlsoWritten): Promise<CaptureResult[]> {
    const people = new PersonIndex(
      found ??
        (await this.leads.lockAndFind(session, {
          emails: items.flatMap(({ input }) => (input.personId || !input.person.email ? [] : [input.person.email])),
          phones: items.flatMap(({ input }) => (input.personId || !input.person.phone ? [] : [input.person.phone])),
          ids: items.flatMap(({ input }) => (input.personId ? [input.personId] : [])),
        })),
    );
    const policy = this.policy.current();
    const rows = emptyRows(this.clocks);
    const results: CaptureResult[] = [];
    const made = new Map<string, CaptureRows['newPersons'][number]>();
    const touched = new Map<string, { fields: PersonFields; ownerId: string | null }>();
    // Forward-only clocks: the latest anchor each person had before this batch, and this batch's captures per clock.
    const stored = new Map(people.all().map((p) => [p.id, p.latestAnchors]));
    const batchClocks = new Map<string, number[]>();
    const clock = batchMemo(this.policy, policy.id);
    const owners = await this.ownerAssigner(session, items);
    for (const { actor, input } of items) {
      let existing: FoundPerson | null;
      if (input.personId) {
        existing = people.byId(input.personId);
        if (!existing) throw new NotFoundException('There is no such person.');
      } else existing = people.match(input.person);

      let person: FoundPerson;
      const fill: PersonFields = {};
      if (!existing) {
        person = newPerson(input.person, input.ownerId ?? owners?.ownerFor(input.formId, input.source) ?? null, input.receivedAt);
        made.set(person.id, { id: person.id, fields: input.person, ownerId: person.ownerId });
      } else {
        for (const field of PERSON_FIELDS) if (input.person[field] && !existing[field]) fill[field] = input.person[field];
        const ownerId = input.ownerId && !existing.ownerId ? input.ownerId : null;
        person = ownerId || Object.keys(fill).length ? { ...existing, ...fill, ...(ownerId ? { ownerId } : {}) } : existing;
        const inserted = made.get(person.id);
        if (inserted) {
          // Made earlier in this batch: the insert takes the filled blanks.
          inserted.fields = { ...inserted.fields, ...fill };
          inserted.ownerId ??= ownerId;
        } else {
          const t = touched.get(person.id);
          if (!t) touched.set(person.id, { fields: fill, ownerId });
          else {
            Object.assign(t.fields, fill);
            t.ownerId ??= ownerId;
          }
        }
      }

      const retention = clock.retention(input.source);
      let anchorAt = retention.anchor === 'collection' ? input.receivedAt : (input.retentionAnchorAt ?? input.receivedAt);
      if (FORWARD_ONLY_ANCHORS.includes(retention.anchor)) {
        // A forward-only clock runs from the latest anchor: an older event never shortens it, a later
        // one moves the person's earlier captures on that clock (7.5): stored ones in the statement,
        // this batch's here.
        const latest = person.latestAnchors[retention.anchor];
        if (latest && latest > anchorAt) anchorAt = latest;
        const before = stored.get(person.id)?.[retention.anchor];
        if (before && before < anchorAt) {
          rows.clockMoves.personId.push(person.id);
          rows.clockMoves.anchor.push(retention.anchor);
          rows.clockMoves.anchorAt.push(clock.iso(anchorAt));
        }
        const key = `${person.id} ${retention.anchor}`;
        let earlier = batchClocks.get(key);
        if (!earlier) batchClocks.set(key, (earlier = []));
        else if (!latest || latest < anchorAt) {
          for (const i of earlier) {
            rows.captures.anchorAt[i] = clock.iso(anchorAt);
            rows.captures.dueAt[i] = clock.due(rows.captures.source[i] as IntakeSource, anchorAt);
          }
        }
        earlier.push(rows.captures.id.length);
        if (latest?.getTime() !== anchorAt.getTime()) person.latestAnchors = { ...person.latestAnchors, [retention.anchor]: anchorAt };
      }
      people.put(person);

      const consents = [...new Set(input.consents)];
      const captureId = input.submission?.id ?? input.captureId ?? uuid7();
      const activity = input.activity ?? { type: 'capture' as const, details: { source: input.source, inquiryType: input.inquiryType ?? null } };
      const audit = this.audit.entry(actor, {
        action: existing ? 'person.captured' : 'person.created',
        entityType: 'person',
        entityId: person.id,
        before: existing && { ...snapshot(existing), captureId: null },
        after: { ...snapshot(person), captureId },
      });
      const c = rows.captures;
      c.id.push(captureId);
      c.personId.push(person.id);
      c.source.push(input.source);
      c.sourceRef.push(input.sourceRef ?? null);
      c.formId.push(input.formId ?? null);
      c.receivedAt.push(clock.iso(input.receivedAt));
      c.contentType.push(input.contentType ?? null);
      c.rawBody.push(input.rawBody ?? null);
      c.payload.push(input.payloadJson ?? JSON.stringify(input.payload ?? {}));
      c.mapped.push(JSON.stringify(input.person));
      c.warnings.push(input.warnings?.length ? JSON.stringify(input.warnings) : '[]');
      c.request.push(input.request ?? null);
      c.inquiryType.push(input.inquiryType ?? null);
      c.legalBases.push(input.legalBases ? clock.json(input.legalBases) : JSON.stringify(this.legalBases(input.source, input.inquiryType, consents, policy.id)));
      c.consentsGiven.push(consents.length ? JSON.stringify(consents) : '[]');
      c.policyVersion.push(policy.id);
      c.retentionAnchor.push(retention.anchor);
      c.anchorAt.push(clock.iso(anchorAt));
      c.dueAt.push(clock.due(input.source, anchorAt));
      c.actorType.push(actor.type);
      c.actorId.push(actor.id);
      c.activityType.push(activity.type);
      c.activityAt.push(clock.iso(activity.occurredAt ?? input.receivedAt));
      c.activityBody.push(activity.body ?? null);
      c.activityDetails.push(JSON.stringify(activity.details ?? null));
      c.auditAction.push(audit.action);
      c.auditChanges.push(JSON.stringify(audit.changes));
      c.requestId.push(audit.requestId);
      c.ip.push(audit.ip);
      c.submissionStatus.push(input.submission?.status ?? null);
      c.submissionVerdict.push(input.submission ? JSON.stringify(input.submission.verdict) : 'null');
      // Each box ticked is a grant, with the exact words shown; a box left empty is not a withdrawal.
      for (const purpose of consents) {
        rows.consents.captureId.push(captureId);
        rows.consents.purpose.push(purpose);
        rows.consents.wording.push(input.consentWording?.[purpose] ?? this.policy.consentWording(purpose, policy.id));
      }
      results.push({ captureId, person, personCreated: !existing });
    }
    rows.newPersons = [...made.values()];
    rows.knownPersons = [...touched].map(([id, t]) => ({ id, ...t }));
    if (owners) await this.leads.advanceRoundRobin(session, owners.turnsTaken());
    await this.leads.writeCaptures(session, rows, also);
    return results;
  }

  /**
   * The owner rules this batch's new leads may fall under, locked in its transaction; null when
   * none can (the usual case: which forms and channels have a rule is remembered for a few
   * seconds, so intake without rules pays nothing).
   */
  private async ownerAssigner(session: LeadsSession, items: { input: NewCapture }[]): Promise<OwnerAssigner | null> {
    if (!this.ruleScopes || this.ruleScopes.until < Date.now()) this.ruleScopes = { ...(await this.leads.ruleScopes()), until: Date.now() + RULE_SCOPES_MS };
    const { forms, channels } = this.ruleScopes;
    const open = items.filter(({ input }) => !input.ownerId && !input.personId);
    const formIds = [...new Set(open.flatMap(({ input }) => (input.formId && forms.includes(input.formId) ? [input.formId] : [])))];
    const sources = [...new Set(open.flatMap(({ input }) => (channels.includes(input.source) ? [input.source] : [])))];
    if (!formIds.length && !sources.length) return null;
    return new OwnerAssigner(await this.leads.lockAssignmentRules(session, formIds, sources));
  }

  /** A rule was set or removed: the next batch looks again. */
  forgetRuleScopes(): void {
    this.ruleScopes = undefined;
  }

  /** Persons by e-mail and phone as the writer would find them, unlocked (a dry run's lookup). */
  findByIdentities(emails: string[], phones: string[]): Promise<FoundPerson[]> {
    return this.leads.lockAndFind(null, { emails, phones, ids: [] });
  }

  /** Locks the identities of a batch and finds their persons on the session (for a caller that plans before `captureMany`). */
  lockAndFind(session: LeadsSession, emails: string[], phones: string[]): Promise<FoundPerson[]> {
    return this.leads.lockAndFind(session, { emails, phones, ids: [] });
  }

  /** The person each of these captures or timeline entries belongs to (merges followed: records move with their person). */
  ownersOf(tx: EntityManager, records: { captureIds?: string[]; activityIds?: string[] }): Promise<Map<string, string>> {
    return this.leads.ownersOf(tx, { captureIds: records.captureIds ?? [], activityIds: records.activityIds ?? [] });
  }

  /** Of these persons, the ones whose data may still be handed to a third party, with their contact fields. */
  disclosable(tx: EntityManager, personIds: string[]): ReturnType<LeadsRepository['disclosable']> {
    return this.leads.disclosable(tx, personIds);
  }

  listCompanies(f: { q?: string; customer?: boolean; after?: [string, string]; limit: number }): Promise<Company[]> {
    return this.leads.listCompanies(f);
  }

  /** Whether this normalised e-mail address is one of the person's known addresses (see the repository). */
  isAddressOf(tx: EntityManager, personId: string, email: string): Promise<boolean> {
    return this.leads.isAddressOf(tx, personId, email);
  }

  /** Whether a new-lead notice may go out for this person, and to whom when they are an active customer's (see the repository). */
  notificationAudience(personId: string): ReturnType<LeadsRepository['notificationAudience']> {
    return this.leads.notificationAudience(personId);
  }

  /** A company as the caller may see it; locked for the caller's transaction when given one. */
  findCompany(id: string, tx?: EntityManager): Promise<Company | null> {
    return this.leads.findCompany(id, tx, Boolean(tx));
  }

  /** A later service delivery moves its people's customer clocks with it (6.4), forward only. */
  async updateCompany(tx: EntityManager, id: string, changes: Partial<Company>): Promise<void> {
    await this.leads.updateCompany(tx, id, changes);
    if (changes.lastServiceDeliveryAt) await this.leads.moveServiceDeliveryClocks(tx, id, changes.lastServiceDeliveryAt, this.clocks.retentionYears);
  }

  /** Appends a timeline entry that is not a capture (a note, a status change). */
  async addActivity(tx: EntityManager, actor: Actor, personId: string, entry: Pick<Activity, 'type'> & Partial<Pick<Activity, 'body' | 'details' | 'occurredAt'>>): Promise<string> {
    return this.leads.insertActivity(tx, {
      personId,
      type: entry.type,
      occurredAt: entry.occurredAt ?? new Date(),
      body: entry.body ?? null,
      details: entry.details ?? null,
      captureId: null,
      actorType: actor.type,
      actorId: actor.id,
    });
  }

  /** Refuses input that names a person under the policy's minimum age (section 12). */
  assertOldEnough(age: number | null, field: string): void {
    const minimum = this.policy.minimumAge();
    if (age !== null && age < minimum) {
      throw new ProblemException(422, `We cannot accept data about anyone under ${minimum}; nothing was stored.`, {
        errors: [{ field, message: `must be at least ${minimum} years` }],
      });
    }
  }

  /** An owner of rows naming a person (mail, chat, events, held arrivals) has them emptied by every erasure. */
  alsoErase(hook: AlsoErased): void {
    if (!this.alsoErased.some((h) => h.name === hook.name)) this.alsoErased.push(hook);
  }

  /**
   * The one eraser (retention sweep, a data subject's erasure, the under-16 action): removes the
   * persons' personal values everywhere the registry lists them, audits it (the audit log masks
   * personal values already) and purges every address they ever gave from HubSpot. In the
   * caller's transaction when given one, else in its own.
   */
  async erase(actor: Actor, personIds: string[], reason: string, outer?: { tx: EntityManager; locked: boolean }): Promise<{ erased: string[]; purges: number }> {
    const work = async (tx: EntityManager) => {
      const { erased, addresses, contacts, unsettled } = await this.leads.erase(tx, personIds, this.alsoErased, outer?.locked);
      if (!erased.length) return { erased, purges: 0 };
      const purges = addresses.map(({ personId, email }) => ({
        personId,
        email,
        emailHash: createHash('sha256').update(email).digest('hex'),
      }));
      await this.leads.enqueuePurges(tx, contacts, purges, unsettled);
      await this.audit.recordMany(actor, erased.map((id) => ({ action: 'person.erased', entityType: 'person', entityId: id, after: { reason } })), tx);
      return { erased, purges: purges.length + contacts.length };
    };
    return outer ? work(outer.tx) : this.leads.transaction(work);
  }

  /** Expired captures emptied, one bounded batch in its own transaction; the count done (fewer than `limit`: none left). */
  async emptyExpiredCaptures(asOf: Date, limit: number, after: DueKey | null = null): Promise<{ due: { id: string; source: string }[]; next: DueKey | null }> {
    return this.leads.transaction(async (tx) => {
      const batch = await this.leads.expiredCaptures(tx, asOf, limit, after);
      await this.leads.emptyCaptures(tx, batch.due.map((c) => c.id), this.alsoErased);
      return batch;
    });
  }

  /** Persons with no running clock erased, one bounded batch in its own transaction. */
  async eraseDuePersons(actor: Actor, asOf: Date, limit: number, after: DueKey | null = null): Promise<{ due: { id: string; sources: string[] }[]; next: DueKey | null }> {
    return this.leads.transaction(async (tx) => {
      const batch = await this.leads.personsDue(tx, asOf, limit, after);
      // personsDue locked them, in this transaction.
      await this.erase(actor, batch.due.map((p) => p.id), 'retention period ended', { tx, locked: true });
      return batch;
    });
  }

  retentionPreview(asOf: Date): Promise<{ channel: string; action: string; count: number }[]> {
    return this.leads.retentionPreview(asOf);
  }
}
