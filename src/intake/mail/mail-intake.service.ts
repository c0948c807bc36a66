import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { runAsSystem } from '../../access/access-context';
import { AuditService } from '../../audit/audit.service';
import type { Actor } from '../../domain/actor';
import { normaliseEmail } from '../../domain/identity';
import { ProblemException } from '../../common/problem-details';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { LeadsService, type CaptureResult } from '../../leads/leads.service';
import { UsersService } from '../../auth/users.service';
import { NotificationsService } from '../../notifications/notifications.service';
import { tellNewOwner } from '../owner-notice';
import type { Verdict } from '../../domain/verdict';
import { ScreeningService } from '../../screening/screening.service';
import type { MailTakenView, SkippedMailView, TakenInView } from './dto/mail.dto';
import { asSent, inviteLine, rawMessageId, readMail, screeningText, senderName, UnreadableMailError, type MailReading, type SentMail } from './mail-reading';
import { MailIntakeRepository, type FileRow, type MailRow } from './mail-intake.repository';

export type MailVia = 'api' | 'imap';
type Outcome = { status: 'accepted' | 'released'; verdict: Verdict };

/** An attachment as staff download it. */
export interface MailFileContent {
  filename: string | null;
  contentType: string;
  content: Buffer;
}

/**
 * What a file staff cannot simply open is. Outlook's winmail.dat (TNEF) wraps the rich-text
 * body and the real attachments; no maintained TNEF reader is among the dependencies, so it is
 * kept as it came, and the listing says what to do with it.
 */
function fileNote(file: Pick<FileRow, 'filename' | 'contentType'>): { note?: string } {
  const tnef = /^application\/(?:vnd\.)?ms-tnef$/i.test(file.contentType) || file.filename?.toLowerCase() === 'winmail.dat';
  return tnef ? { note: 'Outlook rich-text attachment (winmail.dat): open it in Outlook, or ask the sender to resend as plain attachments' } : {};
}

/**
 * The mail channel (policy section 5): one reader for both ways in, the raw-message endpoint
 * and the inbox poller. The sender becomes the person and subject and text the request, as an
 * `email` capture with its files; a reply in a thread the firm already has goes on that
 * person's timeline instead. Auto-replies, bounces and list mail are recorded as skipped and
 * make no one. Each Message-ID is taken once.
 */
