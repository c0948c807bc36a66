import { createHash } from 'node:crypto';
import type { FieldError } from '../../common/problem-details';
import { normaliseEmail, normalisePhone, splitName } from '../../domain/identity';
import type { PersonFields } from '../../domain/person-fields';

/**
 * Drift's webhook events, as Drift documents them (devdocs.drift.com, "Webhooks"): every event
 * is `{type, token, orgId, data}`. For `contact_identified` (a visitor typed their e-mail
 * address in the chat) `data` is a Contact (`{id, createdAt, attributes: {email, name, phone,
 * ...}}`); for `new_message`, a Message (`{id, orgId, body, author: {type: contact | user, id,
 * bot}, type: chat | private_note, conversationId, createdAt, context, attributes}`). A message
 * carries no e-mail address: its contact is known from `author.id` when the contact wrote it,
 * otherwise from the contact's own messages in the same conversation.
 */
export type DriftEvent = DriftContactIdentified | DriftNewMessage;

export interface DriftContactIdentified {
  kind: 'contact_identified';
  orgId: string;
  contactId: string;
  attributes: Record<string, unknown>;
  /** Unique per delivery of the same data: a changed contact is a new event, a redelivery is not. */
  eventKey: string;
}

export interface DriftNewMessage {
  kind: 'new_message';
  orgId: string;
  messageId: string;
  conversationId: string;
  /** `contact`, `user` (a colleague in Drift) or `bot` (Drift's bot, a user with `bot: true`). */
  author: 'contact' | 'user' | 'bot';
  /** The contact's id when the contact wrote it. */
  contactId: string | null;
  messageType: 'chat' | 'private_note';
  /** As Drift sent it (it may carry simple HTML), and as plain text. */
  body: string;
  text: string;
  sentAt: Date;
  eventKey: string;
}

export const HANDLED_EVENT_TYPES = ['contact_identified', 'new_message'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Drift ids are 64-bit integers; JSON gives them as numbers (or strings from some relays). */
const idOf = (v: unknown): string | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : typeof v === 'string' && /^\d{1,20}$/.test(v) ? v : null);
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);

/** A stable text of a JSON value (keys sorted), so the same data always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

/** Drift message bodies are simple HTML (`<p>Hi</p>`): the words, for the timeline and for screening. */
export function bodyText(body: string): string {
  return body
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li)>/gi, '\n')
    .replace(/<[^<>]*>/g, '') // not [^>]*: on a run of '<' without '>' every start would scan to the end
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;|&#x27;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .split('\n')
    .map((line) => line.trimEnd()) // not /[ \t]+\n/: quadratic on a long run of spaces
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The range a Drift message's time may fall in: Drift is younger than 2000; a day ahead allows for clock skew. */
const EARLIEST_MESSAGE_MS = Date.UTC(2000, 0, 1);
const LATEST_MESSAGE_AHEAD_MS = 24 * 3_600_000;

/**
 * The event in the body, checked: null for a type this service does not handle (acknowledged and
 * ignored) and for messages that are neither chat nor notes (Drift's edits and prompts); field
 * errors, named as Drift names them, for a handled event that is not usable.
 */
