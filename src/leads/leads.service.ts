import { Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../common/actor';
import { ProblemException } from '../common/problem-details';
import { PolicyService } from '../policy/policy.service';
import type { ConsentPurpose, InquiryType, IntakeSource, LegalBasis } from '../policy/policy.types';
import type { Activity } from './entities/activity.entity';
import type { ProcessingPurpose } from './entities/capture.entity';
import type { Person } from './entities/person.entity';
import { LeadsRepository, PERSON_FIELDS, type PersonFields } from './leads.repository';
import type { ActivityType } from './lifecycle';

/** Sources the public can post to: screened for spam, which the policy grounds in legitimate interest (3.3(3), 4.3(3), 5.3(3)). */
const PUBLIC_SOURCES: ReadonlySet<IntakeSource> = new Set(['web_form', 'chatbot', 'email', 'widget']);

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
    if (PUBLIC_SOURCES.has(source)) bases.spam_prevention = 'legitimate_interest';
    for (const purpose of consents) bases[purpose] = 'consent';
    return bases;
  }

  async capture(actor: Actor, input: NewCapture, outer?: EntityManager): Promise<CaptureResult> {
    const work = async (tx: EntityManager): Promise<CaptureResult> => {
      const { person, created, before } = await this.findOrCreatePerson(tx, input);
      const policy = this.policy.current();
      const retention = this.policy.retentionFor(input.source, policy.id);
      const anchorAt = retention.anchor === 'collection' ? input.receivedAt : (input.retentionAnchorAt ?? input.receivedAt);
      const consents = [...new Set(input.consents)];
      const captureId = await this.leads.insertCapture(tx, {
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
      });
      // Each box ticked is a grant; a box left empty is not a withdrawal.
      await this.leads.insertConsentEvents(
        tx,
        consents.map((purpose) => ({
          personId: person.id,
          purpose,
          action: 'granted' as const,
          source: input.source,
          captureId,
          policyVersion: policy.id,
          wording: this.policy.consentWording(purpose, policy.id),
          actorType: actor.type,
          actorId: actor.id,
        })),
      );
      const activity = input.activity ?? { type: 'capture' as const, details: { source: input.source, inquiryType: input.inquiryType ?? null } };
      await this.leads.insertActivity(tx, {
        personId: person.id,
        type: activity.type,
        occurredAt: activity.occurredAt ?? input.receivedAt,
        body: activity.body ?? null,
        details: activity.details ?? null,
        captureId,
        actorType: actor.type,
        actorId: actor.id,
      });
      await this.audit.record(
        actor,
        { action: created ? 'person.created' : 'person.captured', entityType: 'person', entityId: person.id, before: before && { ...snapshot(before), captureId: null }, after: { ...snapshot(person), captureId } },
        tx,
      );
      return { captureId, person, personCreated: created };
    };
    return outer ? work(outer) : this.leads.transaction(work);
  }

  /**
   * By e-mail, then by phone; a returning person's blank fields are filled in, never
   * overwritten (what staff rectified stays). Concurrent arrivals of one identity are
   * serialised by an advisory lock, and the unique indexes stand behind it.
   */
  private async findOrCreatePerson(tx: EntityManager, input: NewCapture): Promise<{ person: Person; created: boolean; before: Person | null }> {
    const { email, phone } = input.person;
    let existing: Person | null;
    if (input.personId) {
      existing = await this.leads.findById(input.personId, tx, true);
      if (!existing) throw new NotFoundException('There is no such person.');
    } else {
      await this.leads.lockIdentities(tx, [email && `person:email:${email}`, phone && `person:phone:${phone}`].filter(Boolean) as string[]);
      existing = email ? await this.leads.findByEmailForUpdate(tx, email) : null;
      if (!existing && phone) existing = await this.leads.findByPhoneForUpdate(tx, phone, Boolean(email));
    }
    if (!existing) {
      const person = await this.leads.insertPerson(tx, { ...input.person, ownerId: input.ownerId ?? null });
      return { person, created: true, before: null };
    }
    const blanks: Partial<Person> = {};
    for (const field of PERSON_FIELDS) {
      const value = input.person[field];
      if (value && !existing[field]) blanks[field] = value;
    }
    if (input.ownerId && !existing.ownerId) blanks.ownerId = input.ownerId;
    await this.leads.updatePerson(tx, existing.id, blanks);
    return { person: { ...existing, ...blanks }, created: false, before: existing };
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
