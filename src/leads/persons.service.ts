import { OWNER_ROLES } from '../domain/roles';
import { runAsSystem } from '../access/access-context';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { UsersService } from '../auth/users.service';
import type { Actor } from '../domain/actor';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { invalidField, ProblemException } from '../common/problem-details';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { AssignOwnerDto, CallDto, ChangeStatusDto, ChatDto, ConvertDto, MergeDto, MergeResultView, NewLeadDto, PersonDetailView, PersonQuery, PersonView, RectifyPersonDto } from './dto/person.dto';
import { definedOnly } from '../common/validation';
import type { Company } from './entities/company.entity';
import type { Person } from './entities/person.entity';
import { normaliseEmail, normalisePhone } from '../domain/identity';
import { LeadsRepository, type PersonSort } from './leads.repository';
import { PERSON_FIELDS } from '../domain/person-fields';
import { HUBSPOT_CONTACT_FIELDS } from '../domain/hubspot-sync';
import { LeadsService, type NewCapture } from './leads.service';
import { NotificationsService } from '../notifications/notifications.service';
import { uuid7 } from '../common/uuid7';
import { PolicyService } from '../policy/policy.service';
import { ScreeningService } from '../screening/screening.service';
import type { ConsentPurpose, InquiryType } from '../domain/purposes';

/** Purposes that are direct marketing: an objection withdraws them (9.6). */
const MARKETING_PURPOSES: ConsentPurpose[] = ['service_updates', 'other_services_ask'];

/** Processing a restricted person is refused, saying why (policy 9.4). */
const restricted = () =>
  new ProblemException(409, 'Processing of this person is restricted (policy 9.4): their data is kept but not otherwise processed until the DPO lifts the restriction.', { restricted: true });

/** How much of a person's latest request a list row shows. */
const LIST_REQUEST_CHARS = 200;

export function toPersonView(p: Person): PersonView {
  const { id, firstName, lastName, position, email, phone, skypeId, linkedinUrl, location, companyId, companyName, status, ownerId, restrictedAt, marketingObjectionAt } = p;
  const { syncState, hubspotId, syncedAt, syncError, createdAt, updatedAt } = p;
  return { id, firstName, lastName, position, email, phone, skypeId, linkedinUrl, location, companyId, companyName, status, ownerId, restrictedAt, marketingObjectionAt, syncState, hubspotId, syncedAt, syncError, createdAt, updatedAt };
}

/**
 * An address another record holds: one answer whoever holds it (a person the caller sees, or one
 * of a customer hidden from them), so the answer tells nothing about records the caller may not see.
 */
const addressConflict = (field: 'email' | 'phone') =>
  new ProblemException(409, `This ${field === 'email' ? 'e-mail address' : 'phone number'} belongs to another record; an admin can merge the two.`, {
    errors: [{ field, message: 'belongs to another record' }],
  });

