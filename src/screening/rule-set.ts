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
export const ENGINE_VERSION = 1;
export const MAX_LINKS = 2;
export const BURST_THRESHOLD = 3;

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
}

/** A rule ready to run: all its distinct matches in folded text. */
interface CompiledRule {
  id: string;
  tag: 'spam' | 'misleading';
  pattern: string;
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
        return [{ id: r.id, tag: r.tag, pattern: r.pattern, matches: r.kind === 'regex' ? compileRegexRule(r.pattern) : compileWordRule(r.pattern) }];
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
    const identity = [...rules.map((r) => `${r.id}:${r.kind}:${r.tag}:${r.pattern}`), ...live.map((e) => `${e.id}:${e.list}:${e.type}:${e.value}`)].sort().join('\n');
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
    return entry ? { code: 'blocklist', tag: entry.tag ?? 'spam', evidence: { entryId: entry.id, type: entry.type, value: entry.value } } : null;
  }

  allowed(sender: Sender): boolean {
    return this.allow.some((e) => (e.type === 'email' && e.value === sender.email?.toLowerCase()) || (e.type === 'phone' && e.value === sender.phone));
  }

  /** Everything in the content that holds it for a person to look at; none means clean. */
  contentReasons(content: Content, email: string | null | undefined): Reason[] {
    const reasons: Reason[] = [];
    const text = fold(`${content.name}\n${content.text}`);
    for (const rule of this.rules) {
      const matches = rule.matches(text);
      if (matches.length) reasons.push({ code: 'keyword', tag: rule.tag, evidence: { ruleId: rule.id, pattern: rule.pattern, matches } });
    }
    const links = countLinks(content.text);
    if (links > MAX_LINKS) reasons.push({ code: 'too_many_links', tag: 'spam', evidence: { links, allowed: MAX_LINKS } });
    if (containsUrl(content.name)) reasons.push({ code: 'url_in_name', tag: 'spam', evidence: {} });
    if (containsHtml(content.name) || containsHtml(content.text)) reasons.push({ code: 'html', tag: 'spam', evidence: { inName: containsHtml(content.name) } });
    const domain = email?.split('@')[1];
    // Subdomains count as their registrable domain: x.mailinator.com is mailinator.com.
    if (domain && (DISPOSABLE.has(domain) || DISPOSABLE.has(getDomain(domain) ?? domain))) {
      reasons.push({ code: 'disposable_email', tag: 'spam', evidence: { domain } });
    }
    return reasons;
  }
}
