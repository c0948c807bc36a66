/**
 * Reading what a person states about their age (policy 12: nobody under 16). A value is either
 * understood exactly or refused: a reader that shrugs at "15.9" or "fifteen" lets a minor through.
 */

/**
 * Text with its digits as ASCII: NFKC folds full-width and mathematical digits; any other
 * Unicode decimal digit (Arabic-Indic, Devanagari, …) is mapped by its place in its run. Unicode
 * encodes every decimal digit set as ten contiguous code points, 0 to 9, so a digit's value is its
 * distance from the start of its run of digits, modulo ten (adjacent sets are whole runs of ten).
 */
export function asciiDigits(raw: string): string {
  return raw.normalize('NFKC').replace(/\p{Nd}/gu, (ch) => {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x30 && cp <= 0x39) return ch;
    let start = cp;
    while (start > 0 && /\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  });
}

// A whole number, optionally with a years word (English, Norwegian), optionally "old"/"gammel".
const AGE = /^(\d{1,3})(?:\s*(?:years?|yrs?|y|år|aar|ar)(?:\s+(?:old|gammel))?)?$/iu;

/** Whole years from "15", "15 years", "15 år", "１５", "١٥"; null for anything else (fractions, signs, words, control characters). */
export function parseStatedAge(raw: string): number | null {
  const m = AGE.exec(asciiDigits(raw).trim());
  if (!m) return null;
  const years = Number(m[1]);
  return years < 150 ? years : null;
}

// The unambiguous forms only: year first (ISO, with - or /, an optional time, whose zone cannot
// move a calendar date of birth), day first with dots (the Norwegian way), or yyyymmdd.
// "06/01/2016" is June or January depending on the writer: refused, not guessed.
const ISO = /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const DOTTED = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;

/** A birth date as [year, month, day] from the forms above, when it is a real date; null otherwise. */
export function parseBirthDate(raw: string): [number, number, number] | null {
  const text = asciiDigits(raw).trim();
  let ymd: [number, number, number] | null = null;
  let m: RegExpExecArray | null;
  if ((m = ISO.exec(text))) ymd = [+m[1], +m[3], +m[4]];
  else if ((m = DOTTED.exec(text))) ymd = [+m[3], +m[2], +m[1]];
  else if ((m = COMPACT.exec(text))) ymd = [+m[1], +m[2], +m[3]];
  if (!ymd) return null;
  const [y, mo, d] = ymd;
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? ymd : null;
}

/** Age in whole years on `today` (counting the birthday itself); null for a date after today. */
export function ageOn([y, mo, d]: [number, number, number], today: Date): number | null {
  if (Date.UTC(y, mo - 1, d) > today.getTime()) return null;
  let age = today.getUTCFullYear() - y;
  if (today.getUTCMonth() < mo - 1 || (today.getUTCMonth() === mo - 1 && today.getUTCDate() < d)) age--;
  return age;
}
