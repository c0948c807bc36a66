import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { runAsSystem } from '../access/access-context';
import { AuditService } from '../audit/audit.service';
import { invalidField, ProblemException } from '../common/problem-details';
import type { Actor } from '../domain/actor';
import type { ConsentPurpose } from '../domain/purposes';
import type { PersonDetailView, PersonView } from '../leads/dto/person.dto';
import { PersonsService } from '../leads/persons.service';
import { LeadsService } from '../leads/leads.service';
import { NotificationsService } from '../notifications/notifications.service';
import type { FulfilDto, OpenPrivacyRequestDto, PrivacyRequestView, RefuseDto, VerifyIdentityDto, ExtendDeadlineDto } from './dto/privacy-request.dto';
import type { PrivacyRequest } from './entities/privacy-request.entity';
import { PrivacyRequestsRepository, type RequestState } from './privacy-requests.repository';
import { generatePdfPassword, renderAccessPdf, type AccessCopy } from './access-pdf';

/** `date` plus whole calendar months, the day clamped to the month's end (31 January + 1 month = 28/29 February). */
export function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

const isOpen = (r: PrivacyRequest) => r.status !== 'completed' && r.status !== 'refused';

export function toRequestView(r: PrivacyRequest, now = new Date()): PrivacyRequestView {
  return {
    id: r.id, type: r.type, status: r.status, personId: r.personId, candidates: r.candidates, channel: r.channel, scope: r.scope,
    receivedAt: r.receivedAt, dueAt: r.dueAt, overdue: isOpen(r) && r.dueAt < now, extensionReason: r.extensionReason, extensionToldAt: r.extensionToldAt,
    identityMethod: r.identityMethod, identityDocuments: r.identityDocuments, identityVerifiedAt: r.identityVerifiedAt,
    refusalReason: r.refusalReason, refusalOptions: r.refusalOptions, outcome: r.outcome, completedAt: r.completedAt,
  };
}

/** The access copy's sections: everything held on the person, as the record shows it. */
export function toAccessCopy(person: PersonDetailView | null, generatedAt: string): AccessCopy {
  const title = 'Your personal data held by the firm (GDPR Art. 15)';
  if (!person) return { title, generatedAt, sections: [{ title: 'Person', rows: [] }] };
  const { captures, consents, consentEvents, legalBases, timeline, retention, eventRegistrations, recipients, warnings: _warnings, ...fields } = person;
  return {
    title,
    generatedAt,
    sections: [
      { title: 'Person', rows: [fields] },
      { title: 'How we got your data (each capture, with what was sent)', rows: captures.map((c) => ({ ...c })) },
      { title: 'Legal bases, by purpose', rows: Object.entries(legalBases).map(([purpose, bases]) => ({ purpose, bases: bases.join(', ') })) },
      { title: 'Consents now', rows: consents.map((c) => ({ ...c })) },
      { title: 'Consent ledger (every grant and withdrawal, with the wording shown)', rows: consentEvents.map((e) => ({ ...e })) },
      { title: 'Timeline (notes, calls, messages, changes)', rows: timeline.map((a) => ({ ...a })) },
      { title: 'Event registrations', rows: eventRegistrations.map((r) => ({ ...r })) },
      { title: 'To whom your data went', rows: recipients.map((r) => ({ ...r })) },
      { title: 'Retention', rows: [{ keptUntil: retention.keptUntil }] },
    ],
  };
}

/** What the person provided themselves, as the portability copy holds it (schema in docs/privacy.md). */
export interface PortableCopy {
  schema: 'lead-intake-crm/portability/1';
  generatedAt: string;
  person: Record<string, string | null>;
  submissions: { channel: string; receivedAt: string; fields: Record<string, unknown> }[];
  consents: { purpose: string; action: string; at: string; wording: string | null }[];
}

/**
 * Data subjects' requests as cases (policy 9): opened with whom they are about, due a month after
 * receipt (an extension of up to two months, decided and told within the first), identity
 * verified before anything is done, then fulfilled through the leads' own operations (the one
 * eraser, rectification, restriction, objection, withdrawal), each step recorded as proof. The
 * DPO reaches every person, customers' included: the person operations run as the system, the
 * DPO named in every audit line.
 */
@Injectable()
export class PrivacyRequestsService {
  private readonly logger = new Logger('PrivacyRequests');

  constructor(
    private readonly repo: PrivacyRequestsRepository,
    private readonly persons: PersonsService,
    private readonly audit: AuditService,
    private readonly notifications: NotificationsService,
    leads: LeadsService,
  ) {
    leads.alsoErase(repo.erasure());
  }

