import { createHash } from 'node:crypto';

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

const URL = /\b(?:https?:\/\/|www\.)[^\s<>"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|ru|cn|xyz|top|io|co|no|online|site|shop|store|club|me)(?:\/[^\s<>"']*)?/gi;
const HTML = /<\s*\/?\s*[a-z][^>]*>|\[\/?(?:url|link|img)[^\]]*\]/i;

/** Links in a text: URLs, bare domains, and HTML or BBCode links. */
export function countLinks(text: string): number {
  const urls = text.match(URL)?.length ?? 0;
  const anchors = text.match(/<a\s[^>]*href|\[url[=\]]/gi)?.length ?? 0;
  return Math.max(urls, anchors);
}

/** The text with its links (as countLinks sees them) taken out. */
export const withoutLinks = (text: string) => text.replace(URL, ' ');

export const containsUrl = (text: string) => new RegExp(URL.source, 'i').test(text);
export const containsHtml = (text: string) => HTML.test(text);

/** The same message with other names, numbers, links or spacing: one fingerprint. */
export function fingerprint(text: string): string | null {
  const core = fold(text).replace(URL, ' ').replace(/[\d\W_]+/gu, ' ').trim();
  return core.length >= 20 ? createHash('sha256').update(core).digest('hex').slice(0, 32) : null;
}
