import { createHash } from 'node:crypto';
import { isIP, BlockList } from 'node:net';
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js';
import { getDomain } from 'tldts';
import { RE2JS } from 're2js';
import type { Reason } from '../domain/verdict';
import type { ScreeningRule } from './entities/screening-rule.entity';
import type { SenderListEntry } from './entities/sender-list-entry.entity';
import { containsHtml, containsUrl, countLinks, fold } from './text';

/** Bumped when the engine's own logic (not the rules in the database) changes. */
export const ENGINE_VERSION = 3;
export const MAX_LINKS = 2;
export const BURST_THRESHOLD = 3;
export const DEFAULT_RULE_WEIGHT = 0.5;

/**
 * What each signal adds to the score (the threshold is 1 unless configured). Chosen on the
 * training split only (bench/screening-tune.ts); a bot trap or the block list decides alone.
 */
export const WEIGHTS = {
  too_many_links: 0.5,
  url_in_name: 1,
  html: 0.5,
  html_in_name: 1,
  disposable_email: 0.5,
  foreign_script: 0.3,
  honeypot_missing: 1,
  render_token_missing: 1,
  too_fast: 1,
  render_token_stale: 0.5,
  render_token_reused: 1,
  burst: 1,
} as const;

/** The channels screening weighs for: each has its own threshold and learner zones. */
export type ScreenedChannel = 'web_form' | 'chatbot' | 'email';

/**
 * Signals observed on a channel but weighing nothing there, because they do not earn their place
 * on its training split by the rule every shipped phrase meets (more spam caught than ham held;
 * `npm run bench -- screening` prints each signal's hits). On mail, more than two links held
 * 181 ham beside 173 spam of the screened training mail: newsletters, order confirmations and
 * replies carry links as a matter of course. A web form's message is typed by a visitor, where
 * links stay a sign of spam. The reviewer still sees the count.
 */
export const UNWEIGHED: Record<ScreenedChannel, ReadonlySet<keyof typeof WEIGHTS>> = {
  email: new Set(['too_many_links']),
  web_form: new Set(),
  chatbot: new Set(),
};

// Letters of the scripts the firm works in (Norwegian and English): Latin. Mostly other letters is a weak signal.
const LETTER = /\p{L}/gu;
const LATIN = /\p{Script=Latin}/gu;

