import { Joiner, Rewriter, Splitter } from '@zone-eu/mailsplit';
import { htmlToText } from 'html-to-text';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import addressparser from 'nodemailer/lib/addressparser';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
  /** The first message forwarded in it, attached or inline, or null. */
  forwarded: ForwardedMail | null;
  /** The meeting a calendar invite in it is for (its first event), or null. */
  invite: MeetingInvite | null;
}

/** A calendar invite's meeting, each value as the invite writes it (unescaped), or null when it has none. */
export interface MeetingInvite {
  summary: string | null;
  /** DTSTART's value as written, followed by its TZID in parentheses when it has one. */
  start: string | null;
  location: string | null;
}

/** A message forwarded in a mail, as far as the forward shows it. */
export interface ForwardedMail {
  /** `attached`: a message/rfc822 part; `inline`: below a forward header in the text. */
  as: 'attached' | 'inline';
  from: { address: string | null; name: string | null };
  /** As the forward gives it: ISO 8601 for an attached message, as written for an inline one. */
  date: string | null;
  subject: string;
  messageId: string | null;
  text: string;
  /** What the forwarder wrote above it (for an attached message, the mail's own text). */
  note: string;
}

const MESSAGE_ID = /<[^<>\s]+>/g;
const ids = (value: string | string[] | undefined): string[] => [value ?? []].flat().flatMap((v) => v.match(MESSAGE_ID) ?? []);
const addresses = (value: AddressObject | AddressObject[] | undefined): string[] =>
  [value ?? []].flat().flatMap((a) => a.value.map((v) => v.address).filter((x): x is string => Boolean(x)));

/** The list headers of RFC 2369 and 2919 (and RFC 8058's one-click unsubscribe). */
const LIST_HEADERS = ['list-id', 'list-unsubscribe', 'list-unsubscribe-post', 'list-subscribe', 'list-post', 'list-help', 'list-owner', 'list-archive'];

// How Outlook, Exchange and Gmail head an absence reply, in English, Norwegian and German.
const AUTO_REPLY_SUBJECT = /^\s*(?:out of office|automatic reply|autosvar|automatisk svar|frav\u00e6rsmelding|abwesenheitsnotiz)\b/i;

/**
 * Mail that is nobody's request: auto-replies and autoresponders (RFC 3834 Auto-Submitted,
 * X-Autoreply, Precedence: auto_reply, and Exchange's X-Auto-Response-Suppress on a mail headed
 * as an absence reply), bounces and receipts (multipart/report, the mailer daemon or postmaster
 * as sender) and list or bulk mail (List-Id, List-Unsubscribe and the other list headers,
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
  if (local === 'mailer-daemon' || local === 'mailer_daemon' || local === 'postmaster') return 'bounce';
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto_submitted';
  if (has('x-autoreply') || has('x-autorespond') || header('precedence') === 'auto_reply') return 'auto_reply';
  // The subject alone is no sign (a person may ask an "Out of office question"); with the header Exchange sets on its replies, it is.
  if (has('x-auto-response-suppress') && AUTO_REPLY_SUBJECT.test(parsed.subject ?? '')) return 'auto_reply';
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
    parsed = await parse(raw);
  } catch (err) {
    if ((err as { code?: string }).code === 'EMAXLEN') throw new UnreadableMailError('The message has more parts, or parts nested deeper, than this service reads.');
    throw err;
  }
  const mail = reading(parsed, raw);
  mail.forwarded = (await attachedMessage(parsed, mail.text)) ?? inlineForward(mail.text);
  return storableValue(mail) as MailReading;
}

/**
 * mailparser would make text of an HTML-only mail with html-to-text's defaults, which have no
 * limits: HTML nested a few thousand deep overflows its recursion (mailparser's "Failed to parse
 * HTML"), and 100,000 deep took seconds on the event loop. It skips that here; `textOf` does it
 * with limits.
 */
const PARSE_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true } as const;