  async open(actor: Actor, dto: OpenPrivacyRequestDto): Promise<PrivacyRequestView> {
    const receivedAt = dto.receivedAt ?? new Date();
    if (receivedAt.getTime() > Date.now() + 60_000) throw invalidField('receivedAt', 'must not be in the future');
    let personId: string | null = null;
    let candidates: string[] = [];
    if (dto.personId) {
      await this.mustSee(dto.personId);
      personId = dto.personId;
    } else {
      const found = await this.persons.findForPrivacyRequest(actor, dto.identifier!, `privacy request (${dto.type})`);
      if (found.length === 1) personId = found[0];
      else candidates = found;
    }
    return this.repo.transaction(async (tx) => {
      const request = await this.repo.insert(tx, {
        type: dto.type, personId, candidates, identifier: dto.identifier ?? null, channel: dto.channel, receivedAt, dueAt: addMonths(receivedAt, 1),
        scope: dto.scope ?? null, status: 'received', createdBy: actor.id!,
      });
      await this.repo.addAction(tx, request.id, 'received', actor.id, { channel: dto.channel, matches: personId ? 1 : candidates.length });
      return toRequestView(request);
    });
  }

  /** The DPO's look-up: everyone an identifier ever named, audited as a search and as a list. */
  async lookup(actor: Actor, identifier: string): Promise<PersonView[]> {
    const ids = await this.persons.findForPrivacyRequest(actor, identifier, 'privacy request look-up');
    return runAsSystem('privacy request', () => this.persons.views(actor, ids));
  }

  async list(state: RequestState = 'open'): Promise<PrivacyRequestView[]> {
    const now = new Date();
    return (await this.repo.list(state)).map((r) => toRequestView(r, now));
  }

  async get(id: string): Promise<PrivacyRequestView> {
    const request = await this.mustFind(id);
    const actions = await this.repo.actions(id);
    return { ...toRequestView(request), actions: actions.map(({ action, details, actorId, at }) => ({ action, details, actorId, at })) };
  }

  /** Settles whom a request is about, among the persons its identifier matched. */
  async choosePerson(actor: Actor, id: string, personId: string): Promise<PrivacyRequestView> {
    return this.step(actor, id, 'person_chosen', async (r) => {
      if (r.candidates.length && !r.candidates.includes(personId)) throw invalidField('personId', 'must be one of the persons the identifier matched (candidates)');
      await this.mustSee(personId);
      return { changes: { personId, candidates: [] }, details: { personId } };
    });
  }

  /** The DPO asked the requester to prove who they are: the request waits for it (the clock keeps running). */
  async awaitIdentity(actor: Actor, id: string, how: string): Promise<PrivacyRequestView> {
    return this.step(actor, id, 'identity_requested', async (r) => {
      if (r.status !== 'received') throw new ConflictException(`The request is ${r.status.replace('_', ' ')}: identity is asked for before the work starts.`);
      return { changes: { status: 'identity_pending' }, details: { how } };
    });
  }

  /** Identity checked: the method and the two documents' types (never copies), by whom and when. */
  async verifyIdentity(actor: Actor, id: string, dto: VerifyIdentityDto): Promise<PrivacyRequestView> {
    if (dto.documents[0] === dto.documents[1]) throw invalidField('documents', 'must be two different identity documents');
    return this.step(actor, id, 'identity_verified', async () => ({
      changes: { identityMethod: dto.method, identityDocuments: dto.documents, identityVerifiedBy: actor.id, identityVerifiedAt: new Date(), status: 'in_progress' },
      details: { method: dto.method, documents: dto.documents },
    }));
  }

  /** Up to two more months (Art. 12(3)): decided, and told to the person with the reason, within the first month; once. */
  async extend(actor: Actor, id: string, dto: ExtendDeadlineDto): Promise<PrivacyRequestView> {
    return this.step(actor, id, 'deadline_extended', async (r) => {
      const firstMonthEnds = addMonths(r.receivedAt, 1);
      if (r.extensionReason) throw new ConflictException('The deadline was extended already: one extension, of at most two months, is allowed.');
      if (Date.now() > firstMonthEnds.getTime()) throw new ProblemException(409, 'An extension may only be decided within the first month after receipt; that month has passed.');
      if (dto.toldAt.getTime() > firstMonthEnds.getTime()) throw invalidField('toldAt', 'the person must be told within the first month after receipt');
      if (dto.toldAt.getTime() < r.receivedAt.getTime()) throw invalidField('toldAt', 'must be after the request was received');
      const dueAt = addMonths(r.receivedAt, 1 + dto.months);
      return { changes: { dueAt, extensionReason: dto.reason, extensionToldAt: dto.toldAt }, details: { months: dto.months, dueAt: dueAt.toISOString(), toldAt: dto.toldAt.toISOString() } };
    });
  }