/** Built once: the package's own isDisposableEmailDomain() rebuilds this set of ~9,000 domains on every call. */
const DISPOSABLE = disposableEmailBlocklistSet();

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Word boundaries that know letters beyond ASCII (æ, ø, å, and what fold() leaves). */
function wordPattern(pattern: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${escape(fold(pattern.trim())).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`, 'gu');
}

export interface Sender {
  email?: string | null;
  phone?: string | null;
  skype?: string | null;
  ip?: string | null;
}

export interface Content {
  name: string;
  text: string;
  /** Every other free-text field (subject, company, position, custom fields): screened like the text. */
  fields?: Record<string, string>;
}

/** A rule ready to run: all its distinct matches in folded text. */
interface CompiledRule {
  id: string;
  tag: 'spam' | 'misleading';
  pattern: string;
  weight: number;
  matches: (text: string) => string[];
}

/**
 * A staff-entered regular expression, compiled with RE2 (re2js): matching is linear in the
 * text whatever the pattern, so no rule can backtrack. Throws what RE2 cannot compile
 * (backreferences, lookaround), which the rule API refuses at save time.
 */
export function compileRegexRule(pattern: string): (text: string) => string[] {
  const re = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  return (text) => {
    const found = new Set<string>();
    const m = re.matcher(text);
    // An empty match cannot hold anything and would not advance; at most 50 distinct matches are kept as evidence.
    while (found.size < 50 && m.find()) {
      const hit = m.group() ?? '';
      if (hit) found.add(hit);
    }
    return [...found];
  };
}

/** Words and phrases are escaped literals (no repetition but `\s+` between words): linear in V8's engine. */
function compileWordRule(pattern: string): (text: string) => string[] {
  const regex = wordPattern(pattern);
  return (text) => {
    regex.lastIndex = 0;
    return [...new Set([...text.matchAll(regex)].map((m) => m[0]))];
  };
}

/**
 * The rules in force at one moment, compiled: keyword and pattern rules, the block list and
 * the allow list. Deterministic and offline; its version names exactly what was applied.
 */
export class RuleSet {
  readonly version: string;
  private readonly rules: CompiledRule[];
  private readonly block: SenderListEntry[];
  private readonly allow: SenderListEntry[];
  private readonly ranges: { entry: SenderListEntry; list: BlockList }[] = [];

  constructor(rules: ScreeningRule[], senders: SenderListEntry[]) {
    const now = Date.now();
    const live = senders.filter((e) => !e.expiresAt || e.expiresAt.getTime() > now);
    this.block = live.filter((e) => e.list === 'block');
    this.allow = live.filter((e) => e.list === 'allow');
    // A stored pattern that no longer compiles (the API refuses such patterns) is skipped, not fatal to intake.
    this.rules = rules.flatMap((r) => {
      try {
        return [{ id: r.id, tag: r.tag, pattern: r.pattern, weight: r.weight ?? DEFAULT_RULE_WEIGHT, matches: r.kind === 'regex' ? compileRegexRule(r.pattern) : compileWordRule(r.pattern) }];
      } catch {
        return [];
      }
    });
    for (const e of this.block.filter((e) => e.type === 'ip' || e.type === 'cidr')) {
      const [address, prefix] = e.value.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      const list = new BlockList();
      if (prefix) list.addSubnet(address, Number(prefix), family);
      else list.addAddress(address, family);
      this.ranges.push({ entry: e, list });
    }
    const identity = [...rules.map((r) => `${r.id}:${r.kind}:${r.tag}:${r.pattern}:${r.weight ?? DEFAULT_RULE_WEIGHT}`), ...live.map((e) => `${e.id}:${e.list}:${e.type}:${e.value}`)].sort().join('\n');
    this.version = `${ENGINE_VERSION}.${createHash('sha256').update(identity).digest('hex').slice(0, 12)}`;
  }

  /** The block list entry this sender is on, if any (a person decided: blocked at the server). */
  blocked(sender: Sender): Reason | null {
    const email = sender.email?.toLowerCase();
    const domain = email?.split('@')[1];
    const hit = this.block.find(
      (e) =>
        (e.type === 'email' && e.value === email) ||
        (e.type === 'email_domain' && domain !== undefined && (domain === e.value || domain.endsWith(`.${e.value}`))) ||
        (e.type === 'phone' && e.value === sender.phone) ||
        (e.type === 'skype' && e.value === sender.skype?.toLowerCase()),
    );
    const family = sender.ip ? isIP(sender.ip) : 0;
    const entry = hit ?? (family ? this.ranges.find((r) => r.list.check(sender.ip!, family === 6 ? 'ipv6' : 'ipv4'))?.entry : undefined);
    return entry ? { code: 'blocklist', tag: entry.tag ?? 'spam', decisive: true, evidence: { entryId: entry.id, type: entry.type, value: entry.value } } : null;
  }

  allowed(sender: Sender): boolean {
    return this.allow.some((e) => (e.type === 'email' && e.value === sender.email?.toLowerCase()) || (e.type === 'phone' && e.value === sender.phone));
  }

  /** Every content signal, each with its weight on this channel; none means nothing in the content looked like spam. */
  contentReasons(content: Content, email: string | null | undefined, channel: ScreenedChannel = 'web_form'): Reason[] {
    const weigh = (code: keyof typeof WEIGHTS) => (UNWEIGHED[channel].has(code) ? 0 : WEIGHTS[code]);
    const reasons: Reason[] = [];
    const extra = Object.entries(content.fields ?? {}).filter(([, v]) => v.trim() !== '');
    const text = fold([content.name, content.text, ...extra.map(([, v]) => v)].join('\n'));
    for (const rule of this.rules) {
      const matches = rule.matches(text);
      if (matches.length) reasons.push({ code: 'keyword', tag: rule.tag, weight: rule.weight, evidence: { ruleId: rule.id, pattern: rule.pattern, matches } });
    }
    const links = countLinks(content.text) + extra.reduce((n, [, v]) => n + countLinks(v), 0);
    if (links > MAX_LINKS) reasons.push({ code: 'too_many_links', tag: 'spam', weight: weigh('too_many_links'), evidence: { links, allowed: MAX_LINKS } });
    // A name, company or position is no place for a link or markup.
    const short = [['name', content.name] as const, ...extra.filter(([, v]) => v.length <= 200)];
    const urlIn = short.filter(([, v]) => containsUrl(v)).map(([k]) => k);
    if (urlIn.length) reasons.push({ code: 'url_in_name', tag: 'spam', weight: weigh('url_in_name'), evidence: { fields: urlIn } });
    const htmlIn = [['name', content.name] as const, ['text', content.text] as const, ...extra].filter(([, v]) => containsHtml(v)).map(([k]) => k);
    if (htmlIn.length) {
      const inName = htmlIn.includes('name');
      reasons.push({ code: 'html', tag: 'spam', weight: weigh(inName ? 'html_in_name' : 'html'), evidence: { inName, fields: htmlIn } });
    }
    const script = foreignScriptShare(text);
    if (script !== null) reasons.push({ code: 'foreign_script', tag: 'spam', weight: weigh('foreign_script'), evidence: { share: script } });
    const domain = email?.split('@')[1];
    // Subdomains count as their registrable domain: x.mailinator.com is mailinator.com.
    if (domain && (DISPOSABLE.has(domain) || DISPOSABLE.has(getDomain(domain) ?? domain))) {
      reasons.push({ code: 'disposable_email', tag: 'spam', weight: weigh('disposable_email'), evidence: { domain } });
    }
    return reasons;
  }
}

/** The share of letters outside the Latin script, when most letters are (at least 20 letters), else null. */
export function foreignScriptShare(text: string): number | null {
  const letters = text.match(LETTER)?.length ?? 0;
  if (letters < 20) return null;
  const share = 1 - (text.match(LATIN)?.length ?? 0) / letters;
  return share > 0.5 ? Math.round(share * 100) / 100 : null;
}
