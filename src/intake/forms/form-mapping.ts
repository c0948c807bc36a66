import type { FieldError } from '../../common/problem-details';
import { NOT_IN_ADDRESS, normaliseEmail, normalisePhone, splitName } from '../../domain/identity';
import { ageOn, parseBirthDate, parseStatedAge } from '../../domain/stated-age';
import type { PersonFields } from '../../domain/person-fields';
import { CONSENT_PURPOSES, INQUIRY_TYPES, type ConsentPurpose, type InquiryType } from '../../domain/purposes';
import { FORM_TARGETS, type IntakeForm } from './entities/intake-form.entity';

/** A submission's fields as received: each a string, or several for repeated fields. */
export type SubmittedFields = Record<string, string | string[]>;

export interface MappedSubmission {
  person: PersonFields;
  request: string | null;
  inquiryType: InquiryType;
  consents: ConsentPurpose[];
  /** The age the person stated or implied, and the form field it came from. */
  age: { years: number; field: string } | null;
  /** Optional values that could not be read: kept in the payload, left off the person, shown on the record. */
  warnings: FieldError[];
  /** Each consent given, with the exact words the site showed beside its checkbox. */
  consentWording: Partial<Record<ConsentPurpose, string>>;
}

const MAX_VALUE = 20_000;
/** A checkbox group has a few options; more values than this in one field is no visitor's post. */
const MAX_VALUES = 100;

/**
 * Consent must be unambiguous (Art. 7(1)): only a recognised yes grants it. A value that starts
 * with yes/ja as a word is a checkbox's label sent as its value (Contact Form 7 does that).
 */
const TICKED = new Set(['1', 'on', 'yes', 'ja', 'true', 'x', '✓', '✔', '☑']);
const UNTICKED = new Set(['', '0', 'off', 'no', 'nei', 'false']);
type Tick = 'yes' | 'no' | 'unknown';
function readTick(raw: string): Tick {
  const v = raw.normalize('NFKC').trim().toLowerCase();
  if (TICKED.has(v) || /^(yes|ja)(?![\p{L}\p{N}])/u.test(v)) return 'yes';
  if (UNTICKED.has(v) || /^(no|nei)(?![\p{L}\p{N}])/u.test(v)) return 'no';
  return 'unknown';
}

/** What is wrong with a form's configuration, by field, before it is saved. */
export function mappingErrors(form: Pick<IntakeForm, 'fieldMapping' | 'inquiryTypeValues' | 'consentFields' | 'consentTexts'>): FieldError[] {
  const errors: FieldError[] = [];
  const targets = Object.values(form.fieldMapping);
  for (const [field, target] of Object.entries(form.fieldMapping)) {
    if (!(FORM_TARGETS as readonly string[]).includes(target)) errors.push({ field: `fieldMapping.${field}`, message: `must be one of: ${FORM_TARGETS.join(', ')}` });
  }
  if (!targets.includes('email') && !targets.includes('phone')) errors.push({ field: 'fieldMapping', message: 'must map a field to email or phone' });
  if (!targets.some((t) => t === 'name' || t === 'firstName' || t === 'lastName')) errors.push({ field: 'fieldMapping', message: 'must map a field to name (or firstName/lastName)' });
  const dupes = targets.filter((t, i) => targets.indexOf(t) !== i);
  if (dupes.length) errors.push({ field: 'fieldMapping', message: `maps more than one field to: ${[...new Set(dupes)].join(', ')}` });
  for (const [value, type] of Object.entries(form.inquiryTypeValues)) {
    if (!(INQUIRY_TYPES as readonly string[]).includes(type)) errors.push({ field: `inquiryTypeValues.${value}`, message: `must be one of: ${INQUIRY_TYPES.join(', ')}` });
  }
  for (const [field, purpose] of Object.entries(form.consentFields)) {
    if (!(CONSENT_PURPOSES as readonly string[]).includes(purpose)) errors.push({ field: `consentFields.${field}`, message: `must be one of: ${CONSENT_PURPOSES.join(', ')}` });
    if (form.fieldMapping[field]) errors.push({ field: `consentFields.${field}`, message: 'is also in fieldMapping' });
    const text = form.consentTexts?.[field];
    if (typeof text !== 'string' || !text.trim() || text.length > 2000) errors.push({ field: `consentTexts.${field}`, message: 'give the exact text the site shows beside this checkbox (up to 2000 characters)' });
  }
  return errors;
}

/**
 * A submission's fields onto a person, with what is wrong named in the form's own field names
 * (so the website can show each error beside its field). Refused (`errors`): no way to reach the
 * person (no readable e-mail address and no phone number), a value too long to keep, a list for a
 * one-value field, control characters in the e-mail address, an age or birth date that cannot be read.
 * A bad optional value (a phone that is no number beside a good address, no name, a consent box
 * with an odd value) is kept as given in the payload, left off the person, and named in
 * `mapped.warnings` for the record. A stated age under 16 is the caller's to refuse (`age`).
 */
