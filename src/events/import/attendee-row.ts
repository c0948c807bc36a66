import { ageFromBirthDate, normaliseEmail, normalisePhone, splitName } from '../../domain/identity';
import type { PersonFields } from '../../domain/person-fields';
import type { FileRecord } from './attendee-file';
import { countryRegion } from './country-region';
import type { ColumnPlan, ImportTarget } from './header-map';
import type { ConsentPurpose } from '../../domain/purposes';

/**
 * A consent question answered yes (English or Norwegian, as a form's checkbox export writes it):
 * a clear yes word, alone or opening the answer ("Yes, I agree", "Ja, jeg ønsker nyhetsbrev", "✓").
 */
const CONSENT_YES = /^(?:(?:yes|ja|true|x|1|✓|✔|checked|samtykker|jeg samtykker|i agree)(?![\p{L}\p{N}])|(?:y|j)$)/iu;
/** Answered no ("No", "Nei, takk", "false", "0"): nothing granted, and nothing to warn about. */
const CONSENT_NO = /^(?:(?:no|nei|false|0|unchecked)(?![\p{L}\p{N}])|n$)/iu;

/** One attendee read from a line, normalised the way every channel normalises (src/leads/identity.ts). */
export interface Attendee {
  line: number;
  person: PersonFields;
  email: string | null;
  phone: string | null;
  ticketType: string | null;
  orderRef: string | null;
  attendeeRef: string | null;
  attendeeStatus: string | null;
  /**
   * What the uploader should look at on an imported line (a phone that is no number beside a good
   * address, left off; a consent answer neither yes nor no, granting nothing), as one line of the
   * rejected/warnings CSV.
   */
  warning: Rejection | null;
  /** The same, field by field, for the capture. */
  warnings: { field: string; message: string }[];
  /** When they registered, from the file's order date (null: none readable; the import's time is used). */
  registeredAt: Date | null;
  /** Consent questions answered yes, each with the question's wording (its column's header). */
  consents: { purpose: ConsentPurpose; wording: string }[];
  /** Every non-empty cell of a recognised or kept column under its own header, as received, as JSON. */
  payloadJson: string;
}

export type RejectionReason = 'no_contact' | 'invalid_email' | 'invalid_phone' | 'under_16' | 'invalid_age' | 'invalid_birth_date' | 'too_long' | 'phone_dropped' | 'consent_unclear' | 'order_date_dropped' | 'restricted';

export interface Rejection {
  line: number;
  reason: RejectionReason;
  message: string;
  /** The row as read; null for someone under the minimum age, whose data the firm must not keep (policy 12). */
  values: Record<string, string> | null;
}

export type RowResult =
  | { kind: 'blank' }
  | { kind: 'attendee'; attendee: Attendee }
  | { kind: 'not_attending'; line: number }
  | { kind: 'rejected'; rejection: Rejection };

export interface RowContext {
  phoneRegion: string;
  minimumAge: number;
  today: Date;
}

const MAX_CELL = 5_000;

/**
 * Eventbrite's "Attendee Status" values (and Norwegian sheets' own) that mean the person is not
 * coming: a cancelled, refunded, transferred (the new holder has a line of their own), deleted,
 * declined or wait-listed ticket is not a registration. Meetup's RSVP answers "No" and "Not
 * going" too; a bare no, as the whole value only, since "no" is part of many words.
 */
const NOT_ATTENDING = /cancel|refund|transfer|not attending|not going|deleted|declined|waitlist|wait list|avbestilt|kansellert|refundert|refusjon|avmeldt|ikke deltar|deltar ikke|ikke påmeldt|avlyst|overført|slettet|venteliste|^(?:no|nei)$/i;

type Reader = (record: FileRecord, ctx: RowContext) => RowResult;

/**
 * Compiles the column plan once per file into a reader of lines: for each field, its columns
 * in rank order; for the payload, every kept column with its header. What one record is:
 * nothing (blank), an attendee, someone not attending, or a line staff must fix.
 */