/**
 * Text of a mail's HTML, as mailparser's own conversion gives it, but bounded: deeper than
 * real mail nests (Outlook's tables in tables stay well under it) is cut with an ellipsis, as
 * are more children than a node of real mail has, and the input is read up to 2 MB. HTML whose
 * open tags nest deeper than MAX_NESTING is not given to the parser at all (htmlparser2's time
 * grows with the square of the nesting: 100,000 deep took over a second): its tags are dropped
 * and the rest read as text.
 */
const HTML_TO_TEXT_LIMITS = { maxDepth: 64, maxChildNodes: 10_000, maxInputLength: 2_000_000, ellipsis: '…' };
const MAX_NESTING = 512;
const VOID_ELEMENT = /^(area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr)$/i;
// A tag, opening or closing; `[^<>]` keeps every attempt within one tag, so the scan is linear.
const TAG = /<(\/?)([a-z][a-z0-9:-]*)[^<>]*>/gi;

// Table cells keep apart as the reader sees them ("Antall   25", not "Antall25"), mail's tables being mostly forms and layout.
const HTML_TO_TEXT = { limits: HTML_TO_TEXT_LIMITS, selectors: [{ selector: 'table', format: 'dataTable' }] };

function htmlText(html: string): string {
  const input = html.length > HTML_TO_TEXT_LIMITS.maxInputLength ? html.slice(0, HTML_TO_TEXT_LIMITS.maxInputLength) : html;
  return htmlToText(nesting(input) > MAX_NESTING ? input.replace(/<[^<>]*>/g, ' ') : input, HTML_TO_TEXT);
}

/** How deep open tags nest, counted in one pass (an unclosed `<p>` counts too: an overestimate, never an under-). */
function nesting(html: string): number {
  let depth = 0;
  let deepest = 0;
  TAG.lastIndex = 0;
  for (const m of html.matchAll(TAG)) {
    if (m[1]) depth = Math.max(0, depth - 1);
    else if (!VOID_ELEMENT.test(m[2]) && !m[0].endsWith('/>')) deepest = Math.max(deepest, ++depth);
    if (deepest > MAX_NESTING) break;
  }
  return deepest;
}

/** The mail's text: its text parts, or when it has none, its HTML made text. */
function textOf(parsed: ParsedMail): string {
  const text = (parsed.text ?? '').replace(/\r\n/g, '\n').trim();
  if (text || typeof parsed.html !== 'string') return text;
  return htmlText(parsed.html).trim();
}

/**
 * mailparser reads a text part that names no charset as UTF-8, and bytes that are not UTF-8
 * become U+FFFD. Such a mail is read again with those parts labelled windows-1252 (what a
 * Latin-1 mail client sends; a superset of ISO-8859-1; mailparser decodes it with iconv-lite), so screening and the lead both get the
 * letters. Only a mail whose text came out with U+FFFD pays for the second reading.
 */
async function parse(raw: Buffer): Promise<ParsedMail> {
  const parsed = await simpleParser(raw, PARSE_OPTIONS);
  if (!parsed.text?.includes('\ufffd') && !(typeof parsed.html === 'string' && parsed.html.includes('\ufffd'))) return parsed;
  // The first reading stands if the second cannot be made.
  const relabelled = await undeclaredCharsetsNamed(raw).catch(() => null);
  return relabelled ? simpleParser(relabelled, PARSE_OPTIONS) : parsed;
}

const isUtf8 = (bytes: Buffer) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The message with every text part that names no charset and is not UTF-8 labelled windows-1252; null when there is none. */
async function undeclaredCharsetsNamed(raw: Buffer): Promise<Buffer | null> {
  let relabelled = false;
  const rewriter = new Rewriter((node) => /^text\/(plain|html)$/i.test(node.contentType || 'text/plain') && !node.charset);
  rewriter.on('node', ({ node, decoder, encoder }) => {
    const chunks: Buffer[] = [];
    decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    decoder.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!isUtf8(body)) {
        node.setCharset('windows-1252');
        relabelled = true;
      }
      encoder.end(body);
    });
  });
  const out: Buffer[] = [];
  await pipeline(Readable.from([raw]), new Splitter(), rewriter, new Joiner(), async (joined: AsyncIterable<Buffer>) => {
    for await (const chunk of joined) out.push(chunk);
  });
  return relabelled ? Buffer.concat(out) : null;
}