export function mapSubmission(form: IntakeForm, fields: SubmittedFields, phoneRegion: string, today: Date): { mapped: MappedSubmission; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const fieldFor = Object.fromEntries(Object.entries(form.fieldMapping).map(([field, target]) => [target, field])) as Partial<Record<string, string>>;

  // The limit is on what a field holds, a list's values together: a list is no way around it.
  for (const [field, raw] of Object.entries(fields)) {
    const values = Array.isArray(raw) ? raw : [raw];
    if (values.length > MAX_VALUES) errors.push({ field, message: `must have at most ${MAX_VALUES} values` });
    else if (values.reduce((n, v) => n + v.length, 0) > MAX_VALUE) errors.push({ field, message: `must be at most ${MAX_VALUE} characters` });
  }

  // A mapped field is one value: a list of one (a select a relay forwards as an array) is that
  // value; a longer list is refused, since taking one of its values would drop the others unseen.
  const single = new Map<string, string>();
  for (const [field, target] of Object.entries(form.fieldMapping)) {
    const raw = fields[field];
    if (raw === undefined || errors.some((e) => e.field === field)) continue;
    if (Array.isArray(raw) && raw.length > 1) {
      errors.push({ field, message: 'must be a single value, not a list' });
      continue;
    }
    const text = (Array.isArray(raw) ? (raw[0] ?? '') : raw).trim();
    // An address read past such a character would be another person's: refused, not warned of. (Names and
    // free text keep U+FFFD as the edge stored it: a broken byte there loses no way to reach the person.)
    if (target === 'email' && NOT_IN_ADDRESS.test(text)) {
      // Refused even beside a phone number: it is no unreadable typo but a forged address.
      errors.push({ field, message: 'must be an e-mail address without control characters' });
      continue;
    }
    single.set(target, text);
  }
  const value = (target: string) => single.get(target) ?? '';

  const person: PersonFields = {};
  for (const target of ['position', 'location', 'skypeId', 'linkedinUrl'] as const) if (value(target)) person[target] = value(target);
  if (value('company')) person.companyName = value('company');

  if (value('name')) Object.assign(person, splitName(value('name')));
  if (value('firstName')) person.firstName = value('firstName');
  if (value('lastName')) person.lastName = value('lastName');
  if (!person.firstName && !person.lastName) warnings.push({ field: fieldFor.name ?? fieldFor.firstName ?? fieldFor.lastName ?? 'name', message: 'no name was given' });

  const unreadable: FieldError[] = [];
  if (value('email')) {
    const email = normaliseEmail(value('email'));
    if (email) person.email = email;
    else unreadable.push({ field: fieldFor.email!, message: 'must be an e-mail address' });
  }
  if (value('phone')) {
    const phone = normalisePhone(value('phone'), phoneRegion);
    if (phone) person.phone = phone;
    else unreadable.push({ field: fieldFor.phone!, message: 'must be a phone number' });
  }
  const refused = (target: string) => errors.some((e) => e.field === fieldFor[target]);
  if (person.email || person.phone) warnings.push(...unreadable);
  else if (unreadable.length) errors.push(...unreadable);
  else if (!refused('email') && !refused('phone')) errors.push({ field: fieldFor.email ?? fieldFor.phone!, message: 'please give an e-mail address or a phone number' });

  // An age or birth date given is understood or refused, never passed over with a warning: a
  // value this cannot read ("15.9", "fifteen") is how a minor would get past the gate (policy 12).
  let age: MappedSubmission['age'] = null;
  if (value('age')) {
    const years = parseStatedAge(value('age'));
    if (years === null) errors.push({ field: fieldFor.age!, message: 'must be a whole number of years, like 34' });
    else age = { years, field: fieldFor.age! };
  }
  if (value('birthDate')) {
    const born = parseBirthDate(value('birthDate'));
    const years = born && ageOn(born, today);
    if (years === null) errors.push({ field: fieldFor.birthDate!, message: 'must be a date of birth like 1990-04-30 or 30.04.1990' });
    else if (!age || years < age.years) age = { years, field: fieldFor.birthDate! };
  }

  const stated = value('inquiryType');
  const inquiryType = form.inquiryTypeValues[stated] ?? ((INQUIRY_TYPES as readonly string[]).includes(stated) ? (stated as InquiryType) : form.defaultInquiryType);

  // An odd value grants nothing, and staff see that the form sends one.
  const ticked: [string, ConsentPurpose][] = [];
  for (const [field, purpose] of Object.entries(form.consentFields)) {
    const raw = fields[field];
    if (raw === undefined) continue;
    const tick = Array.isArray(raw) && raw.length !== 1 ? (raw.length ? 'unknown' : 'no') : readTick(Array.isArray(raw) ? raw[0] : raw);
    if (tick === 'yes') ticked.push([field, purpose]);
    else if (tick === 'unknown') warnings.push({ field, message: 'is not a recognised yes or no; no consent was recorded' });
  }
  const consents = ticked.map(([, purpose]) => purpose);
  const consentWording = Object.fromEntries(ticked.flatMap(([field, purpose]) => (form.consentTexts?.[field] ? [[purpose, form.consentTexts[field]]] : [])));

  // A subject line is part of what the person asks, as a mail's subject is.
  const request = [value('subject'), value('request')].filter(Boolean).join('\n\n') || null;
  return { mapped: { person, request, inquiryType, consents, consentWording, age, warnings }, errors };
}
