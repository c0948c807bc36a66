import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { ConfigurationError, type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** What the sales team is told about a new lead: enough to find it, not what the person wrote. */
export interface NewLeadNotice {
  personId: string;
  personName: string;
  company?: string | null;
  formName: string;
  request?: string | null;
  ownerEmail?: string | null;
  /** Processing is restricted (9.4): no one is told. */
  restricted?: boolean;
  /**
   * Set for an active customer's person: that customer's account managers, the only ones told
   * (6.2(8)); neither the owner, the form's address nor the sales inbox. Null for any other lead.
   */
  accountManagerEmails?: string[] | null;
}

export type NotificationOutcome = 'sent' | 'skipped' | 'failed';

/** A dead SMTP server must not hold the caller for the library's default of minutes. */

/** The longest excerpt of a request a notification carries, ellipsis included. */
export const REQUEST_EXCERPT_MAX = 200;

const LINE_BREAKS = /\r\n|[\r\n\u0085\u2028\u2029]/;
// Control characters (line breaks among them) become spaces: a value in a header stays one line.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const SINGLE_LINE_MAX = 200;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;
const SAFE_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The person's record in the staff UI. */
export function personRecordUrl(config: Pick<AppConfig, 'PUBLIC_BASE_URL' | 'PORT'>, personId: string): string {
  const base = (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
  return `${base}/persons/${encodeURIComponent(personId)}`;
}

/** At most max characters; an ellipsis says when something was left out (`cut`: more follows). */
function shorten(text: string, max: number, cut = false): string {
  const chars = Array.from(text); // by code point, so an emoji is never split in half
  if (chars.length > max || (cut && chars.length >= max)) return `${chars.slice(0, max - 1).join('').trimEnd()}…`;
  return cut ? `${text}…` : text;
}

/** One trimmed line, safe for a header. */
export function singleLine(value: string | null | undefined, max = SINGLE_LINE_MAX): string {
  return shorten((value ?? '').replace(CONTROL_CHARACTERS, ' ').replace(/\s+/g, ' ').trim(), max);
}

/**
 * The first non-blank line of a request, trimmed, at most REQUEST_EXCERPT_MAX characters, with an
 * ellipsis when anything was left out. The rest stays in the CRM: mail is copied, forwarded and
 * kept in places the firm's retention rules do not reach.
 */
export function requestExcerpt(request: string | null | undefined): string {
  const lines = (request ?? '').split(LINE_BREAKS).map((line) => singleLine(line, Number.MAX_SAFE_INTEGER));
  const first = lines.findIndex((line) => line !== '');
  if (first === -1) return '';
  const more = lines.slice(first + 1).some((line) => line !== '');
  return shorten(lines[first], REQUEST_EXCERPT_MAX, more);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The error's codes only (nodemailer's, the system's beneath it, the SMTP reply's): messages and
 * server responses can quote recipients and content.
 */
function errorCode(err: unknown): string {
  const { code, originalCode, responseCode } = (err ?? {}) as { code?: unknown; originalCode?: unknown; responseCode?: unknown };
  const token = (value: unknown) => (typeof value === 'string' && ERROR_CODE.test(value) ? value : undefined);
  const details: string[] = [];
  const cause = token(originalCode);
  if (cause && cause !== code) details.push(cause); // ESOCKET says little; ECONNREFUSED beneath it says what happened
  if (Number.isInteger(responseCode)) details.push(`SMTP ${responseCode}`);
  return `${token(code) ?? 'UNKNOWN'}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

@Injectable()
export class NotificationsService implements OnModuleDestroy {
  private readonly logger = new Logger('Notifications');
  private readonly transport: Transporter | null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.transport = config.SMTP_URL ? NotificationsService.openTransport(config.SMTP_URL, config.SMTP_TIMEOUT_MS) : null;
  }

  private static openTransport(url: string, timeoutMs: number): Transporter {
    try {
      // Not pooled: notifications are rare, and no connection is left idle between them.
      return createTransport({
        url,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        dnsTimeout: timeoutMs,
        logger: false,
      });
    } catch {
      // The library's message would quote the URL, password included.
      throw new ConfigurationError('Invalid configuration:\n  SMTP_URL: could not be used as an SMTP connection URL');
    }
  }

  /**
   * Tells the lead's owner, or the sales inbox, that a lead arrived; for an active customer's
   * person, only that customer's account managers; for a restricted person, no one. Never
   * throws: the lead is stored either way.
   */
  /** False without SMTP_URL: callers need not work out who would be told. */
  get sending(): boolean {
    return this.transport !== null;
  }

  async newLead(lead: NewLeadNotice): Promise<NotificationOutcome> {
    // The record id, never the person's details: it lets staff find whom a lost notice was about.
    const about = SAFE_ID.test(String(lead?.personId)) ? ` for person ${lead.personId}` : '';
    try {
      if (lead.restricted) {
        this.logger.log(`New-lead notification${about} skipped: processing of the person is restricted`);
        return 'skipped';
      }
      const customers = Array.isArray(lead.accountManagerEmails);
      const to = (customers ? lead.accountManagerEmails! : [lead.ownerEmail || this.config.SALES_INBOX])
        .map((address) => singleLine(address, Number.MAX_SAFE_INTEGER))
        .filter((address) => address !== '');
      if (!this.transport) {
        this.logger.log(`New-lead notification${about} skipped: SMTP_URL is not set`);
        return 'skipped';
      }
      if (to.length === 0) {
        this.logger.log(`New-lead notification${about} skipped: ${customers ? 'the person is an active customer’s, and the customer has no active account manager' : 'the lead has no owner and SALES_INBOX is not set'}`);
        return 'skipped';
      }
      await this.transport.sendMail({ from: singleLine(this.config.NOTIFY_FROM, Number.MAX_SAFE_INTEGER), to, ...this.compose(lead) });
      return 'sent';
    } catch (err) {
      this.logger.warn(`New-lead notification${about} failed: ${errorCode(err)}`);
      return 'failed';
    }
  }

  /**
   * Tells the DPO (DPO_EMAIL) that HubSpot did not take erasures or objections after bounded
   * retries: both carry a legal deadline. One notice for all given up at once (an outage may give
   * up many), each with its record id and HubSpot's message (addresses already taken out),
   * nothing of the person. Never throws.
   */
  async hubspotDeliveryFailed(failures: { kind: 'purge' | 'unsubscribe'; personId: string; error: string }[]): Promise<NotificationOutcome> {
    const what = { purge: 'erasure (GDPR delete)', unsubscribe: 'objection to direct marketing (unsubscribe from all e-mail)' };
    const about = (personId: string) => (SAFE_ID.test(String(personId)) ? personId : '(unknown)');
    const LISTED = 50;
    try {
      if (!this.transport || !this.config.DPO_EMAIL) {
        this.logger.warn(`HubSpot: ${failures.length} erasure(s) or objection(s) failed; DPO notice skipped: ${!this.transport ? 'SMTP_URL' : 'DPO_EMAIL'} is not set`);
        return 'skipped';
      }
      const text = [
        `HubSpot did not take ${failures.length === 1 ? 'this request' : `these ${failures.length} requests`} after repeated attempts.`,
        '',
        ...failures.slice(0, LISTED).flatMap((f) => [`Person: ${about(f.personId)}, ${what[f.kind]}`, `HubSpot said: ${singleLine(f.error, 500)}`, '']),
        ...(failures.length > LISTED ? [`... and ${failures.length - LISTED} more, listed at /api/hubspot/failures.`, ''] : []),
        'Each is listed at /api/hubspot/failures; re-queue them there once the cause is fixed. Each request carries a legal deadline.',
        '',
      ].join('\n');
      const subject = failures.length === 1 ? `HubSpot ${failures[0].kind === 'purge' ? 'erasure' : 'unsubscribe'} failed for person ${about(failures[0].personId)}` : `HubSpot: ${failures.length} erasures or unsubscribes failed`;
      await this.transport.sendMail({ from: singleLine(this.config.NOTIFY_FROM, Number.MAX_SAFE_INTEGER), to: this.config.DPO_EMAIL, subject, text });
      return 'sent';
    } catch (err) {
      this.logger.warn(`DPO notice of ${failures.length} HubSpot failure(s) failed: ${errorCode(err)}`);
      return 'failed';
    }
  }

  /** Tells the DPO a privacy request falls due within a week: its id, type and due date, nothing of the person. Never throws. */
  async privacyRequestDueSoon(request: { requestId: string; type: string; dueAt: Date }): Promise<NotificationOutcome> {
    const id = SAFE_ID.test(String(request.requestId)) ? request.requestId : '(unknown)';
    try {
      if (!this.transport || !this.config.DPO_EMAIL) {
        this.logger.warn(`Privacy request ${id} is due ${request.dueAt.toISOString()}; DPO reminder skipped: ${!this.transport ? 'SMTP_URL' : 'DPO_EMAIL'} is not set`);
        return 'skipped';
      }
      const due = request.dueAt.toISOString().slice(0, 10);
      const text = [
        `A ${singleLine(request.type)} request falls due on ${due}.`,
        '',
        `Request: ${id}`,
        'It is listed at /api/privacy-requests?state=due_this_week.',
        '',
      ].join('\n');
      await this.transport.sendMail({ from: singleLine(this.config.NOTIFY_FROM, Number.MAX_SAFE_INTEGER), to: this.config.DPO_EMAIL, subject: `Privacy request due ${due}: ${singleLine(request.type)}`, text });
      return 'sent';
    } catch (err) {
      this.logger.warn(`DPO reminder for request ${id} failed: ${errorCode(err)}`);
      return 'failed';
    }
  }

  /** Tells the admins which forms held most of their last day's posts for a bot trap: names and counts only. Never throws. */
  async trappedForms(to: string[], forms: { name: string; key: string; posts: number; heldForTrap: number; byReason: Record<string, number> }[]): Promise<NotificationOutcome> {
    try {
      if (!this.transport || !to.length) {
        this.logger.warn(`${forms.length} form(s) held most of their posts for a bot trap; admin report skipped: ${!this.transport ? 'SMTP_URL is not set' : 'no active admin'}`);
        return 'skipped';
      }
      const lines = forms.map((f) => `- ${singleLine(f.name)} (${singleLine(f.key)}): ${f.heldForTrap} of ${f.posts} posts held; ${Object.entries(f.byReason).map(([reason, n]) => `${singleLine(reason)} ${n}`).join(', ')}`);
      const text = [
        'These web forms held more than half of their posts in the last day for a bot trap. A site that stopped sending the render token, or a relay without its API key, looks like this.',
        '',
        ...lines,
        '',
        'The held posts are in the quarantine; each form shows its counts at GET /api/intake-forms/{id}.',
        '',
      ].join('\n');
      await this.transport.sendMail({ from: singleLine(this.config.NOTIFY_FROM, Number.MAX_SAFE_INTEGER), to, subject: `Web forms holding most posts for a bot trap: ${forms.map((f) => singleLine(f.key)).join(', ')}`.slice(0, 200), text });
      return 'sent';
    } catch (err) {
      this.logger.warn(`Admin report on trapped forms failed: ${errorCode(err)}`);
      return 'failed';
    }
  }

  private compose(lead: NewLeadNotice): { subject: string; text: string; html: string } {
    const name = singleLine(lead.personName) || '(no name)';
    const company = singleLine(lead.company);
    const form = singleLine(lead.formName) || '(unnamed form)';
    const excerpt = requestExcerpt(lead.request);
    const link = personRecordUrl(this.config, lead.personId);
    const fields: [string, string][] = [['Name', name], ['Company', company], ['Form', form], ['Request (first line only)', excerpt]];
    const shown = fields.filter(([, value]) => value !== '');
    const text = [
      `A new lead came in through the form "${form}".`,
      '',
      ...shown.map(([label, value]) => `${label}: ${value}`),
      '',
      `Open the record: ${link}`,
      '',
      'The full request and contact details are in the CRM only.',
      '',
    ].join('\n');
    const html = [
      `<p>A new lead came in through the form &quot;${escapeHtml(form)}&quot;.</p>`,
      '<table>',
      ...shown.map(([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`),
      '</table>',
      `<p><a href="${escapeHtml(link)}">Open the record</a></p>`,
      '<p>The full request and contact details are in the CRM only.</p>',
    ].join('\n');
    return { subject: `New lead from ${form}: ${name}`, text, html };
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