@Injectable()
export class MailIntakeService {
  constructor(
    private readonly repo: MailIntakeRepository,
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
   * One raw RFC 5322 message. Everything it becomes commits before this returns. Runs as the
   * system: a mail must find its person (or thread) whoever looks after them.
   */
  ingest(actor: Actor, raw: Buffer, via: MailVia): Promise<MailTakenView> {
    return runAsSystem(via === 'imap' ? 'mail inbox poll' : 'mail intake', () => this.take(actor, raw, via));
  }

  /** For the poller: a mail it will not take (too large to fetch), recorded so it is not looked at again. */
  skip(messageId: string, via: MailVia, reason: string): Promise<MailTakenView> {
    return runAsSystem('mail inbox poll', () => this.recordSkipped(messageId, via, reason));
  }

  private async take(actor: Actor, raw: Buffer, via: MailVia): Promise<MailTakenView> {
    let mail: SentMail;
    try {
      mail = this.asSent(await readMail(raw));
    } catch (err) {
      if (!(err instanceof UnreadableMailError)) throw err;
      if (via === 'api') throw new ProblemException(422, `${err.message} Nothing was stored.`);
      return this.recordSkipped(rawMessageId(raw), via, 'unreadable');
    }
    const first = await this.repo.findByMessageId(mail.messageId);
    if (first) return { reference: first.id, status: 'duplicate' };
    if (!mail.from.address) {
      // A caller can be told; a mail in the inbox cannot, and would only be read again next time.
      if (via === 'api') throw new ProblemException(422, 'The message has no From address this service can read, so it names no one; nothing was stored.', { errors: [{ field: 'From', message: 'must be an e-mail address' }] });
      return this.recordSkipped(mail.messageId, via, 'no_sender');
    }
    // Kept for the quarantine period, so staff can take it in by hand if it was a person after all.
    if (mail.automatic) return this.recordSkipped(mail.messageId, via, mail.automatic, { raw, fromAddress: mail.from.address, subject: mail.subject });

    const id = randomUUID();
    const text = screeningText(mail);
    // Stored as received before any rule runs (the raw message stays with the mail record, not here).
    const { receivedAt, nearCopies, bySender } = await this.screening.receive(
      { id, channel: 'email', formId: null, contentType: 'message/rfc822', rawBody: null, fields: { from: mail.from.address, name: mail.from.name, subject: mail.subject, text: mail.text }, ip: null, senderEmail: mail.from.address },
      text,
    );
    const verdict = await this.screening.judge({ sender: { email: mail.from.address, ip: null }, name: mail.from.name ?? '', text, fields: {}, channel: 'email' }, null, nearCopies, receivedAt, bySender);
    const row: MailRow = { id, messageId: mail.messageId, via, status: 'captured', submissionId: id };
    if (verdict.outcome !== 'clean') {
      // Held: the raw message waits for the reviewer's decision. Blocked: only the attempt.
      const held = verdict.outcome === 'held';
      if (!(await this.repo.claim(null, held ? { ...row, status: 'held', fromAddress: mail.from.address, subject: mail.subject, raw } : { ...row, status: 'blocked' }))) {
        return this.redelivered(id, mail.messageId, verdict);
      }
      await this.screening.setAside(id, verdict);
      return { reference: id, status: 'accepted' };
    }
    const taken = await this.repo.transaction(async (tx) => {
      if (!(await this.repo.claim(tx, row))) return null;
      return { result: await this.accept(tx, actor, id, mail, receivedAt, { status: 'accepted', verdict }) };
    });
    if (!taken) return this.redelivered(id, mail.messageId, verdict);
    if (taken.result) void tellNewOwner(this.users, this.notifications, taken.result, 'the mail inbox', [mail.subject, mail.text].filter(Boolean).join('\n'));
    return { reference: id, status: 'accepted' };
  }

  /**
   * The mail as the person sent it: from its Reply-To when From is the firm's relay or a no-reply
   * address (the relay kept in `relayedBy`); a colleague's forward as the forwarded sender's (the
   * colleague kept in `forwardedBy`).
   */
  private asSent(mail: MailReading): SentMail {
    const domains = (this.config.FIRM_MAIL_DOMAINS ?? '').split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
    return asSent(mail, domains);
  }

  /** A new request becomes a capture; an answer in a known thread, an entry on that person's timeline. */
  /** The capture made (null for a reply on a thread). */
  private async accept(tx: EntityManager, actor: Actor, id: string, mail: SentMail, receivedAt: Date, outcome: Outcome): Promise<CaptureResult | null> {
    const files = this.files(mail);
    const forwarded = mail.forwarded && { as: mail.forwarded.as, from: mail.forwarded.from.address, fromName: mail.forwarded.from.name, date: mail.forwarded.date, subject: mail.forwarded.subject, messageId: mail.forwarded.messageId };
    const facts = {
      messageId: mail.messageId, date: mail.date, from: mail.from.address, fromName: mail.from.name, replyTo: mail.replyTo?.address ?? null,
      relayedBy: mail.relayedBy, forwardedBy: mail.forwardedBy, forwarded, to: mail.to, cc: mail.cc, subject: mail.subject, invite: mail.invite,
      attachments: files.map(({ content: _content, ...file }) => ({ ...file, kept: file.skippedReason === null, ...fileNote(file) })),
    };
    // The timeline is ordered by when the firm received it: a Date header can say anything.
    const threadOwner = await this.threadOwner(tx, mail.thread, mail.from.address);
    if (threadOwner) {
      const activityId = await this.leads.addActivity(tx, actor, threadOwner, { type: 'email', body: [mail.text, inviteLine(mail.invite)].filter(Boolean).join('\n\n'), occurredAt: receivedAt, details: { ...facts, direction: 'inbound', inReplyTo: mail.thread } });
      await this.repo.insertFiles(tx, id, { activityId }, files);
      await this.repo.settleSubmission(tx, id, outcome.status, outcome.verdict);
      await this.repo.settle(tx, id, 'reply', { activityId });
      await this.audit.record(actor, { action: 'person.email_added', entityType: 'person', entityId: threadOwner, after: { activityId } }, tx);
      return null;
    }
    const result = await this.leads.capture(
      actor,
      {
        source: 'email',
        sourceRef: mail.messageId,
        receivedAt,
        contentType: 'message/rfc822',
        payload: { ...facts, text: mail.text, html: mail.html },
        person: { email: mail.from.address, ...senderName(mail) },
        request: [mail.subject, mail.request, inviteLine(mail.invite)].filter(Boolean).join('\n\n'),
        // What a mail asks is for a person to read: processed as "any other purpose" (5.3(3)) until then.
        inquiryType: 'other',
        consents: [],
        activity: { type: 'email', body: mail.text, occurredAt: receivedAt, details: { ...facts, direction: 'inbound' } },
        submission: { id, ...outcome },
      },
      tx,
    );
    await this.repo.insertFiles(tx, id, { captureId: result.captureId }, files);
    await this.repo.settle(tx, id, 'captured', { captureId: result.captureId });
    return result;
  }

  /** Every file is listed; only those within MAIL_ATTACHMENT_MAX_BYTES are kept. */
  private files(mail: SentMail): FileRow[] {
    const max = this.config.MAIL_ATTACHMENT_MAX_BYTES;
    return mail.files.map((f) => ({
      id: randomUUID(), filename: f.filename, contentType: f.contentType, size: f.size, sha256: f.sha256, inline: f.inline,
      content: f.size <= max ? f.content : null,
      skippedReason: f.size <= max ? null : 'too_large',
    }));
  }

  private async recordSkipped(messageId: string, via: MailVia, reason: string, kept: { raw: Buffer; fromAddress: string | null; subject: string | null } | null = null): Promise<MailTakenView> {
    const id = randomUUID();
    if (await this.repo.claim(null, { id, messageId, via, status: 'skipped', skipReason: reason, ...kept })) return { reference: id, status: 'skipped' };
    return { reference: (await this.repo.findByMessageId(messageId))?.id ?? id, status: 'duplicate' };
  }

  /**
   * The same Message-ID was taken by another delivery while this one was being screened: this
   * arrival is set aside as a duplicate for a person to dismiss, nothing else changes.
   */
  private async redelivered(id: string, messageId: string, verdict: Verdict): Promise<MailTakenView> {
    const first = await this.repo.findByMessageId(messageId);
    await this.screening.setAside(id, {
      ruleSetVersion: verdict.ruleSetVersion,
      outcome: verdict.outcome === 'blocked' ? 'blocked' : 'held',
      reasons: [...verdict.reasons, { code: 'duplicate_delivery', evidence: { firstDelivery: first?.id ?? null } }],
    });
    return { reference: first?.id ?? id, status: 'duplicate' };
  }

  /** Skipped mail (auto-replies, bounces, list mail, and what could not be read), newest first, with the reason. */
  skipped(limit: number): Promise<SkippedMailView[]> {
    return this.repo.skipped(limit);
  }

  /**
   * A skipped mail a person takes in by hand (an auto-reply that was a person after all): read
   * again from the kept message and taken as a capture, or a reply on its thread, keeping its
   * original time; audited. Only mail kept for it (not yet past the quarantine period) can be.
   */
  async takeSkipped(actor: Actor, id: string): Promise<TakenInView> {
    return runAsSystem('skipped mail taken in', () =>
      this.repo.transaction(async (tx) => {
        const row = await this.repo.findSkipped(tx, id);
        if (!row) throw new NotFoundException('There is no such skipped mail.');
        if (!row.raw) throw new ProblemException(409, 'Nothing of this mail was kept to take in (it was unreadable, named no sender, or its quarantine period has passed).');
        const sender: Actor = { type: 'anonymous', id: null, roles: [], requestId: null, ip: null };
        const verdict: Verdict = { ruleSetVersion: 'by hand', outcome: 'clean', reasons: [{ code: 'taken_by_hand', evidence: { skipReason: row.skipReason, by: actor.id } }] };
        await this.accept(tx, sender, row.id, this.asSent(await readMail(row.raw)), row.receivedAt, { status: 'released', verdict });
        await this.audit.record(actor, { action: 'mail.taken_by_hand', entityType: 'mail_message', entityId: row.id, after: { skipReason: row.skipReason } }, tx);
        return { reference: row.id, status: 'taken' as const };
      }),
    );
  }

  /** What skipped mail kept goes after the quarantine period. */
  purgeSkipped(olderThanDays: number): Promise<number> {
    return this.repo.purgeSkipped(olderThanDays);
  }

  /**
   * A held mail a person released, inside the decision's transaction, as the sender: read again
   * from the kept raw message and taken as if it had passed, keeping its original time.
   */
  async reprocess(submissionId: string, verdict: Verdict, tx: EntityManager): Promise<() => Promise<void>> {
    const held = await this.repo.findHeldBySubmission(tx, submissionId);
    if (!held?.raw) throw new NotFoundException('There is no held mail for this submission (a mail whose processing failed is taken again from the inbox or its sender: mark this one as spam).');
    const submission = await this.screening.submission(submissionId, tx);
    const sender: Actor = { type: 'anonymous', id: null, roles: [], requestId: null, ip: null };
    await this.accept(tx, sender, held.id, this.asSent(await readMail(held.raw)), submission?.receivedAt ?? new Date(), { status: 'released', verdict });
    return async () => undefined;
  }

  /**
   * The person whose earlier mail one of these Message-IDs is (the latest such mail), through its
   * capture or timeline entry (which follow merges), who is the sender (any of their known
   * addresses). Message-IDs travel in every quote and forward: anyone who knows one must not put
   * mail and files on someone else's record, so another sender's mail is a new arrival of theirs.
   */
  private async threadOwner(tx: EntityManager, messageIds: string[], sender: string | null): Promise<string | null> {
    const address = sender ? normaliseEmail(sender) : null;
    if (!address) return null;
    const records = await this.repo.threadRecords(tx, messageIds);
    if (!records.length) return null;
    const owners = await this.leads.ownersOf(tx, { captureIds: records.flatMap((r) => (r.captureId ? [r.captureId] : [])), activityIds: records.flatMap((r) => (r.activityId ? [r.activityId] : [])) });
    const asked = new Set<string>();
    for (const r of records) {
      const owner = owners.get((r.captureId ?? r.activityId)!);
      if (!owner || asked.has(owner)) continue;
      asked.add(owner);
      if (await this.leads.isAddressOf(tx, owner, address)) return owner;
    }
    return null;
  }

  /** A file that came with one of the person's mails, for staff; reading it is audited like opening the record. */
  async file(actor: Actor, personId: string, owner: { captureId: string } | { activityId: string }, attachmentId: string): Promise<MailFileContent> {
    const ownerId = 'captureId' in owner ? owner.captureId : owner.activityId;
    const owners = await this.repo.transaction((tx) => this.leads.ownersOf(tx, 'captureId' in owner ? { captureIds: [owner.captureId] } : { activityIds: [owner.activityId] }));
    const file = owners.get(ownerId) === personId ? await this.repo.file(owner, attachmentId) : null;
    if (!file) throw new NotFoundException('There is no such attachment.');
    if (!file.content) throw new ProblemException(404, `This file (${file.size} bytes) was larger than MAIL_ATTACHMENT_MAX_BYTES and was not kept; it is only in the mailbox.`);
    await this.audit.record(actor, { action: 'person.attachment_read', entityType: 'person', entityId: personId, after: { attachmentId } });
    return { filename: file.filename, contentType: file.contentType, content: file.content };
  }
}
