import { Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { ProblemException } from '../common/problem-details';
import { PolicyService } from '../policy/policy.service';
import { SELF_SERVICE_SOURCES, type ConsentPurpose, type InquiryType, type IntakeSource, type LegalBasis } from '../policy/policy.types';
import type { Activity } from './entities/activity.entity';
import type { ProcessingPurpose } from './entities/capture.entity';
import type { Person } from './entities/person.entity';
import { LeadsRepository, PERSON_FIELDS, type CaptureSession, type PersonFields } from './leads.repository';
import type { ActivityType } from './lifecycle';
import type { Verdict } from '../screening/entities/intake-submission.entity';

const SELF_SERVICE: ReadonlySet<IntakeSource> = new Set(SELF_SERVICE_SOURCES);

/** One arrival of a person's data, already validated and normalised by its channel. */
export interface NewCapture {
  source: IntakeSource;
  sourceRef?: string | null;
  formId?: string | null;
  receivedAt: Date;
  contentType?: string | null;
  rawBody?: string | null;
  payload: Record<string, unknown>;
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
}

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
  constructor(
    private readonly leads: LeadsRepository,
    private readonly policy: PolicyService,
    private readonly audit: AuditService,
  ) {}

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
   * Stores one arrival in three round trips (lock and find; write everything; commit), inside
   * the caller's transaction when given one.
   */
  async capture(actor: Actor, input: NewCapture, outer?: EntityManager): Promise<CaptureResult> {
    const session = await this.leads.session(outer);
    try {
      const result = await this.captureIn(session, actor, input);
      if (session.ownTransaction) await session.client.query('COMMIT');
      return result;
    } catch (err) {
      if (session.ownTransaction) await session.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      session.release();
    }
  }

  private async captureIn(session: CaptureSession, actor: Actor, input: NewCapture): Promise<CaptureResult> {
    const { person, created, before, fill } = await this.findOrMakePerson(session, input);
    const policy = this.policy.current();
    const retention = this.policy.retentionFor(input.source, policy.id);
    const anchorAt = retention.anchor === 'collection' ? input.receivedAt : (input.retentionAnchorAt ?? input.receivedAt);
    const consents = [...new Set(input.consents)];
    const captureId = input.submission?.id ?? randomUUID();
    const activity = input.activity ?? { type: 'capture' as const, details: { source: input.source, inquiryType: input.inquiryType ?? null } };
    await this.leads.writeCapture(session, {
      person: { id: person.id, insert: created, fields: fill },
      // A restricted person's data is processed no further, HubSpot included (9.4).
      enqueueSync: !person.restrictedAt,
      submission: input.submission,
      capture: {
        id: captureId,
        personId: person.id,
        source: input.source,
        sourceRef: input.sourceRef ?? null,
        formId: input.formId ?? null,
        receivedAt: input.receivedAt,
        contentType: input.contentType ?? null,
        rawBody: input.rawBody ?? null,
        payload: input.payload,
        mapped: input.person,
        request: input.request ?? null,
        inquiryType: input.inquiryType ?? null,
        legalBases: this.legalBases(input.source, input.inquiryType, consents, policy.id),
        consentsGiven: consents,
        policyVersion: policy.id,
        retentionAnchor: retention.anchor,
        retentionAnchorAt: anchorAt,
        retentionDueAt: this.policy.retentionDue(input.source, anchorAt, policy.id),
        actorType: actor.type,
        actorId: actor.id,
      },
      // Each box ticked is a grant, with the exact words shown; a box left empty is not a withdrawal.
      consents: consents.map((purpose) => ({ purpose, wording: this.policy.consentWording(purpose, policy.id) })),
      activity: { type: activity.type, occurredAt: activity.occurredAt ?? input.receivedAt, body: activity.body ?? null, details: activity.details ?? null },
      audit: this.audit.entry(actor, {
        action: created ? 'person.created' : 'person.captured',
        entityType: 'person',
        entityId: person.id,
        before: before && { ...snapshot(before), captureId: null },
        after: { ...snapshot(person), captureId },
      }),
    });
    return { captureId, person, personCreated: created };
  }

  /**
   * By e-mail, then by phone; a returning person's blank fields are filled in, never
   * overwritten (what staff rectified stays). Concurrent arrivals of one identity are
   * serialised by an advisory lock, and the unique indexes stand behind it.
   */
  private async findOrMakePerson(session: CaptureSession, input: NewCapture): Promise<{ person: Person; created: boolean; before: Person | null; fill: PersonFields & { ownerId?: string | null } }> {
    let existing: Person | null;
    if (input.personId) {
      existing = await this.leads.lockById(session, input.personId);
      if (!existing) throw new NotFoundException('There is no such person.');
    } else {
      const found = await this.leads.lockAndFind(session, input.person);
      existing = found.byEmail ?? found.byPhone;
    }
    if (!existing) {
      const fill = { ...input.person, ownerId: input.ownerId ?? null };
      const person = { ...fill, id: randomUUID(), status: 'new', createdAt: input.receivedAt, updatedAt: input.receivedAt } as Person;
      return { person, created: true, before: null, fill };
    }
    const fill: PersonFields & { ownerId?: string | null } = {};
    for (const field of PERSON_FIELDS) {
      const value = input.person[field];
      if (value && !existing[field]) fill[field] = value;
    }
    if (input.ownerId && !existing.ownerId) fill.ownerId = input.ownerId;
    return { person: { ...existing, ...fill } as Person, created: false, before: existing, fill };
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
}