  async refuse(actor: Actor, id: string, dto: RefuseDto): Promise<PrivacyRequestView> {
    return this.step(actor, id, 'refused', async () => ({
      changes: { status: 'refused', refusalReason: dto.reason, refusalOptions: dto.options, completedAt: new Date() },
      details: { reason: dto.reason },
    }));
  }

  /**
   * Does what the request asks, once identity is verified, and completes it with its outcome:
   * counts and facts only (the proof), never the person's values.
   */
  async fulfil(actor: Actor, id: string, dto: FulfilDto): Promise<PrivacyRequestView> {
    const request = await this.mustFind(id);
    this.mustBeReady(request);
    const personId = request.personId;
    if (!personId && request.type !== 'access' && request.type !== 'portability') {
      throw new ProblemException(409, 'The request is about no one yet: choose the person (POST /api/privacy-requests/{id}/person), or refuse it.');
    }
    const outcome = await runAsSystem('privacy request', () => this.carryOut(actor, request, dto));
    return this.step(actor, id, 'completed', async () => ({ changes: { status: 'completed', outcome, completedAt: new Date() }, details: outcome }));
  }

  private async carryOut(actor: Actor, r: PrivacyRequest, dto: FulfilDto): Promise<Record<string, unknown>> {
    const personId = r.personId;
    switch (r.type) {
      case 'access':
      case 'portability': {
        if (!personId) return { held: 'nothing' };
        const copy = await this.persons.get(actor, personId);
        return { delivered: r.type === 'access' ? 'access copy (JSON, PDF)' : 'portability copy (JSON, CSV)', captures: copy.captures.length, consentEvents: copy.consentEvents.length, timeline: copy.timeline.length, eventRegistrations: copy.eventRegistrations.length, recipients: copy.recipients.length };
      }
      case 'erasure': {
        const before = await this.persons.get(actor, personId!);
        const { erased, purges } = await this.persons.eraseForRequest(actor, personId!, `data subject request ${r.id}`);
        return {
          erased, captures: before.captures.length, consentEvents: before.consentEvents.length, timeline: before.timeline.length, eventRegistrations: before.eventRegistrations.length,
          hubspotPurges: purges, recipientsToNotify: before.recipients.map((x) => x.recipient),
        };
      }
      case 'rectification': {
        const fields = Object.entries(dto.changes ?? {}).filter(([, v]) => v !== undefined).map(([k]) => k);
        if (!fields.length) throw invalidField('changes', 'a rectification names the corrected fields');
        const before = await this.persons.get(actor, personId!);
        await this.persons.rectify(actor, personId!, dto.changes!, true);
        return { fields, recipientsToNotify: before.recipients.map((x) => x.recipient) };
      }
      case 'restriction':
        await this.persons.restrict(actor, personId!, `data subject request ${r.id}`);
        return { restricted: true };
      case 'objection':
        if (r.scope === 'direct_marketing') {
          await this.persons.objectToMarketing(actor, personId!);
          return { scope: 'direct_marketing', marketingConsentsWithdrawn: true, unsubscribedInHubspot: true };
        }
        if (dto.compellingGrounds) return { scope: 'legitimate_interest', continued: true, compellingGrounds: dto.compellingGrounds };
        await this.persons.restrict(actor, personId!, `objection to processing on legitimate interest (request ${r.id}); no compelling grounds`);
        return { scope: 'legitimate_interest', continued: false, restricted: true };
      case 'consent_withdrawal': {
        const { withdrawn } = await this.persons.withdrawConsent(actor, personId!, r.scope as ConsentPurpose, 'manual');
        return { purpose: r.scope, withdrawn, wasGranted: withdrawn };
      }
    }
  }

  /** The access copy as JSON: everything held on the person. */
  async accessCopy(actor: Actor, id: string, format: 'json' | 'pdf' = 'json'): Promise<{ request: PrivacyRequestView; person: PersonDetailView | null; generatedAt: string }> {
    const request = await this.mustFind(id);
    if (request.type !== 'access') throw new ConflictException('Only an access request has an access copy.');
    this.mustBeReady(request, true);
    const person = request.personId ? await runAsSystem('privacy request', () => this.persons.get(actor, request.personId!)) : null;
    await this.record(actor, id, 'copy_made', { format });
    return { request: toRequestView(request), person, generatedAt: new Date().toISOString() };
  }

  /**
   * The access copy as a PDF encrypted with AES-256, its password generated here and returned
   * once (never stored): the DPO sends it to the person by another channel.
   */
  async accessPdf(actor: Actor, id: string): Promise<{ pdf: Buffer; password: string }> {
    const { person, generatedAt } = await this.accessCopy(actor, id, 'pdf');
    const password = generatePdfPassword();
    return { pdf: await renderAccessPdf(toAccessCopy(person, generatedAt), password), password };
  }

