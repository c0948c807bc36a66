import { ProblemException } from './problem-details';

/** How deep a body from outside may nest (a form is flat; Drift's events nest a few levels). */
export const MAX_NESTING = 32;

/**
 * Outside text as PostgreSQL can store it: a NUL or half a surrogate pair becomes U+FFFD, as a
 * decoder does for bytes that are not characters. Linear in the text. Applied once, at the edge
 * of every channel, so nothing after it meets an unstorable string.
 */
export function storable(text: string): string {
  const whole = text.toWellFormed();
  return whole.includes('\0') ? whole.replaceAll('\0', '\ufffd') : whole;
}

/**
 * A parsed body with every string (keys too) of its arrays and plain objects made storable,
 * refused when it nests deeper than MAX_NESTING (deep nesting overflows the stack of whatever walks it next).
 */
export function storableValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return storable(value);
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value; // a Date, a Buffer: not text
  if (depth >= MAX_NESTING) throw new ProblemException(400, `The body nests deeper than ${MAX_NESTING} levels; send it flatter.`);
  if (Array.isArray(value)) return value.map((item) => storableValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[storable(key)] = storableValue(item, depth + 1);
  return out;
}