/** The display name and address of the first mailbox in an address header's value. */
const firstMailbox = (value: { address?: string; name?: string } | undefined): ForwardedMail['from'] => ({
  address: value?.address ? normaliseEmail(value.address) : null,
  name: value?.name?.trim() || null,
});

/**
 * The first message/rfc822 part, read as a mail of its own. Only that one, and not what it
 * forwards in turn: the outer message's size limit bounds it. One that cannot be read is
 * only a file, as before.
 */
async function attachedMessage(parsed: ParsedMail, note: string): Promise<ForwardedMail | null> {
  const part = parsed.attachments.find((a) => a.contentType.toLowerCase() === 'message/rfc822');
  if (!part) return null;
  let inner: ParsedMail;
  try {
    inner = await parse(part.content);
  } catch {
    return null;
  }
  return {
    as: 'attached',
    from: firstMailbox([inner.from ?? []].flat().flatMap((a) => a.value)[0]),
    date: inner.date && !Number.isNaN(inner.date.getTime()) ? inner.date.toISOString() : null,
    subject: (inner.subject ?? '').trim(),
    messageId: ids(inner.messageId)[0] ?? null,
    text: textOf(inner),
    note,
  };
}

// The line a mail client writes above a forwarded or quoted message: Gmail's, Outlook's, Apple Mail's, in English, Norwegian and German.
const FORWARD_MARKER =
  /^\s*(?:-{2,}\s*(?:forwarded message|original message|videresendt melding|opprinnelig melding|weitergeleitete nachricht|urspr\u00fcngliche nachricht)\s*-{2,}|begin forwarded message:|_{10,})\s*$/i;
// A header line of a forward, Outlook's bold `*From:*` too: the English, Norwegian and German names.
const FORWARD_HEADER = /^\s*\*?(from|fra|von|sent|sendt|gesendet|date|dato|datum|to|til|an|cc|kopi|subject|emne|betreff)\*?:\*?[ \t]*(.*)$/i;
const FORWARD_FIELD: Record<string, 'from' | 'date' | 'subject' | 'to'> = {
  from: 'from', fra: 'from', von: 'from',
  sent: 'date', sendt: 'date', gesendet: 'date', date: 'date', dato: 'date', datum: 'date',
  subject: 'subject', emne: 'subject', betreff: 'subject',
  to: 'to', til: 'to', an: 'to', cc: 'to', kopi: 'to',
};
// A forward's header block is a handful of lines; more is a letter that happens to start with "To:".
const FORWARD_HEADER_MAX_LINES = 12;

/**
 * The first message forwarded inline: below a forward marker, or an Outlook header block
 * (`From:` then `Sent:`, `Fra:` then `Sendt:`) without one. Null when no header block naming
 * who wrote it follows. Lines quoted with `>` are someone's reply, not a forward.
 */
function inlineForward(text: string): ForwardedMail | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let start: number;
    if (FORWARD_MARKER.test(lines[i])) start = i + 1;
    else if (FORWARD_FIELD[FORWARD_HEADER.exec(lines[i])?.[1].toLowerCase() ?? ''] === 'from' && /^\s*\*?(sent|sendt|gesendet)\*?:/i.test(lines[i + 1] ?? '')) start = i;
    else continue;
    while (start < lines.length && !lines[start].trim()) start++;
    const fields: Partial<Record<'from' | 'date' | 'subject' | 'to', string>> = {};
    let end = start;
    for (; end < lines.length && end - start < FORWARD_HEADER_MAX_LINES; end++) {
      const header = FORWARD_HEADER.exec(lines[end]);
      if (!header) break;
      fields[FORWARD_FIELD[header[1].toLowerCase()]] ??= header[2].trim();
    }
    if (!fields.from) continue;
    return {
      as: 'inline',
      from: forwardedFrom(fields.from),
      date: fields.date || null,
      subject: fields.subject ?? '',
      messageId: null,
      text: lines.slice(end).join('\n').trim(),
      note: lines.slice(0, i).join('\n').trim(),
    };
  }
  return null;
}