export function rowReader(columns: ColumnPlan[]): Reader {
  // Only what the import knows, or what the uploader chose to keep, goes with the capture.
  const kept = columns.filter((c) => c.target !== null && c.target !== 'ignore');
  const byTarget = new Map<ImportTarget, number[]>();
  for (const c of [...kept].sort((a, b) => a.rank - b.rank)) if (c.target) byTarget.set(c.target, [...(byTarget.get(c.target) ?? []), c.index]);
  const at = (t: ImportTarget) => byTarget.get(t) ?? [];
  const headerOf = new Map(columns.map((c) => [c.index, c.header]));
  const [statusAt, ageAt, birthAt, emailAt, phoneAt, fullAt, firstAt, lastAt, positionAt, companyAt, skypeAt, linkedinAt, locationAt, cityAt, countryAt, ticketAt, orderAt, attendeeAt, orderDateAt] = (
    ['attendeeStatus', 'age', 'birthDate', 'email', 'phone', 'fullName', 'firstName', 'lastName', 'position', 'companyName', 'skypeId', 'linkedinUrl', 'location', 'city', 'country', 'ticketType', 'orderRef', 'attendeeRef', 'orderDate'] as const
  ).map(at);

  // Consent questions: the header is the wording the attendee saw.
  const consentColumns = kept.flatMap((c) => (c.target?.startsWith('consent:') ? [{ index: c.index, purpose: c.target.slice('consent:'.length) as ConsentPurpose, wording: c.header }] : []));

  return (record, ctx) => {
    const cells = record.cells;
    const value = (i: number) => cells[i]?.trim() ?? '';
    const one = (indices: number[]) => {
      for (const i of indices) {
        const v = value(i);
        if (v) return v;
      }
      return null;
    };
    const payload: Record<string, string> = {};
    let any = false;
    let tooLong: string | null = null;
    for (const c of kept) {
      const v = value(c.index);
      if (!v) continue;
      payload[c.header] = v;
      any = true;
      if (v.length > MAX_CELL) tooLong ??= c.header;
    }
    if (!any) return { kind: 'blank' };
    const { line } = record;
    const reject = (reason: RejectionReason, message: string, keep = true): RowResult => ({ kind: 'rejected', rejection: { line, reason, message, values: keep ? payload : null } });

    const status = one(statusAt);
    if (status && NOT_ATTENDING.test(status)) return { kind: 'not_attending', line };

    // Age first: a minor's line is dropped whatever else is wrong with it, and nothing of it is kept.
    const ageText = one(ageAt);
    let age: number | null = null;
    if (ageText) {
      // Norwegian Excel writes a number cell as "33,0": a zero fraction is the whole number.
      const years = Number(ageText.replace(/^(\d+)[.,]0+$/, '$1'));
      if (!Number.isInteger(years) || years < 0 || years >= 150) return reject('invalid_age', 'The age is not a whole number of years.');
      age = years;
    }
    const birthText = one(birthAt);
    if (birthText) {
      const years = ageFromBirthDate(birthText, ctx.today);
      if (years === null) return reject('invalid_birth_date', 'The birth date is not a date like 1990-04-30 or 30.04.1990.');
      age = age === null ? years : Math.min(age, years);
    }
    if (age !== null && age < ctx.minimumAge) return reject('under_16', `The attendee is under ${ctx.minimumAge}: the firm does not keep their data (nothing of this line is stored).`, false);
    if (tooLong) return reject('too_long', `The value under "${tooLong}" is longer than ${MAX_CELL} characters.`);

    const emailColumn = emailAt.find((i) => value(i));
    const email = emailColumn === undefined ? null : normaliseEmail(value(emailColumn));
    // The column, not the value: the message is shown and stored beside other lines' messages; the value is in the line's own cells.
    if (emailColumn !== undefined && !email) return reject('invalid_email', `The e-mail address under "${headerOf.get(emailColumn)}" is not valid.`);
    // A number without a country code is read as of the line's own country when a country
    // column names one (an American's "(415) 555-0132" is no Norwegian number); failing that,
    // as of the firm's default region, which was the only reading before.
    const country = one(countryAt);
    const lineRegion = countryRegion(country);
    const regions = lineRegion && lineRegion !== ctx.phoneRegion ? [lineRegion, ctx.phoneRegion] : [ctx.phoneRegion];
    let phone: string | null = null;
    let phoneGiven = false;
    for (const i of phoneAt) {
      const v = value(i);
      if (!v) continue;
      phoneGiven = true;
      for (const region of regions) if ((phone = normalisePhone(v, region))) break;
      if (phone) break;
    }
    const badPhone = `The phone number is not valid (numbers without a country code are read as ${regions.join(', then as ')})`;
    // A bad phone beside a good address costs the phone, not the attendee.
    if (phoneGiven && !phone && !email) return reject('invalid_phone', `${badPhone}.`);
    if (!email && !phone) return reject('no_contact', 'The line has neither an e-mail address nor a phone number.');
    const warnings: { field: string; reason: RejectionReason; message: string }[] = [];
    if (phoneGiven && !phone) warnings.push({ field: 'phone', reason: 'phone_dropped', message: `${badPhone}; the attendee was imported without it.` });

    const person: PersonFields = {};
    const fullName = one(fullAt);
    if (fullName) Object.assign(person, splitName(fullName));
    const first = one(firstAt);
    if (first) person.firstName = first;
    const last = one(lastAt);
    if (last) person.lastName = last;
    const position = one(positionAt);
    if (position) person.position = position;
    const company = one(companyAt);
    if (company) person.companyName = company;
    const skype = one(skypeAt);
    if (skype) person.skypeId = skype;
    const linkedin = one(linkedinAt);
    if (linkedin) person.linkedinUrl = linkedin;
    const location = one(locationAt) ?? ([one(cityAt), country].filter(Boolean).join(', ') || null);
    if (location) person.location = location;
    if (email) person.email = email;
    if (phone) person.phone = phone;
    const consents: Attendee['consents'] = [];
    for (const { index, purpose, wording } of consentColumns) {
      const answer = value(index);
      if (!answer || CONSENT_NO.test(answer)) continue;
      if (CONSENT_YES.test(answer)) consents.push({ purpose, wording });
      // Consent must be unambiguous: an answer read as neither is not consent, and the uploader is told so.
      else warnings.push({ field: `consent:${purpose}`, reason: 'consent_unclear', message: `The answer under "${wording}" is neither yes nor no; no consent was recorded from it.` });
    }
    // An order date read as none would date the registration by the import without a word: the uploader is told.
    const orderDateColumn = orderDateAt.find((i) => value(i));
    const registeredAt = orderDateColumn === undefined ? null : orderDate(value(orderDateColumn), ctx.today);
    if (orderDateColumn !== undefined && !registeredAt) {
      const header = headerOf.get(orderDateColumn);
      warnings.push({ field: 'orderDate', reason: 'order_date_dropped', message: `The date under "${header}" is not a date like 2025-08-01 10:00, 01.08.2025 10:00 or 2025/08/01 1:00:00 PM GMT+2, or is after the upload; the registration is dated by the import.` });
    }
    // One line per line of the file in the rejected/warnings CSV, naming everything to look at.
    const warning: Rejection | null = warnings.length ? { line, reason: warnings[0].reason, message: warnings.map((w) => w.message).join(' '), values: payload } : null;

    return {
      kind: 'attendee',
      attendee: { line, person, email, phone, ticketType: one(ticketAt), orderRef: one(orderAt), attendeeRef: one(attendeeAt), attendeeStatus: status, warning, warnings: warnings.map(({ field, message }) => ({ field, message })), registeredAt, consents, payloadJson: JSON.stringify(payload) },
    };
  };
}

