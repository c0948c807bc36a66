import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { createHash } from 'node:crypto';
import { normaliseEmail, splitName } from '../../leads/identity';

/** One file that came with a mail, decoded. */
export interface MailFile {
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
  inline: boolean;
  content: Buffer;
}

/** A mail as the intake reads it: headers decoded (RFC 2047), bodies in their charset, files apart. */
export interface MailReading {
  /** As in the header, angle brackets included; made from the content's SHA-256 when the mail has none. */
  messageId: string;
  date: Date | null;
  from: { address: string | null; name: string | null };
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string | null;
  /** In-Reply-To first, then References: the Message-IDs this mail answers. */
  thread: string[];
  files: MailFile[];
  /** Why no person should come of it (an auto-reply, a bounce, list mail), or null. */
  automatic: string | null;
}

const MESSAGE_ID = /<[^<>\s]+>/g;
const ids = (value: string | string[] | undefined): string[] => [value ?? []].flat().flatMap((v) => v.match(MESSAGE_ID) ?? []);
const addresses = (value: AddressObject | AddressObject[] | undefined): string[] =>
  [value ?? []].flat().flatMap((a) => a.value.map((v) => v.address).filter((x): x is string => Boolean(x)));

/**
 * Mail that is nobody's request: auto-replies and autoresponders (RFC 3834 Auto-Submitted,
 * X-Autoreply), bounces and receipts (multipart/report, the mailer daemon or postmaster as
 * sender) and list or bulk mail (List-Id, Precedence). The most telling reason is reported.
 */
export function automaticReason(parsed: ParsedMail, fromAddress: string | null): string | null {
  const header = (name: string) => {
    const value = parsed.headers.get(name);
    return typeof value === 'string' ? value.trim().toLowerCase() : value === undefined ? null : String((value as { value?: unknown }).value ?? value).toLowerCase();
  };
  const has = (name: string) => parsed.headerLines.some((h) => h.key === name);
  const type = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value?.toLowerCase() === 'multipart/report' && /^(delivery-status|disposition-notification)$/i.test(type.params?.['report-type'] ?? '')) return 'delivery_report';
  const local = fromAddress?.split('@')[0]?.toLowerCase();
  if (local === 'mailer-daemon' || local === 'postmaster') return 'bounce';
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto_submitted';
  if (has('x-autoreply') || has('x-autorespond')) return 'auto_reply';
  if (has('list-id')) return 'mailing_list';
  if (/^(bulk|junk|list)$/.test(header('precedence') ?? '')) return 'bulk';
  return null;
}

/** Reads a raw RFC 5322 message. mailparser never throws on odd mail; a message without headers simply has no sender. */
export async function readMail(raw: Buffer): Promise<MailReading> {
  const parsed = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  const sender = [parsed.from ?? []].flat().flatMap((a) => a.value)[0];
  const fromAddress = sender?.address ? normaliseEmail(sender.address) : null;
  return {
    messageId: ids(parsed.messageId)[0] ?? `<sha256-${createHash('sha256').update(raw).digest('hex')}@no-message-id>`,
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    from: { address: fromAddress, name: sender?.name?.trim() || null },
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: (parsed.subject ?? '').trim(),
    // mailparser makes text from the HTML when a mail has only HTML.
    text: (parsed.text ?? '').replace(/\r\n/g, '\n').trim(),
    html: typeof parsed.html === 'string' ? parsed.html : null,
    thread: [...new Set([...ids(parsed.inReplyTo), ...ids(parsed.references)])],
    files: parsed.attachments.map((a) => ({
      filename: a.filename ?? null,
      contentType: a.contentType || 'application/octet-stream',
      size: a.content.length,
      sha256: createHash('sha256').update(a.content).digest('hex'),
      inline: a.related === true || a.contentDisposition === 'inline',
      content: a.content,
    })),
    automatic: automaticReason(parsed, sender?.address ?? null),
  };
}

/** The display name as first and last name (`Last, First` as Outlook writes it too), unless it is only the address again. */
export function senderName(mail: MailReading): { firstName?: string; lastName?: string | null } {
  const name = mail.from.name?.replace(/^["']|["']$/g, '').trim();
  if (!name || name.includes('@')) return {};
  const [last, first, ...rest] = name.split(',').map((part) => part.trim());
  if (first && !rest.length) return { firstName: first, lastName: last || null };
  return splitName(name);
}

/**
 * The words screening reads: the subject and the new text, without the quoted earlier mail, and
 * with `<address>` and `<https://…>` unwrapped (plain-text mail puts links and addresses in
 * angle brackets, which the rules would take for HTML).
 */
export function screeningText(mail: MailReading): string {
  const fresh = mail.text.split('\n').filter((line) => !/^\s*>/.test(line)).join('\n');
  return [mail.subject, fresh]
    .filter(Boolean)
    .join('\n\n')
    .replace(/<((?:mailto:)?[^<>\s@]+@[^<>\s]+|https?:\/\/[^<>\s]+|www\.[^<>\s]+)>/gi, ' $1 ');
}