/** A write refused because a unique index already gives the address (or phone-only number) to another person. */
function identityTaken(err: unknown): boolean {
  const e = (err instanceof QueryFailedError ? err.driverError : err) as { code?: string; constraint?: string } | undefined;
  return e?.code === '23505' && (e.constraint === 'person_email_key' || e.constraint === 'person_phone_only_key');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const badCursor = () => new ProblemException(400, 'The cursor is not one this service issued; start again without it.', { errors: [{ field: 'cursor', message: 'invalid cursor' }] });

/** What staff do with a lead: find, read, correct, assign, move along, convert, log contact, merge. */
@Injectable()
export class PersonsService {
  constructor(
    private readonly leads: LeadsRepository,
    private readonly intake: LeadsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly policy: PolicyService,
    private readonly screening: ScreeningService,
    private readonly notifications: NotificationsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A page of persons with their personal fields: who saw whom is audited, one line per person shown. */
  async list(actor: Actor, query: PersonQuery): Promise<Page<PersonView>> {
    const descending = query.sort.startsWith('-');
    const sort = query.sort.replace(/^-/, '') as PersonSort;
    const after = decodeCursor(query.cursor);
    // A cursor is [sort key, id]; anything else, or a key the database cannot read for this sort, was not issued here.
    if (after && !(after.length === 2 && typeof after[0] === 'string' && typeof after[1] === 'string' && UUID.test(after[1]))) throw badCursor();
    const rows = await this.leads.list({
      statuses: query.status,
      source: query.source,
      ownerId: query.ownerId,
      companyId: query.companyId,
      createdFrom: query.createdFrom,
      createdTo: query.createdTo,
      consentPurpose: query.consentPurpose,
      legalBasis: query.legalBasis,
      q: query.q,
      phone: query.phone ? this.mustNormalise('phone', normalisePhone(query.phone, this.config.DEFAULT_PHONE_REGION)) : undefined,
      sort,
      descending,
      after: after as [string, string] | undefined,
      limit: query.limit + 1,
    }).catch((err: unknown) => {
      if (after && err instanceof QueryFailedError && String((err.driverError as { code?: string } | undefined)?.code).startsWith('22')) throw badCursor();
      throw err;
    });
    const page = toPage(rows, query.limit, (r) => [r.sortKey, r.id]);
    await this.audit.recordMany(actor, page.items.map((p) => ({ action: 'person.listed', entityType: 'person', entityId: p.id })));
    const owners = await this.users.namesOf(page.items.map((p) => p.ownerId));
    const latest = new Map((await this.leads.latestRequests(page.items.map((p) => p.id), LIST_REQUEST_CHARS)).map((r) => [r.personId, r]));
    return {
      items: page.items.map((p) => ({
        ...toPersonView(p),
        ownerName: p.ownerId ? (owners.get(p.ownerId) ?? null) : null,
        latestRequest: latest.get(p.id)?.request ?? null,
        latestInquiryType: latest.get(p.id)?.inquiryType ?? null,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * The DPO's way to an active customer's person (an access, rectification or erasure request):
   * the read runs as the system, and the audit log keeps why, next to the read itself.
   */
  async readForPrivacyRequest(actor: Actor, request: { personId?: string; email?: string; reason: string }): Promise<PersonDetailView> {
    return runAsSystem('privacy request', async () => {
      const email = request.email ? normaliseEmail(request.email) : null;
      if (request.email && !email) throw invalidField('email', 'must be an e-mail address');
      const person = request.personId ? await this.leads.findById(request.personId) : await this.leads.transaction((tx) => this.leads.findByEmailForUpdate(tx, email!));
      if (!person) throw new NotFoundException('There is no such person.');
      await this.audit.record(actor, { action: 'person.privacy_request_access', entityType: 'person', entityId: person.id, after: { reason: request.reason } });
      return this.get(actor, person.id);
    });
  }

  /** The whole record; opening it is a read of personal data, so it is audited. */
  async get(actor: Actor, id: string): Promise<PersonDetailView> {
    const person = await this.leads.findById(id);
    if (!person) throw new NotFoundException('There is no such person.');
    const [captures, consentEvents, timeline, eventRegistrations, recipients] = await Promise.all([
      this.leads.captures(id), this.leads.consentEvents(id), this.leads.activities(id), this.leads.eventRegistrations(id), this.leads.recipients(id),
    ]);
    await this.audit.record(actor, { action: 'person.read', entityType: 'person', entityId: id });
    const warnings = await this.screening.warningsFor({ email: person.email, phone: person.phone, skype: person.skypeId });

    const current = new Map<string, { purpose: string; state: string; since: Date }>();
    for (const e of consentEvents) current.set(e.purpose, { purpose: e.purpose, state: e.action, since: e.occurredAt });
    const legalBases: Record<string, string[]> = {};
    for (const c of captures) for (const [purpose, basis] of Object.entries(c.legalBases)) legalBases[purpose] = [...new Set([...(legalBases[purpose] ?? []), basis as string])];
    const keptUntil = new Date(Math.max(...captures.map((c) => c.retentionDueAt.getTime()), person.createdAt.getTime()));
    const owners = await this.users.namesOf([person.ownerId]);

    return {
      ...toPersonView(person),
      ownerName: person.ownerId ? (owners.get(person.ownerId) ?? null) : null,
      captures: captures.map((c) => ({
        id: c.id, source: c.source, sourceRef: c.sourceRef, receivedAt: c.receivedAt, inquiryType: c.inquiryType, request: c.request, payload: c.payload, warnings: c.warnings,
        legalBases: c.legalBases as Record<string, string>, consentsGiven: c.consentsGiven, policyVersion: c.policyVersion,
        retentionAnchor: c.retentionAnchor, retentionAnchorAt: c.retentionAnchorAt, retentionDueAt: c.retentionDueAt,
      })),
      consents: [...current.values()],
      consentEvents: consentEvents.map(({ id: eventId, purpose, action, occurredAt, source, captureId, policyVersion, wording }) => ({ id: eventId, purpose, action, occurredAt, source, captureId, policyVersion, wording })),
      legalBases,
      timeline: timeline.map(({ id: activityId, type, occurredAt, body, details, captureId, actorType, actorId }) => ({ id: activityId, type, occurredAt, body, details, captureId, actorType, actorId })),
      retention: { keptUntil },
      eventRegistrations,
      recipients,
      warnings,
    };
  }

  /** Corrects or completes the record (rectification, policy 9.2), audited field by field. */
  async rectify(actor: Actor, id: string, dto: RectifyPersonDto, asRight = false): Promise<PersonView> {
    const changes: Partial<Person> = {};
    for (const field of PERSON_FIELDS) {
      const value = dto[field];
      if (value === undefined) continue;
      changes[field] = value === '' ? null : field === 'email' ? this.mustNormalise('email', normaliseEmail(value)) : field === 'phone' ? this.mustNormalise('phone', normalisePhone(value, this.config.DEFAULT_PHONE_REGION)) : value;
    }
    return this.leads.transaction(async (tx) => {
      // A restricted person's data is corrected only through the DPO's rectification request.
      const before = asRight ? await this.mustFind(tx, id) : await this.mustProcess(tx, id);
      // Locks a visible holder; a hidden one (another customer's person) is found by the unique index below, with the same answer.
      if (changes.email && changes.email !== before.email && (await this.leads.findByEmailForUpdate(tx, changes.email))) throw addressConflict('email');
      const effective = Object.fromEntries(Object.entries(changes).filter(([k, v]) => before[k as keyof Person] !== v)) as Partial<Person>;
      if (Object.keys(effective).length === 0) return toPersonView(before);
      // A field cleared here is null in `effective`: `??` would fall back to the old value.
      const email = 'email' in effective ? effective.email : before.email;
      const phone = 'phone' in effective ? effective.phone : before.phone;
      if (!email && !phone) throw invalidField('email', 'a person needs an e-mail address or a phone number');
      // Known only by phone, the number must be no other phone-only person's (unique index person_phone_only_key).
      if (!email && phone && ('email' in effective || 'phone' in effective)) {
        if (await this.leads.findOtherPhoneOnlyForUpdate(tx, phone, id)) throw addressConflict('phone');
      }
      await this.leads.updatePerson(tx, id, effective).catch((err: unknown) => {
        const constraint = err instanceof QueryFailedError ? (err.driverError as { constraint?: string } | undefined)?.constraint : undefined;
        if (constraint === 'person_email_key') throw addressConflict('email');
        if (constraint === 'person_phone_only_key') throw addressConflict('phone');
        throw err;
      });
      // A field cleared here is cleared in HubSpot too; any other field we lack is left as sales typed it there.
      await this.leads.clearInHubspot(tx, id, Object.keys(effective).filter((f) => effective[f as keyof Person] === null && f in HUBSPOT_CONTACT_FIELDS));
      await this.leads.oweSync(tx, id);
      const after = (await this.leads.findById(id, tx))!;
      await this.intake.addActivity(tx, actor, id, { type: 'rectification', details: { fields: Object.keys(effective) } });
      await this.audit.record(actor, { action: 'person.rectified', entityType: 'person', entityId: id, before: pick(before, effective), after: pick(after, effective) }, tx);
      return toPersonView(after);
    });
  }

  async assignOwner(actor: Actor, id: string, dto: AssignOwnerDto): Promise<PersonView> {
    if (dto.ownerId) {
      const owner = await this.users.get(dto.ownerId).catch(() => null);
      if (!owner || !owner.active || !owner.roles.some((r) => OWNER_ROLES.includes(r))) {
        throw invalidField('ownerId', 'must be an active user in sales, account management or admin');
      }
    }
    return this.change(actor, id, { ownerId: dto.ownerId ?? null }, 'owner_change', 'person.owner_assigned');
  }

  async changeStatus(actor: Actor, id: string, dto: ChangeStatusDto): Promise<PersonView> {
    return this.change(actor, id, { status: dto.status }, 'status_change', 'person.status_changed', dto.comment);
  }

  /** Makes the lead a customer of a company: a `customer` capture starts the customer clock (6.4). */
  async convert(actor: Actor, id: string, dto: ConvertDto): Promise<PersonView> {
    if (!dto.companyId === !dto.company) throw invalidField('companyId', 'give either companyId or company');
    // The caller must see the lead, and a company named by id; a domain is matched among all
    // companies, so a lead handed over to an existing customer joins it instead of a duplicate.
    await this.mustProcessOutside(id);
    if (dto.companyId && !(await this.leads.findCompany(dto.companyId))) throw invalidField('companyId', 'there is no such company');
    const domain = dto.company ? companyDomain(dto.company.domain) : null;
    // The company with this domain as the caller sees it: a customer hidden from them is, for them, no company at all.
    const seen = domain ? await this.leads.findCompanyByDomain(domain) : null;
    const managers = dto.accountManagerIds ? await this.accountManagers(dto.accountManagerIds) : this.converterAsManager(actor);
    // Once a customer's, the lead is theirs (6.2(8)): the hand-over itself runs as the system.
    return runAsSystem('conversion to customer', () => this.leads.transaction(async (tx) => {
      const before = await this.mustFind(tx, id);
      const company = await this.companyFor(tx, actor, dto, domain, seen?.id ?? null);
      if (!company.isCustomer) {
        await this.leads.updateCompany(tx, company.id, { isCustomer: true });
        await this.audit.record(actor, { action: 'company.became_customer', entityType: 'company', entityId: company.id, before: { isCustomer: false }, after: { isCustomer: true } }, tx);
      }
      // Whoever converts looks after the customer (else it and the lead would vanish for them),
      // unless the call names who will.
      for (const userId of managers) {
        if (!(await this.leads.addAccountManager(tx, company.id, userId, actor.id))) continue;
        await this.audit.record(actor, { action: 'company.account_manager_assigned', entityType: 'company', entityId: company.id, after: { userId } }, tx);
      }
      const changes: Partial<Person> = { status: 'customer', companyId: company.id, companyName: company.name };
      await this.leads.updatePerson(tx, id, changes);
      await this.leads.oweSync(tx, id);
      await this.intake.capture(actor, {
        source: 'customer', sourceRef: company.id, personId: id, receivedAt: new Date(), payload: { companyId: company.id }, person: {}, consents: [],
        retentionAnchorAt: company.lastServiceDeliveryAt ?? new Date(),
        activity: { type: 'conversion', details: { from: before.status, to: 'customer', companyId: company.id } },
      }, tx);
      const after = (await this.leads.findById(id, tx))!;
      await this.audit.record(actor, { action: 'person.converted', entityType: 'person', entityId: id, before: pick(before, changes), after: pick(after, changes) }, tx);
      return toPersonView(after);
    }));
  }

  /**
   * Without names, the converting user looks after the customer. Someone who cannot (no
   * account_manager role) must name who will: a customer's people are only for its account
   * managers, so the lead would otherwise vanish for them without a word. An admin sees every
   * customer and assigns managers separately.
   */
  private converterAsManager(actor: Actor): string[] {
    if (actor.roles.includes('account_manager') && actor.id) return [actor.id];
    if (actor.roles.includes('admin')) return [];
    throw invalidField('accountManagerIds', 'name who looks after the customer: without the account_manager role you would no longer see this lead once it is a customer');
  }

  /** The users named to look after a new customer: each must be active and hold the account_manager role. */
  private async accountManagers(ids: string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    for (const [i, id] of unique.entries()) {
      const user = await this.users.get(id).catch(() => null);
      if (!user?.active || !user.roles.includes('account_manager')) throw invalidField(`accountManagerIds.${i}`, 'must be an active user with the account_manager role');
    }
    return unique;
  }

  /**
   * Staff set or correct what a capture asks for: the legal basis of handling the request follows
   * (a request for services is a contract matter, 3.3), audited and owed to HubSpot.
   */
  async setInquiryType(actor: Actor, id: string, captureId: string, inquiryType: InquiryType): Promise<PersonView> {
    return this.leads.transaction(async (tx) => {
      await this.mustProcess(tx, id);
      const capture = await this.leads.captureForUpdate(tx, id, captureId);
      if (!capture) throw new NotFoundException('There is no such capture of this person.');
      if (capture.inquiryType === inquiryType) return toPersonView((await this.leads.findById(id, tx))!);
      const basis = this.intake.legalBases(capture.source, inquiryType, capture.consentsGiven, capture.policyVersion).handle_request;
      const legalBases = { ...capture.legalBases, ...(basis ? { handle_request: basis } : {}) };
      await this.leads.updateCapture(tx, captureId, { inquiryType, legalBases });
      await this.leads.oweSync(tx, id);
      await this.audit.record(actor, {
        action: 'person.capture_inquiry_set', entityType: 'person', entityId: id,
        before: { captureId, inquiryType: capture.inquiryType, handleRequest: capture.legalBases.handle_request ?? null },
        after: { captureId, inquiryType, handleRequest: legalBases.handle_request ?? null },
      }, tx);
      return toPersonView((await this.leads.findById(id, tx))!);
    });
  }

  async addNote(actor: Actor, id: string, text: string): Promise<{ id: string }> {
    return this.leads.transaction(async (tx) => {
      await this.mustProcess(tx, id);
      const activityId = await this.intake.addActivity(tx, actor, id, { type: 'note', body: text });
      await this.audit.record(actor, { action: 'person.note_added', entityType: 'person', entityId: id, after: { activityId } }, tx);
      return { id: activityId };
    });
  }

  /**
   * A lead entered by hand (a call, a meeting, a business card): a `phone` or `manual` capture
   * (data collected through that channel, 5.1: its own capture, clock and timeline entry), its
   * legal basis from the inquiry type and any consent stated, recorded with the words the person
   * agreed to. Someone the caller sees with this address or number gets the capture; otherwise a
   * new lead, owned by whoever enters it. An address (or a number someone is known by alone) may
   * belong to an active customer's person the caller may not see (6.2(8)): the inquiry is not
   * lost, and the caller is not told (see `captureForHiddenHolder`).
   */
  async create(actor: Actor, dto: NewLeadDto): Promise<{ id: string; captureId: string; created: boolean }> {
    const email = dto.email ? this.mustNormalise('email', normaliseEmail(dto.email)) : undefined;
    const phone = dto.phone ? this.mustNormalise('phone', normalisePhone(dto.phone, this.config.DEFAULT_PHONE_REGION)) : undefined;
    if (!email && !phone) throw invalidField('email', 'give an e-mail address or a phone number');
    const consents: ConsentPurpose[] = [...new Set(dto.consents ?? [])];
    if (consents.length && !dto.consentWording) throw invalidField('consentWording', 'give the words the person agreed to, as read or shown to them');
    const person = { firstName: dto.firstName, lastName: dto.lastName, email, phone, companyName: dto.companyName, position: dto.position, location: dto.location };
    const input: NewCapture = {
      source: dto.source,
      receivedAt: new Date(),
      payload: { ...definedOnly(dto) },
      person: definedOnly(person),
      request: dto.request ?? null,
      inquiryType: dto.inquiryType ?? 'other',
      consents,
      consentWording: Object.fromEntries(consents.map((c) => [c, dto.consentWording!])) as Partial<Record<ConsentPurpose, string>>,
      ownerId: actor.type === 'user' ? actor.id : null,
    };
    for (let attempt = 0; ; attempt++) {
      const hidden = await this.hiddenHolder(email ?? null, phone ?? null);
      if (hidden) return this.captureForHiddenHolder(actor, hidden, input);
      try {
        const result = await this.intake.capture(actor, input);
        return { id: result.person.id, captureId: result.captureId, created: result.personCreated };
      } catch (err) {
        // Someone hidden from the caller took the address between the look and the write: look again, once.
        if (!identityTaken(err)) throw err;
        if (attempt > 0) throw new ProblemException(409, 'The records changed while this lead was being saved; send it again.');
      }
    }
  }

  /**
   * The person hidden from the caller whom the caller's own write would collide with: the holder
   * of the address, or (given a number only, which the caller sees no one with) the person known
   * by that number alone. Null when the caller sees that person, or nobody holds the identity.
   */
  private async hiddenHolder(email: string | null, phone: string | null): Promise<string | null> {
    const holder = await runAsSystem('new lead: who holds its address', () => this.leads.uniqueHolder(email, phone));
    if (!holder || (await this.leads.findById(holder))) return null;
    if (!email && (await this.intake.findByIdentities([], [phone!])).length) return null;
    return holder;
  }

  /** The customer's account managers are told of the inquiry, as of a web form's lead on their customer (a restricted person: no one). */
  private async tellAccountManagers(personId: string, input: NewCapture): Promise<void> {
    if (!this.notifications.sending) return;
    const audience = await runAsSystem('new-lead notification', () => this.intake.notificationAudience(personId)).catch(() => null);
    if (!audience?.customerCompanyId) return;
    await this.notifications.newLead({
      personId,
      personName: [input.person.firstName, input.person.lastName].filter(Boolean).join(' '),
      company: input.person.companyName ?? null,
      formName: `entered by staff (${input.source})`,
      request: input.request,
      restricted: audience.restricted,
      accountManagerEmails: audience.accountManagerEmails,
    });
  }

  /**
   * A lead entered for an address an active customer's person holds, by someone who may not see
   * that customer (6.2(8)). The inquiry belongs on that record, where its account managers work:
   * the capture is stored there as a public channel's would be (blanks filled, nothing
   * overwritten, the author's actor on the timeline and in the audit log, no change of owner), and
   * the account managers are told as for a web form's lead on their customer.
   *
   * The caller is answered exactly as for an address no one has: 201, `created: true`, the real
   * capture id, and a fresh id that names no record (the hidden person's own id would hand over a
   * handle to it, and its creation time). What the caller can still infer: opening that id, or
   * looking for the lead in their list, finds nothing, where a new lead of theirs would be there;
   * so a caller who checks learns that some record they may not see holds this address. Nothing
   * about which record, whose, or what it holds; the same was already learnt from a rectification's
   * 409 followed by a search, and entering the address twice tells it too (a new lead's address
   * is known the second time). No answer could hide that: the address can be the lead of only
   * one record, and that record is not the caller's to see.
   */
  private async captureForHiddenHolder(actor: Actor, personId: string, input: NewCapture): Promise<{ id: string; captureId: string; created: boolean }> {
    const decoyId = uuid7();
    const result = await runAsSystem('new lead for a customer hidden from its author', () => this.intake.capture(actor, { ...input, personId, ownerId: null }));
    // Not awaited: the mail's round trip would make this answer slower than a new lead's. Never throws.
    void this.tellAccountManagers(personId, input);
    return { id: decoyId, captureId: result.captureId, created: true };
  }

  async logCall(actor: Actor, id: string, dto: CallDto): Promise<{ id: string }> {
    const phone = normalisePhone(dto.phone, this.config.DEFAULT_PHONE_REGION);
    if (!phone) throw invalidField('phone', 'must be a phone number');
    const details = { phone, direction: dto.direction, durationSeconds: dto.durationSeconds, recordingRef: dto.recordingRef ?? null };
    await this.mustProcessOutside(id);
    const result = await this.intake.capture(actor, {
      source: 'phone', personId: id, receivedAt: dto.occurredAt ?? new Date(), payload: { ...details, summary: dto.summary ?? null }, person: { phone }, request: dto.summary ?? null, consents: [],
      activity: { type: 'call', body: dto.summary ?? null, details },
    });
    return { id: result.captureId };
  }

  async logChat(actor: Actor, id: string, dto: ChatDto): Promise<{ id: string }> {
    const details = { service: dto.service, handle: dto.handle };
    await this.mustProcessOutside(id);
    const result = await this.intake.capture(actor, {
      source: 'messenger', personId: id, receivedAt: dto.occurredAt ?? new Date(), payload: { ...details, transcript: dto.transcript }, person: {}, consents: [],
      activity: { type: 'chat', body: dto.transcript, details },
    });
    return { id: result.captureId };
  }

  /**
   * Two records of one person become one: the winner inherits every capture, consent event,
   * activity, event registration and disclosure record, and fills its blank fields from the loser, which is then removed. A dry run
   * (the default) reports the same without changing anything.
   */
  async merge(actor: Actor, dto: MergeDto): Promise<MergeResultView> {
    if (dto.winnerId === dto.loserId) throw invalidField('loserId', 'must differ from winnerId');
    return this.leads.transaction(async (tx) => {
      const [first, second] = [dto.winnerId, dto.loserId].sort();
      const locked = new Map<string, Person>();
      // A restricted record may be merged: the restriction then binds the merged person, and no unrestricted duplicate is left to process.
      for (const pid of [first, second]) locked.set(pid, await this.mustFind(tx, pid)); // lock in id order: no deadlock between crossed merges
      const winner = locked.get(dto.winnerId)!;
      const loser = locked.get(dto.loserId)!;
      const [counts] = await this.leads.countAttached(loser.id, tx);
      const fill: Partial<Person> = {};
      const conflicts: string[] = [];
      for (const field of PERSON_FIELDS) {
        if (loser[field] && !winner[field]) fill[field] = loser[field];
        else if (loser[field] && winner[field] && loser[field] !== winner[field]) conflicts.push(field);
      }
      if (loser.ownerId && !winner.ownerId) fill.ownerId = loser.ownerId;
      if (loser.companyId && !winner.companyId) fill.companyId = loser.companyId;
      // An objection to direct marketing or a restriction on either record binds the merged one (9.4, 9.6).
      if (loser.marketingObjectionAt && !winner.marketingObjectionAt) fill.marketingObjectionAt = loser.marketingObjectionAt;
      if (loser.restrictedAt && !winner.restrictedAt) fill.restrictedAt = loser.restrictedAt;
      const result: MergeResultView = {
        applied: !dto.dryRun, winnerId: winner.id, loserId: loser.id,
        moves: { captures: counts.captures, consentEvents: counts.consent_events, activities: counts.activities, eventRegistrations: counts.event_registrations, disclosures: counts.disclosures },
        fieldsFilled: Object.keys(fill).filter((f) => (PERSON_FIELDS as readonly string[]).includes(f)), conflicts,
      };
      if (dto.dryRun) return result;

      await this.leads.moveAttached(tx, loser.id, winner.id, this.intake.clocks);
      await this.leads.deletePerson(tx, loser.id); // before the fill: the loser's e-mail must be free for the winner
      await this.leads.updatePerson(tx, winner.id, fill);
      await this.leads.mergeHubspotContacts(tx, winner, loser);
      await this.leads.oweSync(tx, winner.id);
      await this.intake.addActivity(tx, actor, winner.id, { type: 'merge', details: { mergedPersonId: loser.id, ...result.moves, fieldsFilled: result.fieldsFilled } });
      await this.audit.record(actor, { action: 'person.merged', entityType: 'person', entityId: winner.id, before: { ...pick(winner, fill), mergedPersonId: null }, after: { ...fill, mergedPersonId: loser.id } }, tx);
      await this.audit.record(actor, { action: 'person.merged_away', entityType: 'person', entityId: loser.id, before: { mergedInto: null }, after: { mergedInto: winner.id } }, tx);
      return result;
    });
  }

  private async change(actor: Actor, id: string, changes: Partial<Person>, activity: 'owner_change' | 'status_change', action: string, comment?: string): Promise<PersonView> {
    return this.leads.transaction(async (tx) => {
      const before = await this.mustProcess(tx, id);
      const [field] = Object.keys(changes) as (keyof Person)[];
      if (before[field] === changes[field]) return toPersonView(before);
      await this.leads.updatePerson(tx, id, changes);
      if (activity === 'status_change') await this.leads.oweSync(tx, id); // HubSpot has the lifecycle stage, not the owner
      await this.intake.addActivity(tx, actor, id, { type: activity, body: comment ?? null, details: { from: before[field], to: changes[field] } });
      const after = (await this.leads.findById(id, tx))!;
      await this.audit.record(actor, { action, entityType: 'person', entityId: id, before: pick(before, changes), after: pick(after, changes) }, tx);
      return toPersonView(after);
    });
  }

  /**
   * Restriction of processing (9.4): the record is kept, processed no further, and HubSpot is
   * told once (our restriction flag), after which the sync leaves the person alone.
   */
  async restrict(actor: Actor, id: string, reason: string): Promise<PersonView> {
    return this.leads.transaction(async (tx) => {
      const before = await this.mustFind(tx, id);
      if (before.restrictedAt) return toPersonView(before);
      await this.leads.updatePerson(tx, id, { restrictedAt: new Date() });
      await this.leads.oweSync(tx, id, { force: true }); // our restriction flag, once
      await this.intake.addActivity(tx, actor, id, { type: 'status_change', body: reason, details: { restricted: true } });
      const after = (await this.leads.findById(id, tx))!;
      await this.audit.record(actor, { action: 'person.restricted', entityType: 'person', entityId: id, before: { restrictedAt: null }, after: { restrictedAt: after.restrictedAt } }, tx);
      return toPersonView(after);
    });
  }

  /**
   * Objection to direct marketing (9.6), effective at once: consents to marketing purposes are
   * withdrawn in the ledger, and HubSpot unsubscribes the address from all e-mail.
   */
  async objectToMarketing(actor: Actor, id: string): Promise<PersonView> {
    return this.leads.transaction(async (tx) => {
      const before = await this.mustFind(tx, id);
      if (before.marketingObjectionAt) return toPersonView(before);
      await this.leads.updatePerson(tx, id, { marketingObjectionAt: new Date() });
      const current = new Map((await this.leads.consentEvents(id, tx)).map((e) => [e.purpose, e.action]));
      const version = this.policy.current().id;
      const withdrawn = MARKETING_PURPOSES.filter((p) => current.get(p) === 'granted');
      await this.leads.appendConsentEvents(tx, withdrawn.map((purpose) => ({
        personId: id, purpose, action: 'withdrawn' as const, source: 'manual' as const, captureId: null, policyVersion: version,
        wording: this.policy.consentWording(purpose, version), actorType: actor.type, actorId: actor.id,
      })));
      await this.leads.oweSync(tx, id);
      if (before.email) await this.leads.oweSync(tx, id, { kind: 'unsubscribe', email: before.email });
      await this.intake.addActivity(tx, actor, id, { type: 'status_change', details: { marketingObjection: true, consentsWithdrawn: withdrawn } });
      const after = (await this.leads.findById(id, tx))!;
      await this.audit.record(actor, { action: 'person.objected_to_marketing', entityType: 'person', entityId: id, before: { marketingObjectionAt: null }, after: { marketingObjectionAt: after.marketingObjectionAt, consentsWithdrawn: withdrawn } }, tx);
      return toPersonView(after);
    });
  }


  private mustNormalise(field: 'email' | 'phone', value: string | null): string {
    if (value === null) throw invalidField(field, field === 'email' ? 'must be an e-mail address' : 'must be a phone number');
    return value;
  }

  /** These persons' fields (as the caller sees them), each audited as listed to the caller. */
  async views(actor: Actor, ids: string[]): Promise<PersonView[]> {
    const found = (await Promise.all(ids.map((id) => this.leads.findById(id)))).filter((p): p is Person => p !== null);
    await this.audit.recordMany(actor, found.map((p) => ({ action: 'person.listed', entityType: 'person', entityId: p.id })));
    return found.map(toPersonView);
  }

  /** An erasure does not reach what a legal hold keeps (Art. 17(3)(e)): refused, naming the hold. */
  private async mustNotBeHeld(id: string): Promise<void> {
    const holds = await this.leads.holdsOn(id);
    if (holds.length) {
      throw new ProblemException(409, `The person is on legal hold (${holds.map((h) => `${h.reason}, until ${new Date(h.until).toISOString().slice(0, 10)}`).join('; ')}): their data is kept until the hold ends. Refuse the erasure stating the hold, or end the hold first.`, { holds: holds.map((h) => ({ id: h.id, reason: h.reason, until: h.until })) });
    }
  }

  /** Whether the person exists (as the caller sees them). */
  async exists(id: string): Promise<boolean> {
    return (await this.leads.findById(id)) !== null;
  }

  /** A data subject's erasure (9.3) through the one eraser, in the DPO's request. */
  async eraseForRequest(actor: Actor, id: string, reason: string): Promise<{ erased: number; purges: number }> {
    await this.mustNotBeHeld(id);
    const { erased, purges } = await this.intake.erase(actor, [id], reason);
    return { erased: erased.length, purges };
  }

  /**
   * "This person is under 16" (policy 2.3: the firm does not knowingly hold data of children
   * under 16): erased like any erasure, from whichever channel they came, with the reason recorded.
   */
  async eraseUnderSixteen(actor: Actor, id: string, reason: string): Promise<{ erased: boolean; hubspotPurges: number }> {
    if (!(await this.leads.findById(id))) throw new NotFoundException('There is no such person.');
    await runAsSystem('under-16 erasure', () => this.mustNotBeHeld(id));
    const { erased, purges } = await runAsSystem('under-16 erasure', () => this.intake.erase(actor, [id], `under 16: ${reason}`));
    return { erased: erased.length === 1, hubspotPurges: purges };
  }

  /**
   * Lifting a restriction (9.4, Art. 18(3)): with a reason, and only once the person was told it
   * will be lifted; HubSpot is owed the person again.
   */
  async liftRestriction(actor: Actor, id: string, reason: string, personInformedAt: Date): Promise<PersonView> {
    return this.leads.transaction(async (tx) => {
      const before = await this.mustFind(tx, id);
      if (!before.restrictedAt) return toPersonView(before);
      if (personInformedAt.getTime() > Date.now()) throw invalidField('personInformedAt', 'must not be in the future: the person is told before the restriction is lifted');
      await this.leads.updatePerson(tx, id, { restrictedAt: null });
      await this.leads.oweSync(tx, id);
      await this.intake.addActivity(tx, actor, id, { type: 'status_change', body: reason, details: { restricted: false, personInformedAt: personInformedAt.toISOString() } });
      const after = (await this.leads.findById(id, tx))!;
      await this.audit.record(actor, { action: 'person.restriction_lifted', entityType: 'person', entityId: id, before: { restrictedAt: before.restrictedAt }, after: { restrictedAt: null, reason, personInformedAt } }, tx);
      return toPersonView(after);
    });
  }

  /**
   * Withdrawal of one purpose's consent (9.8): appended to the ledger with the channel it came
   * by; what relied on it stops (HubSpot's purpose property goes off, its basis with it). Returns
   * whether it was granted before.
   */
  async withdrawConsent(actor: Actor, id: string, purpose: ConsentPurpose, source: 'manual' | 'web_form' | 'email' = 'manual'): Promise<{ withdrawn: boolean }> {
    return this.leads.transaction(async (tx) => {
      await this.mustFind(tx, id);
      const current = new Map((await this.leads.consentEvents(id, tx)).map((e) => [e.purpose, e.action]));
      if (current.get(purpose) !== 'granted') return { withdrawn: false };
      const version = this.policy.current().id;
      await this.leads.appendConsentEvents(tx, [{
        personId: id, purpose, action: 'withdrawn', source, captureId: null, policyVersion: version,
        wording: this.policy.consentWording(purpose, version), actorType: actor.type, actorId: actor.id,
      }]);
      await this.leads.oweSync(tx, id);
      await this.intake.addActivity(tx, actor, id, { type: 'status_change', details: { consentWithdrawn: purpose } });
      await this.audit.record(actor, { action: 'person.consent_withdrawn', entityType: 'person', entityId: id, before: { [purpose]: 'granted' }, after: { [purpose]: 'withdrawn', via: source } }, tx);
      return { withdrawn: true };
    });
  }

  /**
   * Everyone an identifier (an e-mail address or a phone number) ever named: the person's own,
   * or on any of their captures (a merged-away record's captures went to the survivor). For a
   * data subject's request, customers' people included; audited.
   */
  async findForPrivacyRequest(actor: Actor, identifier: string, reason: string): Promise<string[]> {
    const email = normaliseEmail(identifier);
    const phone = email ? null : normalisePhone(identifier, this.config.DEFAULT_PHONE_REGION);
    if (!email && !phone) throw invalidField('identifier', 'must be an e-mail address or a phone number');
    return runAsSystem('privacy request', async () => {
      const ids = await this.leads.personsNamedBy({ email, phone });
      await this.audit.record(actor, { action: 'person.privacy_request_search', entityType: 'person', entityId: null, after: { reason, matches: ids.length } });
      return ids;
    });
  }

  private async mustFind(tx: EntityManager, id: string): Promise<Person> {
    const person = await this.leads.findById(id, tx, true);
    if (!person) throw new NotFoundException('There is no such person.');
    return person;
  }

  /** The person, for processing a restriction forbids (policy 9.4): refused, naming the restriction. */
  private async mustProcess(tx: EntityManager, id: string): Promise<Person> {
    const person = await this.mustFind(tx, id);
    if (person.restrictedAt) throw restricted();
    return person;
  }

  private async mustProcessOutside(id: string): Promise<void> {
    const person = await this.leads.findById(id);
    if (!person) throw new NotFoundException('There is no such person.');
    if (person.restrictedAt) throw restricted();
  }

  /**
   * The company a conversion joins: named by id, or the one with the given domain when the caller
   * sees it (`seenId`), else a new one. A domain held by a company hidden from the caller (another
   * team's customer) is left off the new company: the caller gets the same answer as for a domain
   * no one has, and the lead never moves into the hidden company.
   */
  private async companyFor(tx: EntityManager, actor: Actor, dto: ConvertDto, domain: string | null, seenId: string | null): Promise<Company> {
    if (dto.companyId) {
      const company = await this.leads.findCompany(dto.companyId, tx);
      if (!company) throw invalidField('companyId', 'there is no such company');
      return company;
    }
    const existing = domain ? await this.leads.findCompanyByDomain(domain, tx) : null;
    if (existing && existing.id === seenId) return existing;
    const company = await this.leads.insertCompany(tx, { name: dto.company!.name, domain: existing ? null : domain, address: dto.company!.address ?? null });
    await this.audit.record(actor, { action: 'company.created', entityType: 'company', entityId: company.id, after: { name: company.name, domain: company.domain, address: company.address } }, tx);
    return company;
  }
}

/** `https://www.Example.no/about` and `example.no` are one company. */
function companyDomain(given: string | null | undefined): string | null {
  return given?.toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '').replace(/^www\./, '') || null;
}

function pick<T extends object>(source: T, keysOf: object): Record<string, unknown> {
  return Object.fromEntries(Object.keys(keysOf).map((k) => [k, (source as Record<string, unknown>)[k] ?? null]));
}