/**
 * An order date as exports write it: `2025-08-01 10:00` (Eventbrite), ISO 8601 with or without a
 * zone, `01.08.2025 10:00` or `01.08.2025 10:00:05` (Norwegian), `8/1/2025 10:00 AM` (US),
 * `2025/08/15 1:23:45 PM GMT+2` (a Google Forms timestamp). A time without a zone is read as UTC,
 * as event dates are. Anything else, or a date after the import, is no date (null).
 */
export function orderDate(raw: string | null, today: Date): Date | null {
  if (!raw) return null;
  const text = raw.trim();
  let parts: [number, number, number, number, number, number] | null = null;
  let zoned: Date | null = null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  const nordic = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?\s+(?:kl\.?\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?$/i.exec(text);
  const forms = /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?(?:\s*(?:GMT|UTC)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?)?)?$/i.exec(text);
  /** Minutes the time is ahead of UTC (Google Forms writes its zone as "GMT+2"). */
  let offset = 0;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i.exec(text);
  if (iso) {
    if (iso[7]) zoned = new Date(text.replace(' ', 'T'));
    else parts = [+iso[1]!, +iso[2]!, +iso[3]!, +(iso[4] ?? 0), +(iso[5] ?? 0), +(iso[6] ?? 0)];
  } else if (nordic) parts = [+nordic[3]!, +nordic[2]!, +nordic[1]!, +(nordic[4] ?? 0), +(nordic[5] ?? 0), +(nordic[6] ?? 0)];
  else if (forms) {
    let hour = +(forms[4] ?? 0);
    if (forms[7]) {
      if (hour < 1 || hour > 12) return null;
      hour = (hour % 12) + (forms[7].toUpperCase() === 'PM' ? 12 : 0);
    }
    parts = [+forms[1]!, +forms[2]!, +forms[3]!, hour, +(forms[5] ?? 0), +(forms[6] ?? 0)];
    if (forms[8]) offset = (forms[8] === '-' ? -1 : 1) * (+forms[9]! * 60 + +(forms[10] ?? 0));
    if (Math.abs(offset) > 14 * 60) return null;
  } else if (us) {
    let hour = +(us[4] ?? 0);
    if (us[7]) hour = (hour % 12) + (us[7].toUpperCase() === 'PM' ? 12 : 0);
    parts = [+us[3]!, +us[1]!, +us[2]!, hour, +(us[5] ?? 0), +(us[6] ?? 0)];
  }
  let when = zoned;
  if (parts) {
    const [y, mo, d, h, mi, sec] = parts;
    when = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
    if (when.getUTCFullYear() !== y || when.getUTCMonth() !== mo - 1 || when.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return null;
    when = new Date(when.getTime() - offset * 60_000);
  }
  return when && !Number.isNaN(when.getTime()) && when <= today ? when : null;
}

/** One record read with a plan (compiles the plan each time: for tests and one-offs). */
export function readRow(record: FileRecord, columns: ColumnPlan[], ctx: RowContext): RowResult {
  return rowReader(columns)(record, ctx);
}