/** `Name <address>`, `Name [mailto:address]` (Outlook), `"Last, First" <address>` or a bare address. */
function forwardedFrom(value: string): ForwardedMail['from'] {
  const mailbox = addressparser(value.replace(/\[mailto:([^\]\s]+)\]/i, '<$1>'), { flatten: true })[0];
  const found = firstMailbox(mailbox);
  // Outlook writes only the name when the address is in the reader's contacts.
  return found.address ? found : { address: null, name: value.replace(/[<>"]/g, '').trim() || null };
}

function reading(parsed: ParsedMail, raw: Buffer): MailReading {
  const sender = [parsed.from ?? []].flat().flatMap((a) => a.value)[0];
  const replyTo = [parsed.replyTo ?? []].flat().flatMap((a) => a.value)[0];
  const from = firstMailbox(sender);
  return {
    messageId: ids(parsed.messageId)[0] ?? rawMessageId(raw),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    from,
    replyTo: replyTo?.address ? firstMailbox(replyTo) : null,
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: (parsed.subject ?? '').trim(),
    text: textOf(parsed),
    html: typeof parsed.html === 'string' ? parsed.html : null,
    thread: [...new Set([...ids(parsed.inReplyTo), ...ids(parsed.references)])],
    files: calendarNamed(
      parsed.attachments.map((a) => ({
        filename: a.filename ?? null,
        contentType: a.contentType || 'application/octet-stream',
        size: a.content.length,
        sha256: createHash('sha256').update(a.content).digest('hex'),
        inline: a.related === true || a.contentDisposition === 'inline',
        content: a.content,
      })),
    ),
    automatic: automaticReason(parsed, sender?.address ?? null),
    forwarded: null,
    invite: meetingInvite(parsed.attachments.find((a) => isCalendar(a.contentType, a.filename))?.content ?? null),
  };
}

const isCalendar = (contentType: string | undefined, filename: string | null | undefined) =>
  /^(?:text\/calendar|application\/ics)$/i.test(contentType ?? '') || (filename ?? '').toLowerCase().endsWith('.ics');

/**
 * An invite's text/calendar alternative part has no name (it downloaded as "attachment"), and
 * Google sends the same calendar again as invite.ics: a nameless one that is a copy of another
 * file is left out, one that is not is named invite.ics.
 */
function calendarNamed(files: MailFile[]): MailFile[] {
  return files.flatMap((f, i) => {
    if (f.filename || !/^text\/calendar$/i.test(f.contentType)) return [f];
    // A copy of a named file, or of an earlier one: two nameless copies keep one.
    const copy = files.some((other, j) => j !== i && other.sha256 === f.sha256 && (other.filename || j < i));
    return copy ? [] : [{ ...f, filename: 'invite.ics' }];
  });
}

// An invite's few lines are near its start; more is not read (a calendar file can hold a year of events).
const CALENDAR_READ_MAX = 256 * 1024;
const INVITE_VALUE_MAX = 200;

/**
 * SUMMARY, DTSTART (with its TZID) and LOCATION of the first VEVENT of an iCalendar (RFC 5545),
 * read line by line with folded lines unfolded; an alarm's or time zone's own lines are not the
 * meeting's. No iCalendar library: these three properties are all the request shows. Null when
 * there is no event.
 */
export function meetingInvite(content: Buffer | null): MeetingInvite | null {
  if (!content) return null;
  const text = content.subarray(0, CALENDAR_READ_MAX).toString('utf8');
  const lines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    // A line starting with a space or tab continues the one before (RFC 5545 3.1).
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length) lines[lines.length - 1] += line.slice(1);
    else lines.push(line);
  }
  const invite: MeetingInvite = { summary: null, start: null, location: null };
  let inEvent = false;
  let nested = 0;
  for (const line of lines) {
    const property = contentLine(line);
    if (!property) continue;
    const value = property.value.trim();
    if (property.name === 'BEGIN') {
      if (inEvent) nested++;
      else inEvent = value.toUpperCase() === 'VEVENT';
    } else if (property.name === 'END' && inEvent) {
      if (nested) nested--;
      else return invite.summary || invite.start || invite.location ? invite : null;
    } else if (inEvent && !nested) {
      const unescaped = value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? ' ' : c)).slice(0, INVITE_VALUE_MAX) || null;
      if (property.name === 'SUMMARY') invite.summary ??= unescaped;
      else if (property.name === 'LOCATION') invite.location ??= unescaped;
      else if (property.name === 'DTSTART') invite.start ??= property.tzid ? `${unescaped} (${property.tzid.slice(0, INVITE_VALUE_MAX)})` : unescaped;
    }
  }
  return null;
}

