import type { FieldError } from '../../common/problem-details';
import { ageFromBirthDate, normaliseEmail, normalisePhone, splitName } from '../../domain/identity';
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
const UNTICKED = new Set(['', '0', 'false', 'no', 'off']);

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim() ?? '';

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
 * Maps a submission through its form onto person fields, and says what is wrong in the
 * form's own field names, so the website can show each error beside its field.
 */
/**
 * A submission's fields onto a person. Only what makes the lead unusable refuses it (`errors`):
 * no way to reach the person (no readable e-mail address and no phone number) or a value too
 * long to keep. A bad optional value (a phone that is no number beside a good address, an age
 * that is no number, no name) is kept as given in the payload, left off the person, and named in
 * `mapped.warnings` for the record. A stated age under 16 is the caller's to refuse (`age`).
 */
export function mapSubmission(form: IntakeForm, fields: SubmittedFields, phoneRegion: string, today: Date): { mapped: MappedSubmission; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const warnings: FieldError[] = [];
  const fieldFor = Object.fromEntries(Object.entries(form.fieldMapping).map(([field, target]) => [target, field])) as Partial<Record<string, string>>;
  const value = (target: string) => (fieldFor[target] ? first(fields[fieldFor[target]!]) : '');

  for (const [field, raw] of Object.entries(fields)) {
    const values = Array.isArray(raw) ? raw : [raw];
    if (values.some((v) => v.length > MAX_VALUE)) errors.push({ field, message: `must be at most ${MAX_VALUE} characters` });
  }

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
  if (person.email || person.phone) warnings.push(...unreadable);
  else if (unreadable.length) errors.push(...unreadable);
  else errors.push({ field: fieldFor.email ?? fieldFor.phone!, message: 'please give an e-mail address or a phone number' });

  let age: MappedSubmission['age'] = null;
  if (value('age')) {
    const years = Number(value('age'));
    if (Number.isInteger(years) && years >= 0 && years < 150) age = { years, field: fieldFor.age! };
    else warnings.push({ field: fieldFor.age!, message: 'must be a whole number of years' });
  }
  if (value('birthDate')) {
    const years = ageFromBirthDate(value('birthDate'), today);
    if (years === null) warnings.push({ field: fieldFor.birthDate!, message: 'must be a date like 1990-04-30' });
    else if (!age || years < age.years) age = { years, field: fieldFor.birthDate! };
  }

  const stated = value('inquiryType');
  const inquiryType = form.inquiryTypeValues[stated] ?? ((INQUIRY_TYPES as readonly string[]).includes(stated) ? (stated as InquiryType) : form.defaultInquiryType);

  const ticked = Object.entries(form.consentFields).filter(([field]) => fields[field] !== undefined && !UNTICKED.has(first(fields[field]).toLowerCase()));
  const consents = ticked.map(([, purpose]) => purpose);
  const consentWording = Object.fromEntries(ticked.flatMap(([field, purpose]) => (form.consentTexts?.[field] ? [[purpose, form.consentTexts[field]]] : [])));

  // A subject line is part of what the person asks, as a mail's subject is.
  const request = [value('subject'), value('request')].filter(Boolean).join('\n\n') || null;
  return { mapped: { person, request, inquiryType, consents, consentWording, age, warnings }, errors };
}