export function readDriftEvent(body: Record<string, unknown>): { event: DriftEvent | null; errors: FieldError[] } {
  const type = body.type;
  if (typeof type !== 'string' || !(HANDLED_EVENT_TYPES as readonly string[]).includes(type)) return { event: null, errors: [] };
  const errors: FieldError[] = [];
  const orgId = idOf(body.orgId);
  if (!orgId) errors.push({ field: 'orgId', message: 'must be the Drift organization id' });
  const data = body.data;
  if (!isObject(data)) return { event: null, errors: [...errors, { field: 'data', message: 'must be an object' }] };

  if (type === 'contact_identified') {
    const contactId = idOf(data.id);
    if (!contactId) errors.push({ field: 'data.id', message: 'must be the Drift contact id' });
    const attributes = data.attributes;
    if (!isObject(attributes)) errors.push({ field: 'data.attributes', message: 'must be an object' });
    else if (typeof attributes.email !== 'string' || !normaliseEmail(attributes.email)) errors.push({ field: 'data.attributes.email', message: 'must be an e-mail address' });
    if (errors.length) return { event: null, errors };
    const eventKey = `drift:${orgId}:contact:${contactId}:${createHash('sha256').update(canonical(data)).digest('hex').slice(0, 32)}`;
    return { event: { kind: 'contact_identified', orgId: orgId!, contactId: contactId!, attributes: attributes as Record<string, unknown>, eventKey }, errors };
  }

  const messageId = idOf(data.id);
  const conversationId = idOf(data.conversationId);
  const author = isObject(data.author) ? data.author : null;
  const authorId = author ? idOf(author.id) : null;
  if (!messageId) errors.push({ field: 'data.id', message: 'must be the Drift message id' });
  if (!conversationId) errors.push({ field: 'data.conversationId', message: 'must be the Drift conversation id' });
  if (!author || (author.type !== 'contact' && author.type !== 'user')) errors.push({ field: 'data.author.type', message: 'must be contact or user' });
  else if (author.type === 'contact' && !authorId) errors.push({ field: 'data.author.id', message: 'must be the Drift contact id' });
  if (data.body !== undefined && data.body !== null && typeof data.body !== 'string') errors.push({ field: 'data.body', message: 'must be text' });
  const createdAt = typeof data.createdAt === 'number' ? new Date(data.createdAt) : null;
  // A sane range, not just a valid Date: JavaScript's dates reach far past what PostgreSQL stores.
  if (createdAt && !(createdAt.getTime() >= EARLIEST_MESSAGE_MS && createdAt.getTime() <= Date.now() + LATEST_MESSAGE_AHEAD_MS)) {
    errors.push({ field: 'data.createdAt', message: 'must be a time in epoch milliseconds, from 2000 until a day from now' });
  }
  if (errors.length) return { event: null, errors };
  if (data.type !== 'chat' && data.type !== 'private_note') return { event: null, errors };
  const raw = typeof data.body === 'string' ? data.body : '';
  return {
    event: {
      kind: 'new_message',
      orgId: orgId!,
      messageId: messageId!,
      conversationId: conversationId!,
      author: author!.type === 'contact' ? 'contact' : author!.bot === true ? 'bot' : 'user',
      contactId: author!.type === 'contact' ? authorId : null,
      messageType: data.type,
      body: raw,
      text: bodyText(raw),
      sentAt: createdAt ?? new Date(),
      eventKey: `drift:${orgId}:message:${messageId}`,
    },
    errors,
  };
}

/** Drift's standard attributes and the usual custom ones for the fields the chatbot collects (policy 4.1). */
const ATTRIBUTE_NAMES = {
  firstName: ['first_name', 'firstName'],
  lastName: ['last_name', 'lastName'],
  phone: ['phone', 'phone_number', 'mobile'],
  companyName: ['company', 'company_name', 'companyName'],
  position: ['title', 'job_title', 'jobTitle', 'employment_title'],
  skypeId: ['skype', 'skype_id', 'skypeId'],
  location: ['location', 'city'],
} as const;

/**
 * The person a contact's attributes describe. A phone number that is not a real one is left out
 * (it stays in the capture's payload) rather than losing the lead over it.
 */
export function personFromContact(attributes: Record<string, unknown>, phoneRegion: string): PersonFields {
  const pick = (names: readonly string[]) => names.map((n) => text(attributes[n])).find(Boolean) ?? null;
  const person: PersonFields = { email: normaliseEmail(String(attributes.email)) };
  const name = text(attributes.name);
  if (name) Object.assign(person, splitName(name));
  for (const field of ['firstName', 'lastName', 'companyName', 'position', 'skypeId', 'location'] as const) {
    const value = pick(ATTRIBUTE_NAMES[field]);
    if (value && !person[field]) person[field] = value.slice(0, 500);
  }
  const phone = pick(ATTRIBUTE_NAMES.phone);
  if (phone) person.phone = normalisePhone(phone, phoneRegion);
  return Object.fromEntries(Object.entries(person).filter(([, v]) => v)) as PersonFields;
}