  /** What the person provided themselves, machine-readable (JSON, or CSV of the same rows). */
  async portableCopy(actor: Actor, id: string): Promise<PortableCopy> {
    const request = await this.mustFind(id);
    if (request.type !== 'portability') throw new ConflictException('Only a portability request has a portable copy.');
    this.mustBeReady(request, true);
    const copy: PortableCopy = { schema: 'lead-intake-crm/portability/1', generatedAt: new Date().toISOString(), person: {}, submissions: [], consents: [] };
    if (request.personId) {
      const p = await runAsSystem('privacy request', () => this.persons.get(actor, request.personId!));
      copy.person = { firstName: p.firstName, lastName: p.lastName, email: p.email, phone: p.phone, position: p.position, companyName: p.companyName, location: p.location, skypeId: p.skypeId, linkedinUrl: p.linkedinUrl };
      // Provided by the person: what they sent through a form, the chatbot, e-mail or an event registration, not what staff wrote.
      copy.submissions = p.captures.filter((c) => c.source !== 'manual').map((c) => ({ channel: c.source, receivedAt: new Date(c.receivedAt).toISOString(), fields: c.payload }));
      copy.consents = p.consentEvents.map((e) => ({ purpose: e.purpose, action: e.action, at: new Date(e.occurredAt).toISOString(), wording: e.wording }));
    }
    await this.record(actor, id, 'copy_made', { format: 'portability' });
    return copy;
  }

  static portableCsv(copy: PortableCopy): string {
    const rows: string[][] = [['section', 'index', 'field', 'value', 'at']];
    for (const [field, value] of Object.entries(copy.person)) rows.push(['person', '', field, value ?? '', '']);
    copy.submissions.forEach((s, i) => {
      for (const [field, value] of Object.entries(s.fields)) rows.push([`submission:${s.channel}`, String(i + 1), field, typeof value === 'string' ? value : JSON.stringify(value), s.receivedAt]);
    });
    copy.consents.forEach((c, i) => rows.push(['consent', String(i + 1), c.purpose, c.action, c.at]));
    return stringify(rows);
  }

  /** The DPO hears a week before a request falls due (once per request). What the job runs. */
  async remindDueSoon(): Promise<number> {
    const due = await runAsSystem('privacy reminders', () => this.repo.claimReminders());
    for (const r of due) await this.notifications.privacyRequestDueSoon({ requestId: r.id, type: r.type, dueAt: r.dueAt });
    if (due.length) this.logger.log(`Reminded the DPO of ${due.length} request(s) due within a week`);
    return due.length;
  }

  private mustBeReady(r: PrivacyRequest, orDone = false): void {
    if (orDone && r.status === 'completed') return;
    if (!isOpen(r)) throw new ConflictException(`The request is ${r.status} already.`);
    if (r.status !== 'in_progress') throw new ProblemException(409, 'Verify the person’s identity first (POST /api/privacy-requests/{id}/identity): nothing is done for an unverified requester.');
  }

  private async mustFind(id: string): Promise<PrivacyRequest> {
    const request = await this.repo.find(id);
    if (!request) throw new NotFoundException('There is no such request.');
    return request;
  }

  private async mustSee(personId: string): Promise<void> {
    if (!(await runAsSystem('privacy request', () => this.persons.exists(personId)))) throw invalidField('personId', 'there is no such person');
  }

  private async record(actor: Actor, id: string, action: string, details: Record<string, unknown>): Promise<void> {
    await this.repo.transaction((tx) => this.repo.addAction(tx, id, action, actor.id, details));
  }

  /** One step on an open request, in one transaction: the change, its action line, its audit line. */
  private async step(
    actor: Actor,
    id: string,
    action: string,
    decide: (r: PrivacyRequest) => Promise<{ changes: Partial<PrivacyRequest>; details: Record<string, unknown> }>,
  ): Promise<PrivacyRequestView> {
    return this.repo.transaction(async (tx) => {
      const r = await this.repo.find(id, tx, true);
      if (!r) throw new NotFoundException('There is no such request.');
      if (!isOpen(r)) throw new ConflictException(`The request is ${r.status} already.`);
      const { changes, details } = await decide(r);
      await this.repo.update(tx, id, changes);
      await this.repo.addAction(tx, id, action, actor.id, details);
      await this.audit.record(actor, { action: `privacy_request.${action}`, entityType: 'privacy_request', entityId: id, after: { type: r.type, status: changes.status ?? r.status } }, tx);
      return toRequestView({ ...r, ...changes } as PrivacyRequest);
    });
  }
}