/** One content line, `NAME;PARAM=…;PARAM="…:…":value`, read in one pass (a quoted parameter may hold a colon). */
function contentLine(line: string): { name: string; tzid: string | null; value: string } | null {
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon <= 0) return null;
  const [name, ...params] = line.slice(0, colon).split(';');
  const tzid = params.find((p) => p.toUpperCase().startsWith('TZID='))?.slice(5).replace(/^"|"$/g, '') || null;
  return { name: name.trim().toUpperCase(), tzid, value: line.slice(colon + 1) };
}

/** The short line an invite adds to the request: "Meeting invite: <summary>, <start>, <location>". */
export const inviteLine = (invite: MeetingInvite | null): string | null =>
  invite && `Meeting invite: ${[invite.summary, invite.start, invite.location].filter(Boolean).join(', ')}`;

// The legal-form endings that make a name after a comma a company ("Kari Lunde, Nordlys AS"), not Outlook's "Last, First".
const COMPANY_SUFFIX = /(?:^|[\s.])(?:as|asa|ltd|inc|gmbh|ab|llc|plc|oy|a\/s|aps)\.?$/i;
// Separators mail clients' users put between their name and their company: spaced, so "Anne-Marie" and "Smith-Jones" stay whole.
const COMPANY_SEPARATORS = [' | ', ' - ', ' \u2013 ', ' \u2014 '];
const COMPANY_MAX = 200;

/**
 * A display name with its company split off: a trailing "(Company)", "Name | Company",
 * "Name - Company" or "Name, Company AS" (a legal form after the comma). Done with indexOf, not
 * regexes, so any header is read in linear time. What is left of the name is never empty.
 */
export function nameAndCompany(display: string): { name: string; company: string | null } {
  let name = display.trim();
  const split = (at: number, skip: number, end: number) => {
    const person = name.slice(0, at).trim();
    const company = name.slice(at + skip, end).trim();
    return at > 0 && person && company && company.length <= COMPANY_MAX ? { name: person, company } : null;
  };
  let inParentheses: string | null = null;
  if (name.endsWith(')')) {
    const found = split(name.lastIndexOf('('), 1, name.length - 1);
    if (found) ({ name, company: inParentheses } = found);
  }
  for (const separator of COMPANY_SEPARATORS) {
    const found = split(name.indexOf(separator), separator.length, name.length);
    if (found) return found;
  }
  const comma = name.lastIndexOf(',');
  const afterComma = comma > 0 && COMPANY_SUFFIX.test(name.slice(comma + 1).trim()) ? split(comma, 1, name.length) : null;
  return afterComma ?? { name, company: inParentheses };
}

/**
 * The display name as first and last name (`Last, First` as Outlook writes it too), unless it is
 * only the address again; a company in it ("Kari Lunde (Nordlys AS)") is the company, not part of
 * the last name (a returning person's company is only filled in when they have none).
 */
