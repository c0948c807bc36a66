import { createHash } from 'node:crypto';
import LinkifyIt from 'linkify-it';

/**
 * Text as the rules see it: lower-case, accents removed, Norwegian letters folded (æ -> ae,
 * ø -> o, å -> a), so `Lånetilbud`, `lanetilbud` and `LÅNETILBUD` are one word.
 */
export function fold(text: string): string {
  return text
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'o')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '');
}

/*
 * Every pattern here runs on outside text, so each is linear in its length: links come from
 * linkify-it (a scanner, not one backtracking pattern), and the patterns below have no
 * repetition that can be retried from many places (a bounded `{0,N}` where one is needed).
 */

// An e-mail address is a way to reply, not a link; bare domains only on real top-level domains,
// with the cheap ones spam favours added to linkify-it's own list.
const linkify = new LinkifyIt({}, { fuzzyEmail: false }).tlds(['xyz', 'top', 'online', 'site', 'shop', 'store', 'club', 'app', 'dev', 'io', 'info', 'biz', 'live', 'link', 'click'], true);

interface Span {
  index: number;
  lastIndex: number;
}

/**
 * The links in a text. A bare name written in capitals (`ASP.NET`, `VB.NET`) is a product,
 * not an address: only a written scheme or `www.` makes such a name a link.
 */
function linkSpans(text: string): Span[] {
  if (!linkify.pretest(text)) return [];
  return (linkify.match(text) ?? []).filter((m) => m.schema !== 'mailto:' && !(m.schema === '' && !/^www\./i.test(m.raw) && !/[a-z]/.test(m.raw)));
}

// A real tag or attribute, not any `<word>` (`List<Customer>`, `<your name>`).
const TAGS = 'a|abbr|b|body|br|button|center|div|em|embed|font|form|h[1-6]|head|hr|html|i|iframe|img|input|li|link|marquee|meta|object|ol|p|script|span|strong|style|svg|table|td|th|tr|u|ul|video';
const HTML_TAG = new RegExp(`<\\/?(?:${TAGS})(?=[\\s/>])|<[a-z][a-z0-9-]{0,30}\\s[^<>]{0,200}?\\b(?:href|src|on[a-z]{2,20}|style)\\s{0,5}=`, 'i');
const BBCODE = /\[\/?(?:url|link|img)[=\]]/i;
const ANCHORS = /<a\s[^<>]{0,500}?href|\[url[=\]]/gi;

/** Links in a text: URLs, bare domains on real top-level domains, and HTML or BBCode links. */
export function countLinks(text: string): number {
  const urls = linkSpans(text).length;
  const anchors = text.match(ANCHORS)?.length ?? 0;
  return Math.max(urls, anchors);
}

/** The text with its links (as countLinks sees them) taken out. */
export function withoutLinks(text: string): string {
  let out = '';
  let at = 0;
  for (const span of linkSpans(text)) {
    out += `${text.slice(at, span.index)} `;
    at = span.lastIndex;
  }
  return out + text.slice(at);
}

export const containsUrl = (text: string) => linkSpans(text).length > 0;
export const containsHtml = (text: string) => HTML_TAG.test(text) || BBCODE.test(text);

/** The same message with other names, numbers, links or spacing: one fingerprint. */
export function fingerprint(text: string): string | null {
  const core = fold(withoutLinks(text)).replace(/[\d\W_]+/gu, ' ').trim();
  return core.length >= 20 ? createHash('sha256').update(core).digest('hex').slice(0, 32) : null;
}
