import { Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { runAsSystem } from '../../access/access-context';
import { AuditService } from '../../audit/audit.service';
import type { Actor } from '../../domain/actor';
import { ProblemException } from '../../common/problem-details';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { LeadsService, type CaptureResult } from '../../leads/leads.service';
import { UsersService } from '../../auth/users.service';
import { NotificationsService } from '../../notifications/notifications.service';
import { tellNewOwner } from '../owner-notice';
import type { Verdict } from '../../domain/verdict';
import { ScreeningService } from '../../screening/screening.service';
import { ChatbotIntakeRepository, type ChatEventRow } from './chatbot-intake.repository';
import type { ChatbotEventView } from './dto/chatbot.dto';
import { bodyText, personFromContact, readDriftEvent, type DriftContactIdentified, type DriftNewMessage } from './drift-events';

type Outcome = { status: 'accepted' | 'released'; verdict: Verdict };
type NewRow = Omit<ChatEventRow, 'captureId' | 'activityId' | 'status'>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
// Advisory-lock keys; sorted, a contact's key comes before its conversations' ('contact' < 'conversation').
const contactKey = (orgId: string, contactId: string) => `drift:${orgId}:contact:${contactId}`;
const conversationKey = (orgId: string, conversationId: string) => `drift:${orgId}:conversation:${conversationId}`;

/**
 * The chatbot channel (policy section 4): Drift's webhook. An identified contact becomes a
 * person through a `chatbot` capture; every chat message goes on that person's timeline,
 * grouped by conversation. A message that arrives before its contact is identified is kept
 * (`pending`) and attached the moment they are, with the rest of its conversation. What the
 * visitor sends is screened like a web form; colleagues' and the bot's messages are the firm's own.
 */
@Injectable()
export class ChatbotIntakeService {
  constructor(
    private readonly repo: ChatbotIntakeRepository,
    private readonly leads: LeadsService,
    private readonly screening: ScreeningService,
    private readonly audit: AuditService,
    private readonly users: UsersService,
    private readonly notifications: NotificationsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    leads.alsoErase(repo.erasure());
  }

  /**
   * One webhook delivery. Answered once everything it brought has committed; a redelivery
   * finds its first delivery by its unique key and changes nothing. Runs as the system: a
   * visitor's chat must find their person whoever looks after them.
   */
  receiveDrift(actor: Actor, body: unknown, headerToken: string | null): Promise<ChatbotEventView> {
    const payload = this.authenticate(body, headerToken);
    const { event, errors } = readDriftEvent(payload);
    if (errors.length) throw new ProblemException(422, 'The Drift event lacks what this service needs; nothing was stored.', { errors });
    if (!event) return Promise.resolve({ status: 'ignored', reference: null });
    // Kept as received, less the shared secret.
    const { token: _token, ...rest } = payload;
    const stored = JSON.stringify(rest);
    return runAsSystem('chatbot intake', () => (event.kind === 'contact_identified' ? this.contactIdentified(actor, event, stored) : this.newMessage(actor, event, stored)));
  }

  /** Drift sends its app's verification token in the body and as X-Verification-Token; each present must match (constant time). */
  private authenticate(body: unknown, headerToken: string | null): Record<string, unknown> {
    const expected = this.config.DRIFT_VERIFICATION_TOKEN;
    if (!expected) throw new ProblemException(503, 'The chatbot webhook is not configured: DRIFT_VERIFICATION_TOKEN must be set to the Drift app’s verification token. Nothing was stored.');
    const payload = isObject(body) ? body : null;
    // Every token given must match: a right header does not vouch for a wrong body token, nor the other way round.
    const given = [typeof payload?.token === 'string' ? payload.token : null, headerToken].filter((t): t is string => t !== null);
    if (!given.length || !given.every((t) => timingSafeEqual(sha256(t), sha256(expected)))) {
      throw new UnauthorizedException('The verification token is not this service’s Drift app’s (DRIFT_VERIFICATION_TOKEN); nothing was stored.');
    }
    if (!payload) throw new ProblemException(422, 'Send the Drift event as a JSON object: {type, token, orgId, data}.');
    return payload;
  }

  private async contactIdentified(actor: Actor, e: DriftContactIdentified, stored: string): Promise<ChatbotEventView> {
    const first = await this.repo.findByKey(e.eventKey);
    if (first) return { status: 'duplicate', reference: first.id };
    const person = personFromContact(e.attributes, this.config.DEFAULT_PHONE_REGION);
    const id = randomUUID();
    // Stored as received before any rule runs; a rule can hold it, never lose it.
    const { receivedAt, nearCopies, bySender } = await this.screening.receive(
      { id, channel: 'chatbot', formId: null, contentType: 'application/json', rawBody: stored, fields: { contactId: e.contactId, ...person }, ip: null, senderEmail: person.email ?? null },
      '',
    );
    const name = [person.firstName, person.lastName].filter(Boolean).join(' ');
    const freeText = Object.fromEntries(Object.entries({ company: person.companyName, position: person.position, location: person.location }).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const verdict = await this.screening.judge({ sender: { email: person.email, phone: person.phone, skype: person.skypeId, ip: null }, name, text: '', fields: {}, freeText, channel: 'chatbot' }, null, nearCopies, receivedAt, bySender);
    const row: NewRow = { id, eventKey: e.eventKey, type: 'contact_identified', orgId: e.orgId, contactId: e.contactId, conversationId: null, messageId: null, authorType: null, messageType: null, body: null, sentAt: null, submissionId: id };
    if (verdict.outcome !== 'clean') return this.setAside(row, verdict);
    const taken = await this.repo.transaction(async (tx) => {
      if (!(await this.repo.claim(tx, { ...row, status: 'captured' }))) return null;
      return { result: await this.acceptContact(tx, actor, id, e, stored, receivedAt, { status: 'accepted', verdict }) };
    });
    if (!taken) return this.redelivered(row, verdict);
    void tellNewOwner(this.users, this.notifications, taken.result, 'the chatbot', null);
    return { status: 'accepted', reference: id };
  }

  /** The contact's capture, then every message that waited for them. */
  private async acceptContact(tx: EntityManager, actor: Actor, id: string, e: DriftContactIdentified, stored: string, receivedAt: Date, outcome: Outcome): Promise<CaptureResult> {
    // Holding the contact, then each of their conversations: a message committing meanwhile is seen below, or sees this person.
    await this.repo.lock(tx, [contactKey(e.orgId, e.contactId)]);
    const conversations = await this.repo.conversationsOf(tx, e.orgId, e.contactId);
    await this.repo.lock(tx, conversations.map((c) => conversationKey(e.orgId, c)));
    const result = await this.leads.capture(
      actor,
      {
        source: 'chatbot',
        // The capture's source reference is the conversation, when the contact wrote before saying who they are.
        sourceRef: conversations[0] ?? null,
        receivedAt,
        contentType: 'application/json',
        rawBody: stored,
        payload: { orgId: e.orgId, contactId: e.contactId, attributes: e.attributes },
        person: personFromContact(e.attributes, this.config.DEFAULT_PHONE_REGION),
        // A chat's subject is not known at identification: processed as "any other purpose" (4.3(3)).
        inquiryType: 'other',
        consents: [],
        submission: { id, ...outcome },
      },
      tx,
    );
    await this.repo.markCaptured(tx, id, result.captureId);
    await this.attach(tx, actor, result.person.id, await this.repo.pendingFor(tx, e.orgId, e.contactId));
    return result;
  }

  private async newMessage(actor: Actor, e: DriftNewMessage, stored: string): Promise<ChatbotEventView> {
    const first = await this.repo.findByKey(e.eventKey);
    if (first) return { status: 'duplicate', reference: first.id };
    const row: NewRow = {
      id: randomUUID(), eventKey: e.eventKey, type: 'new_message', orgId: e.orgId, contactId: e.contactId, conversationId: e.conversationId, messageId: e.messageId,
      authorType: e.author, messageType: e.messageType, body: e.body, sentAt: e.sentAt, submissionId: null,
    };
    let outcome: Outcome | null = null;
    if (e.author === 'contact') {
      // The visitor's words: stored as received, then screened. Drift's servers are not the
      // visitor, and a chat is many messages: no per-address or per-sender limit here.
      const { receivedAt, nearCopies } = await this.screening.receive(
        { id: row.id, channel: 'chatbot', formId: null, contentType: 'application/json', rawBody: stored, fields: { conversationId: e.conversationId, messageId: e.messageId, message: e.text }, ip: null, senderEmail: null },
        e.text,
      );
      const verdict = await this.screening.judge({ sender: { ip: null }, name: '', text: e.text, fields: {}, channel: 'chatbot' }, null, nearCopies, receivedAt);
      row.submissionId = row.id;
      if (verdict.outcome !== 'clean') return this.setAside(row, verdict);
      outcome = { status: 'accepted', verdict };
    }
    const taken = await this.repo.transaction(async (tx) => {
      if (!(await this.repo.claim(tx, { ...row, status: 'pending' }))) return false;
      await this.place(tx, actor, { ...row, status: 'pending', captureId: null, activityId: null }, outcome);
      return true;
    });
    if (taken) return { status: 'accepted', reference: row.id };
    return outcome ? this.redelivered(row, outcome.verdict) : { status: 'duplicate', reference: (await this.repo.findByKey(e.eventKey))?.id ?? row.id };
  }

  /** On the timeline if the conversation's contact is a known person; otherwise kept, pending, for when they are. */
  private async place(tx: EntityManager, actor: Actor, row: ChatEventRow, outcome: Outcome | null): Promise<void> {
    const conversation = conversationKey(row.orgId, row.conversationId!);
    await this.repo.lock(tx, row.contactId ? [contactKey(row.orgId, row.contactId), conversation] : [conversation]);
    const contactId = row.contactId ?? (await this.repo.contactOfConversation(tx, row.orgId, row.conversationId!));
    const captureId = contactId ? await this.repo.captureOfContact(tx, row.orgId, contactId) : null;
    const personId = captureId ? ((await this.leads.ownersOf(tx, { captureIds: [captureId] })).get(captureId) ?? null) : null;
    if (outcome) await this.repo.settleSubmission(tx, row.submissionId!, outcome.status, outcome.verdict);
    if (!personId) return;
    // The contact's own message also brings the colleagues' and bot's messages of its conversation that came first.
    await this.attach(tx, actor, personId, row.contactId ? await this.repo.pendingFor(tx, row.orgId, row.contactId) : [row]);
  }

  /** Chat messages onto the person's timeline, oldest first, with one audit line for them. */
  private async attach(tx: EntityManager, actor: Actor, personId: string, rows: ChatEventRow[]): Promise<void> {
    if (!rows.length) return;
    const activityIds: string[] = [];
    for (const r of rows) {
      const activityId = await this.leads.addActivity(tx, actor, personId, {
        type: 'chat',
        body: bodyText(r.body ?? ''),
        occurredAt: r.sentAt ?? undefined,
        // The conversation id groups a chat on the timeline.
        details: { channel: 'drift', conversationId: r.conversationId, messageId: r.messageId, author: r.authorType, messageType: r.messageType },
      });
      await this.repo.markAttached(tx, r.id, activityId);
      activityIds.push(activityId);
    }
    await this.audit.record(actor, { action: 'person.chat_added', entityType: 'person', entityId: personId, after: { activityIds, conversationIds: [...new Set(rows.map((r) => r.conversationId))] } }, tx);
  }

  /** Held for a person to review (the content kept), or for a blocked sender only the attempt: the event without its words. */
  private async setAside(row: NewRow, verdict: Verdict): Promise<ChatbotEventView> {
    const held = verdict.outcome === 'held';
    if (!(await this.repo.claim(null, { ...row, status: held ? 'held' : 'blocked', body: held ? row.body : null }))) return this.redelivered(row, verdict);
    await this.screening.setAside(row.id, verdict);
    // The same answer whatever the verdict: no oracle for spammers.
    return { status: 'accepted', reference: row.id };
  }

  /**
   * A delivery of the same event won the unique key while this one was being screened: this
   * arrival is set aside as a duplicate for a person to dismiss, nothing else changes.
   */
  private async redelivered(row: NewRow, verdict: Verdict): Promise<ChatbotEventView> {
    const first = await this.repo.findByKey(row.eventKey);
    await this.screening.setAside(row.id, {
      ruleSetVersion: verdict.ruleSetVersion,
      outcome: verdict.outcome === 'blocked' ? 'blocked' : 'held',
      reasons: [...verdict.reasons, { code: 'duplicate_delivery', evidence: { firstDelivery: first?.id ?? null } }],
    });
    return { status: 'duplicate', reference: first?.id ?? row.id };
  }

  /**
   * Chat messages kept for a contact who never identified themselves are deleted after
   * QUARANTINE_RETENTION_DAYS, like held arrivals nobody reviewed (for the nightly purge).
   */
  purgeUnclaimed(): Promise<number> {
    return runAsSystem('chat purge', () => this.repo.purgePending(this.config.QUARANTINE_RETENTION_DAYS));
  }

  /**
   * A held chatbot arrival a person released, inside the decision's transaction, as the visitor
   * who sent it: a contact becomes their capture, a message goes on the timeline (or waits for
   * its contact).
   */
  async reprocess(submissionId: string, verdict: Verdict, tx: EntityManager): Promise<() => Promise<void>> {
    const row = await this.repo.findBySubmission(tx, submissionId);
    if (!row || row.status !== 'held') throw new NotFoundException('There is no held chatbot event for this submission.');
    const sender: Actor = { type: 'anonymous', id: null, roles: [], requestId: null, ip: null };
    if (row.type === 'contact_identified') {
      const submission = await this.screening.submission(submissionId, tx);
      const event = submission?.rawBody ? readDriftEvent(JSON.parse(submission.rawBody) as Record<string, unknown>).event : null;
      if (!submission || event?.kind !== 'contact_identified') throw new ProblemException(422, 'The held Drift event can no longer be read; it stays held.');
      await this.acceptContact(tx, sender, row.id, event, submission.rawBody!, submission.receivedAt, { status: 'released', verdict });
    } else {
      await this.repo.markPending(tx, row.id);
      await this.place(tx, sender, { ...row, status: 'pending' }, { status: 'released', verdict });
    }
    return async () => undefined;
  }
}