export function senderName(mail: MailReading): { firstName?: string; lastName?: string | null; companyName?: string } {
  const display = mail.from.name?.replace(/^["']|["']$/g, '').trim();
  if (!display || display.includes('@')) return {};
  const { name, company } = nameAndCompany(display);
  const companyName = company ? { companyName: company } : {};
  const [last, first, ...rest] = name.split(',').map((part) => part.trim());
  if (first && !rest.length) return { firstName: first, lastName: last || null, ...companyName };
  return { ...splitName(name), ...companyName };
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
function senderOf(mail: MailReading, firmDomains: readonly string[]): MailReading['from'] {
  const from = mail.from.address;
  if (!from || !mail.replyTo?.address || mail.replyTo.address === from) return mail.from;
  const [local, domain] = from.split('@') as [string, string];
  return NO_REPLY.test(local) || firmDomains.includes(domain) ? mail.replyTo : mail.from;
}

// A form mail's name line: Contact Form 7's default `From: Name <address>`, or a `Navn:`/`Name:` field.
const FORM_NAME_LINE = /^[ \t]*(?:fra|from|navn|name)[ \t]*:[ \t]*(.+)$/im;
const FORM_NAME_MAX = 100;

/**
 * The visitor's name as a website's form mail gives it in its text, for a Reply-To without one:
 * the first name line, unless it names another address or is none (an address, a link, a long line).
 */
function nameInForm(text: string, address: string | null): string | null {
  const value = FORM_NAME_LINE.exec(text)?.[1].trim();
  if (!value) return null;
  const [mailbox] = addressparser(value, { flatten: true });
  if (mailbox?.address && normaliseEmail(mailbox.address) !== address) return null;
  const name = (mailbox?.address ? mailbox.name : value)?.replace(/^["']|["']$/g, '').trim();
  return name && name.length <= FORM_NAME_MAX && !/[@<>\/]/.test(name) ? name : null;
}

// A reply's subject (English, Norwegian/Danish/Swedish, German, Dutch), as against a forward's.
const REPLY_PREFIX = /^\s*(?:re|sv|aw|antw)\s*:/i;
// Gmail's, Apple Mail's and Thunderbird's line above a quote: "On …, … wrote:", or naming the address, "… skrev Ola <ola@…>:", "Am … schrieb …:".
const saysWrote = (line: string) => {
  const l = line.trim().toLowerCase();
  return (l.startsWith('on ') && l.endsWith(' wrote:')) || ((l.includes(' skrev ') || l.includes(' schrieb ')) && l.endsWith('>:') && l.includes('@'));
};
// Outlook's line above the earlier mail in a reply (a forward's "Forwarded message" is no reply: that stays).
const ORIGINAL_MARKER = /^\s*(?:-{2,}\s*(?:original message|opprinnelig melding|urspr\u00fcngliche nachricht)\s*-{2,}|_{10,})\s*$/i;
const OUTLOOK_FROM = /^\s*\*?(?:from|fra|von)\*?:/i;
const OUTLOOK_SENT = /^\s*\*?(?:sent|sendt|gesendet|date|dato|datum)\*?:/i;
const QUOTED = /^\s*>/;

/** The attribution at line i, one line or two (Gmail wraps a long one), when a `>` quote follows it: how many lines it takes, or 0. */
function attributionAt(lines: string[], i: number): number {
  const span = saysWrote(lines[i]) ? 1 : lines[i].trim() && i + 1 < lines.length && saysWrote(`${lines[i]} ${lines[i + 1]}`) ? 2 : 0;
  if (!span) return 0;
  let next = i + span;
  while (next < lines.length && !lines[next].trim()) next++;
  return next < lines.length && QUOTED.test(lines[next]) ? span : 0;
}

/**
 * What a person newly wrote in a reply: their text without the earlier mail quoted below it.
 * From Gmail's "On … wrote:" line on, that line and the `>` quotes are dropped (what they wrote
 * between quotes, answering inline, stays); in a reply (RE:, SV:, AW:), Outlook's earlier mail
 * from its "From: … Sent: …" block (or its "Original Message" line) is dropped to the end. A
 * forward is left whole (the forward logic reads it), and so is a reply with nothing new above
 * the quote. One pass over the lines.
 */
export function newText(text: string, subject: string): string {
  if (FORWARD_PREFIX.test(subject)) return text;
  const lines = text.split('\n');
  const reply = REPLY_PREFIX.test(subject);
  const kept: string[] = [];
  let quoting = false;
  for (let i = 0; i < lines.length; i++) {
    if (reply && ((OUTLOOK_FROM.test(lines[i]) && OUTLOOK_SENT.test(lines[i + 1] ?? '')) || (ORIGINAL_MARKER.test(lines[i]) && OUTLOOK_FROM.test(lines[i + 1] ?? '')))) break;
    const span = attributionAt(lines, i);
    if (span) {
      quoting = true;
      i += span - 1;
    } else if (!(quoting && QUOTED.test(lines[i]))) kept.push(lines[i]);
  }
  const fresh = kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return fresh || text;
}

/** A mail as the intake takes it: whose request it is, and its text. */
export type SentMail = MailReading & {
  /** The firm's relay or no-reply address it came From, when the person is its Reply-To. */
  relayedBy: string | null;
  /** The colleague who forwarded the person's message, when the person is the forwarded message's sender. */
  forwardedBy: string | null;
  /** The text for the request: as `text`, without the earlier mail a reply quotes (see newText); `text` keeps it all. */
  request: string;
};

const domainOf = (address: string | null) => address?.split('@')[1] ?? null;
const FORWARD_PREFIX = /^(?:\s*(?:fwd?|vs|wg|tr|videresend)\s*:)+\s*/i;

/**
 * Whose request a mail is (see senderOf for the relay). A colleague at a firm domain who
 * forwards someone's message is passing on that person's request: the lead is the forwarded
 * message's sender, its text the request, the colleague's note kept below it. Anyone else who
 * forwards a message is the one writing to the firm and stays the lead; an attached message's
 * text joins theirs, so it is read and screened (an inline one is in their text already).
 */
export function asSent(mail: MailReading, firmDomains: readonly string[]): SentMail {
  const sender = senderOf(mail, firmDomains);
  const request = newText(mail.text, mail.subject);
  if (sender !== mail.from) return { ...mail, from: sender.name ? sender : { ...sender, name: nameInForm(mail.text, sender.address) }, relayedBy: mail.from.address, forwardedBy: null, request };
  const forwarded = mail.forwarded;
  const asWritten: SentMail = { ...mail, relayedBy: null, forwardedBy: null, request };
  if (!forwarded) return asWritten;
  const atFirm = (address: string | null) => firmDomains.includes(domainOf(address) ?? '');
  if (atFirm(mail.from.address) && forwarded.from.address && !atFirm(forwarded.from.address)) {
    const note = forwarded.note ? `Forwarded by ${mail.from.address}, who wrote:\n${forwarded.note}` : `Forwarded by ${mail.from.address}.`;
    const subject = forwarded.subject || mail.subject.replace(FORWARD_PREFIX, '');
    return {
      ...asWritten,
      from: forwarded.from,
      subject,
      text: [forwarded.text, note].filter(Boolean).join('\n\n'),
      request: [newText(forwarded.text, subject), note].filter(Boolean).join('\n\n'),
      // The outer mail's In-Reply-To and References are the colleague's conversation, not the person's.
      thread: [],
      forwardedBy: mail.from.address,
    };
  }
  if (forwarded.as !== 'attached' || !forwarded.text) return asWritten;
  const who = [forwarded.from.name, forwarded.from.address && `<${forwarded.from.address}>`].filter(Boolean).join(' ');
  const heading = ['Attached message' + (who ? ` from ${who}` : '') + ':', forwarded.subject && `Subject: ${forwarded.subject}`].filter(Boolean).join('\n');
  const attached = `${heading}\n\n${forwarded.text}`;
  return { ...asWritten, text: [mail.text, attached].filter(Boolean).join('\n\n'), request: [asWritten.request, attached].filter(Boolean).join('\n\n') };
}
