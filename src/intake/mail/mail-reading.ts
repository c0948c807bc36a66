import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { createHash } from 'node:crypto';
import { normaliseEmail, splitName } from '../../domain/identity';
import { countLinks, withoutLinks } from '../../screening/text';
import { storableValue } from '../../common/outside-text';

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
  /** The first Reply-To address, when the mail has one. */
  replyTo: { address: string | null; name: string | null } | null;
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

/** The list headers of RFC 2369 and 2919 (and RFC 8058's one-click unsubscribe). */
const LIST_HEADERS = ['list-id', 'list-unsubscribe', 'list-unsubscribe-post', 'list-subscribe', 'list-post', 'list-help', 'list-owner', 'list-archive'];

/**
 * Mail that is nobody's request: auto-replies and autoresponders (RFC 3834 Auto-Submitted,
 * X-Autoreply), bounces and receipts (multipart/report, the mailer daemon or postmaster as
 * sender) and list or bulk mail (List-Id, List-Unsubscribe and the other list headers,
 * Precedence). The most telling reason is reported.
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
  // A newsletter or list post names its list, or how to leave it.
  if (LIST_HEADERS.some(has)) return 'mailing_list';
  if (/^(bulk|junk|list)$/.test(header('precedence') ?? '')) return 'bulk';
  return null;
}

/** The Message-ID of a mail that has none (or cannot be read): made from its content, so a second delivery is the same mail. */
export const rawMessageId = (raw: Buffer) => `<sha256-${createHash('sha256').update(raw).digest('hex')}@no-message-id>`;

/** A message mailparser refuses: more parts, or parts nested deeper, than it reads (its EMAXLEN). */
export class UnreadableMailError extends Error {}

/**
 * Reads a raw RFC 5322 message. A message without headers simply has no sender; one with more
 * parts than mailparser reads is an UnreadableMailError. Every text read from it is storable
 * (a NUL or lone surrogate, e.g. quoted-printable `=00` or an encoded-word, becomes U+FFFD).
 */
export async function readMail(raw: Buffer): Promise<MailReading> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  } catch (err) {
    if ((err as { code?: string }).code === 'EMAXLEN') throw new UnreadableMailError('The message has more parts, or parts nested deeper, than this service reads.');
    throw err;
  }
  return storableValue(reading(parsed, raw)) as MailReading;
}

function reading(parsed: ParsedMail, raw: Buffer): MailReading {
  const sender = [parsed.from ?? []].flat().flatMap((a) => a.value)[0];
  const replyTo = [parsed.replyTo ?? []].flat().flatMap((a) => a.value)[0];
  const fromAddress = sender?.address ? normaliseEmail(sender.address) : null;
  return {
    messageId: ids(parsed.messageId)[0] ?? rawMessageId(raw),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    from: { address: fromAddress, name: sender?.name?.trim() || null },
    replyTo: replyTo?.address ? { address: normaliseEmail(replyTo.address), name: replyTo.name?.trim() || null } : null,
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

// A sign-off line ("Best regards", "Med vennlig hilsen", …) that a signature block follows.
const SIGN_OFF = /^\s*(?:(?:best|kind|warm)\s+regards|regards|best|thanks|thank you|cheers|(?:med\s+)?vennlig\s+hilsen|beste\s+hilsen|hilsen|mvh)[\s,.!]*$/i;
// How far from the end a sign-off may stand for what follows to count as the signature.
const SIGNATURE_MAX_LINES = 12;
// A business signature has a website, a profile, an address; a block with more links is no signature.
const SIGNATURE_MAX_LINKS = 3;

/**
 * The text with the links of its signature block taken out: the block after the RFC 3676 `-- `
 * line, or else after a sign-off near the end. A signature's website and profile say nothing
 * about the message, and would trip the link rule on most business mail; its words stay for
 * the other rules.
 */
export function signatureLinksRemoved(text: string): string {
  const lines = text.split('\n');
  let cut = lines.findIndex((line) => line === '-- ' || line === '--');
  if (cut === -1) {
    for (let i = lines.length - 1; i >= Math.max(0, lines.length - SIGNATURE_MAX_LINES); i--) {
      if (SIGN_OFF.test(lines[i])) {
        cut = i;
        break;
      }
    }
  }
  if (cut <= 0) return text;
  const signature = lines.slice(cut).join('\n');
  if (countLinks(signature) > SIGNATURE_MAX_LINKS) return text;
  return [...lines.slice(0, cut), withoutLinks(signature)].join('\n');
}

/**
 * The words screening reads: the subject and the new text, without the quoted earlier mail and
 * the signature's links, and with `<address>` and `<https://…>` unwrapped (plain-text mail puts links and
 * addresses in angle brackets, which the rules would take for HTML).
 */
export function screeningText(mail: MailReading): string {
  const fresh = mail.text
    .split('\n')
    .filter((line) => !/^\s*>/.test(line))
    .join('\n')
    .trimEnd()
    .replace(/<((?:mailto:)?[^<>\s@]+@[^<>\s]+|https?:\/\/[^<>\s]+|www\.[^<>\s]+)>/gi, ' $1 ');
  return [mail.subject, signatureLinksRemoved(fresh)].filter(Boolean).join('\n\n');
}

const NO_REPLY = /^(no-?reply|do-?not-?reply|noreply|mailer|wordpress|forms?)([+.-].*)?$/i;

/**
 * Who a mail is from, for the lead: its From, unless that is the firm's own relay (one of
 * `firmDomains`) or a no-reply address and it names a Reply-To: then the Reply-To. A website's
 * form mail comes From the site and is the visitor's by its Reply-To.
 */
export function senderOf(mail: MailReading, firmDomains: readonly string[]): MailReading['from'] {
  const from = mail.from.address;
  if (!from || !mail.replyTo?.address || mail.replyTo.address === from) return mail.from;
  const [local, domain] = from.split('@') as [string, string];
  return NO_REPLY.test(local) || firmDomains.includes(domain) ? mail.replyTo : mail.from;
}
