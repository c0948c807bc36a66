import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { AppConfig } from '../src/config/app-config';
import { normaliseEmail } from '../src/domain/identity';
import type { ScreeningRule } from '../src/screening/entities/screening-rule.entity';
import type { SenderListEntry } from '../src/screening/entities/sender-list-entry.entity';
import type { ScreeningRepository } from '../src/screening/screening.repository';
import { RENDER_TOKEN_FIELD, ScreeningService, type FormTraps } from '../src/screening/screening.service';
import { fingerprint } from '../src/screening/text';

export interface CorpusItem {
  id: string;
  label: 'ham' | 'spam';
  kind: string;
  language: string;
  fields: { name: string; email: string; phone?: string; company?: string; message: string };
  meta?: { secondsToFill?: number; honeypot?: string };
}

/** The labelled corpus in test/fixtures/screening (read from the source tree, also when compiled). */
export function loadCorpus(): CorpusItem[] {
  const root = __dirname.includes(`${join('dist', 'bench')}`) ? join(__dirname, '..', '..') : join(__dirname, '..');
  return JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'screening', 'corpus.json'), 'utf8'));
}

/** The rules a freshly migrated database holds (the shipped starting set). */
export async function shippedRules(databaseUrl: string): Promise<ScreeningRule[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(`SELECT id, kind, pattern, tag, weight FROM screening_rule`)).rows;
  } finally {
    await client.end();
  }
}

/** The engine as the service runs it, on these rules, with no database behind it. */
export function engine(rules: ScreeningRule[], senders: SenderListEntry[] = []): ScreeningService {
  const usedTokens = new Set<string>();
  const repo = {
    rules: async () => rules,
    senders: async () => senders,
    learnedSince: async (seq: string) => ({ words: [], docs: { spam: 0, ham: 0 }, seq }),
    claimRenderToken: async (formKey: string, hash: Buffer) => {
      const key = `${formKey}:${hash.toString('hex')}`;
      if (usedTokens.has(key)) return false;
      usedTokens.add(key);
      return true;
    },
  } as unknown as ScreeningRepository;
  return new ScreeningService(repo, { SCREENING_THRESHOLD: 1 } as AppConfig);
}

const TRAPS: FormTraps = { key: 'corpus', signingSecret: 'corpus-secret', honeypotField: 'website', minFillSeconds: 5 };

export interface Scored {
  item: CorpusItem;
  flagged: boolean;
  reasons: string[];
}

/**
 * Every item through the engine in corpus order, as one web form with a honeypot and a 5 s
 * minimum would see them: near-copies are counted among the items before it.
 */
export async function screenCorpus(service: ScreeningService, corpus: CorpusItem[]): Promise<Scored[]> {
  const seen = new Map<string, number>();
  const now = Date.now();
  const scored: Scored[] = [];
  for (const [index, item] of corpus.entries()) {
    const fp = fingerprint(item.fields.message);
    const nearCopies = fp ? (seen.get(fp) ?? 0) : 0;
    if (fp) seen.set(fp, nearCopies + 1);
    const traps = { ...TRAPS, key: `${TRAPS.key}-${index}` };
    const fields: Record<string, string> = {
      ...item.fields,
      website: item.meta?.honeypot ?? '',
      // Each post its own page render (a token is single-use): two posts filled in the same time must not share one.
      [RENDER_TOKEN_FIELD]: service.renderToken(traps, now - (item.meta?.secondsToFill ?? 60) * 1000),
    };
    const verdict = await service.judge(
      { sender: { email: normaliseEmail(item.fields.email) ?? item.fields.email.toLowerCase(), phone: item.fields.phone ?? null }, name: item.fields.name, text: item.fields.message, fields },
      traps,
      nearCopies,
      new Date(now),
    );
    scored.push({ item, flagged: verdict.outcome !== 'clean', reasons: verdict.reasons.map((r) => r.code) });
  }
  return scored;
}

export function metrics(scored: Scored[]): { precision: number; recall: number; fpr: number; tp: number; fp: number; tn: number; fn: number } {
  const tp = scored.filter((s) => s.flagged && s.item.label === 'spam').length;
  const fp = scored.filter((s) => s.flagged && s.item.label === 'ham').length;
  const tn = scored.filter((s) => !s.flagged && s.item.label === 'ham').length;
  const fn = scored.filter((s) => !s.flagged && s.item.label === 'spam').length;
  return { precision: tp / (tp + fp || 1), recall: tp / (tp + fn || 1), fpr: fp / (fp + tn || 1), tp, fp, tn, fn };
}
