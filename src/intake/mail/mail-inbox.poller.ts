import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { runAsSystem } from '../../access/access-context';
import type { Actor } from '../../domain/actor';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { MailIntakeService } from './mail-intake.service';
import { rawMessageId } from './mail-reading';

/** What one poll did; counts only (no addresses or subjects: this is logged). */
export interface PollReport {
  ok: boolean;
  /** Unread mail found. */
  unread: number;
  /** Taken: became a capture, a timeline entry, or was held or blocked by screening. */
  taken: number;
  /** Already taken before (by Message-ID), now marked. */
  duplicates: number;
  /** Auto-replies, bounces, list mail, mail without a sender or too large: recorded, no lead. */
  skipped: number;
  /** Could not be stored this time: left unread, taken again next poll. */
  failed: number;
  /** Why the poll stopped early (connection refused, dropped, login failed); null when it did not. */
  error: string | null;
}

/** Polls a mail may fail in before it is recorded as failed rather than taken again. */
export const MAX_ATTEMPTS = 3;

const INBOX_ACTOR: Actor = { type: 'system', id: null, roles: [], requestId: null, ip: null };

/**
 * Takes unread mail from the shared inbox (IMAP). Each poll opens its own connection, so a poll
 * after a dropped connection simply reconnects. A mail is marked \Seen only after everything it
 * became has committed; one that fails stays unread and is taken next time, and one taken but
 * not yet marked when the connection dropped is recognised by its Message-ID and only marked.
 */
@Injectable()
export class MailInboxPoller {
  private readonly logger = new Logger('MailInbox');
  private running?: Promise<PollReport>;
  /** Failed attempts per mail (size and UID) in this process; a restart only allows a few more. */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly mail: MailIntakeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get configured(): boolean {
    return Boolean(this.config.IMAP_HOST && this.config.IMAP_USER && this.config.IMAP_PASSWORD);
  }

  /** One poll; a call while one runs in this process joins it (the job queue keeps instances apart). */
  pollOnce(): Promise<PollReport> {
    this.running ??= runAsSystem('mail inbox poll', () => this.poll()).finally(() => (this.running = undefined));
    return this.running;
  }

  private async poll(): Promise<PollReport> {
    const report: PollReport = { ok: true, unread: 0, taken: 0, duplicates: 0, skipped: 0, failed: 0, error: null };
    if (!this.configured) return { ...report, ok: false, error: 'not configured (IMAP_HOST, IMAP_USER, IMAP_PASSWORD)' };
    const client = new ImapFlow({
      host: this.config.IMAP_HOST!,
      port: this.config.IMAP_PORT,
      secure: this.config.IMAP_TLS,
      auth: { user: this.config.IMAP_USER!, pass: this.config.IMAP_PASSWORD! },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 120_000,
    });
    // A dropped connection is reported here as well as by the command that was running: without a listener it would crash the process.
    client.on('error', (err: Error & { code?: string }) => this.logger.warn(`IMAP connection error ${err.code ?? err.name}`));
    try {
      await client.connect();
      const lock = await client.getMailboxLock(this.config.IMAP_MAILBOX);
      try {
        const uids = (await client.search({ seen: false }, { uid: true })) || [];
        report.unread = uids.length;
        for (const uid of [...uids].sort((a, b) => a - b)) await this.takeOne(client, uid, report);
      } finally {
        lock.release();
      }
      await client.logout();
    } catch (err) {
      report.ok = false;
      report.error = (err as { code?: string }).code ?? (err as Error).name ?? 'error';
      client.close();
    }
    if (!report.ok || report.failed) this.logger.warn(`Mail poll: ${JSON.stringify(report)}`);
    else if (report.unread) this.logger.log(`Mail poll: ${JSON.stringify(report)}`);
    return report;
  }

  /** One message: stored (or recognised), then marked. An IMAP error ends the poll; a storage error leaves only this one unread. */
  private async takeOne(client: ImapFlow, uid: number, report: PollReport): Promise<void> {
    const meta = await client.fetchOne(String(uid), { uid: true, size: true, envelope: true }, { uid: true });
    if (!meta) return this.stillConnected(client); // expunged meanwhile, unless the connection went
    let status: 'accepted' | 'duplicate' | 'skipped';
    if ((meta.size ?? 0) > this.config.MAIL_MESSAGE_MAX_BYTES) {
      // Not fetched at all; it stays in the mailbox for a person, recorded so it is not looked at again.
      const messageId = meta.envelope?.messageId || `<imap-${createHash('sha256').update(`${this.config.IMAP_MAILBOX}:${uid}:${meta.size}`).digest('hex').slice(0, 32)}@too-large>`;
      status = (await this.mail.skip(messageId, 'imap', 'too_large')).status;
    } else {
      const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      if (!message || !message.source) return this.stillConnected(client);
      try {
        status = (await this.mail.ingest(INBOX_ACTOR, message.source, 'imap')).status;
        this.failures.delete(message.source.length + ':' + uid);
      } catch (err) {
        const httpStatus = err instanceof HttpException ? err.getStatus() : undefined;
        const why = httpStatus ?? (err as { code?: string }).code ?? (err as Error).name;
        // A mail that fails every time is not taken again and again: after MAX_ATTEMPTS it is recorded
        // as failed (listed with the skipped mail for staff) and marked, and stays in the mailbox.
        const key = message.source.length + ':' + uid;
        const attempts = (this.failures.get(key) ?? 0) + 1;
        if (attempts < MAX_ATTEMPTS) {
          report.failed++;
          this.failures.set(key, attempts);
          this.logger.warn(`Mail uid ${uid} not taken (${why}, attempt ${attempts} of ${MAX_ATTEMPTS}); it stays unread for the next poll`);
          return;
        }
        this.failures.delete(key);
        this.logger.warn(`Mail uid ${uid} not taken (${why}) after ${MAX_ATTEMPTS} attempts; recorded as failed`);
        status = (await this.mail.skip(meta.envelope?.messageId || rawMessageId(message.source), 'imap', 'failed')).status;
      }
    }
    // imapflow answers false rather than throwing when the STORE fails (a dropped connection among others): stop here, nothing is lost.
    if (!(await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true }))) throw Object.assign(new Error('\\Seen was not stored'), { code: 'MARK_FAILED' });
    if (status === 'accepted') report.taken++;
    else if (status === 'duplicate') report.duplicates++;
    else report.skipped++;
  }

  /** imapflow's fetches also answer false on a lost connection: that ends the poll rather than passing over mail. */
  private stillConnected(client: ImapFlow): void {
    if (!client.usable) throw Object.assign(new Error('The IMAP connection was lost'), { code: 'CONNECTION_LOST' });
  }
}
