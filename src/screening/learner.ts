import { fold } from './text';

/*
 * A naive-Bayes text classifier (multinomial over the words a text holds, each counted once
 * per text, Laplace smoothing, equal priors). Small on purpose: its counts are what the
 * shipped model file holds and what the firm's own decisions add in PostgreSQL, so every
 * instance scores with the same model. The tokenizer is one linear pattern: ICU's word
 * segmenter (Intl.Segmenter) was measured at seconds per 100 KB, far too slow for intake.
 */

const WORD = /[\p{L}\p{N}]+/gu;
/** At most this many distinct words of one text are read or learned: scoring and learning are bounded whatever arrives. */
export const MAX_TOKENS = 1_000;

/** The distinct words of a text, folded (case and accents aside); long numbers are one word. */
export function tokens(text: string): string[] {
  const seen = new Set<string>();
  WORD.lastIndex = 0;
  for (const m of fold(text).matchAll(WORD)) {
    let w = m[0];
    if (w.length < 2 || w.length > 24) continue;
    if (/^\d{5,}$/.test(w)) w = '#longnumber';
    seen.add(w);
    if (seen.size >= MAX_TOKENS) break;
  }
  return [...seen];
}

/**
 * A word as the learned counts keep it: a 64-bit FNV-1a hash, so the database holds no words
 * of anyone's message (a name in a released inquiry), only how often a hash was ham or spam.
 */
export function tokenKey(token: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h1 >>> 7);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

export interface ShippedModel {
  version: string;
  /** Texts each class was trained on. */
  docs: { spam: number; ham: number };
  /** word -> [texts of spam holding it, texts of ham holding it] */
  words: Record<string, [number, number]>;
}

export interface LearnedCounts {
  /** Decisions learned from. */
  docs: { spam: number; ham: number };
  /** tokenKey(word) -> [spam, ham] */
  keys: Map<string, [number, number]>;
}

/** Fewer known words than this and the learner says nothing: two words are no evidence either way (a Norwegian text to a model trained on English). */
export const MIN_KNOWN_WORDS = 5;

export interface Judgement {
  /** How many of the text's words the model knows. */
  known: number;
  /** The probability that the text is spam, 0..1. */
  spamProbability: number;
  /** log(P(spam|text) / P(ham|text)). */
  logOdds: number;
  /** The words that weighed most, either way (for the reviewer). */
  strongest: { word: string; logOdds: number }[];
}

const ALPHA = 1;

export class NaiveBayes {
  private readonly base: Map<string, [number, number]>;
  private readonly totals: [number, number];
  private readonly vocabulary: number;

  constructor(
    private readonly shipped: ShippedModel,
    private readonly learned: LearnedCounts = { docs: { spam: 0, ham: 0 }, keys: new Map() },
  ) {
    this.base = new Map(Object.entries(shipped.words));
    // Word occurrences per class (each word once per text), the multinomial's denominators.
    let spam = 0;
    let ham = 0;
    for (const [s, h] of this.base.values()) {
      spam += s;
      ham += h;
    }
    for (const [s, h] of learned.keys.values()) {
      spam += s;
      ham += h;
    }
    this.totals = [spam, ham];
    this.vocabulary = this.base.size + learned.keys.size;
  }

  /** The shipped model's version and how many of the firm's decisions it has learned since. */
  get version(): string {
    return `${this.shipped.version}+${this.learned.docs.spam}s${this.learned.docs.ham}h`;
  }

  judge(text: string): Judgement {
    const [spamTotal, hamTotal] = this.totals;
    const spamDenominator = Math.log(spamTotal + ALPHA * this.vocabulary);
    const hamDenominator = Math.log(hamTotal + ALPHA * this.vocabulary);
    let logOdds = 0; // equal priors: the mix of a training corpus says nothing about this inbox
    const weighed: { word: string; logOdds: number }[] = [];
    const useLearned = this.learned.keys.size > 0;
    for (const word of tokens(text)) {
      let [s, h] = this.base.get(word) ?? [0, 0];
      if (useLearned) {
        const more = this.learned.keys.get(tokenKey(word));
        if (more) {
          s += more[0];
          h += more[1];
        }
      }
      if (s === 0 && h === 0) continue; // a word never seen says nothing
      const w = Math.log(s + ALPHA) - spamDenominator - (Math.log(h + ALPHA) - hamDenominator);
      logOdds += w;
      weighed.push({ word, logOdds: w });
    }
    if (weighed.length < MIN_KNOWN_WORDS) return { known: weighed.length, spamProbability: 0.5, logOdds: 0, strongest: [] };
    const strongest = weighed.sort((a, b) => Math.abs(b.logOdds) - Math.abs(a.logOdds)).slice(0, 8).map((x) => ({ word: x.word, logOdds: Math.round(x.logOdds * 100) / 100 }));
    return { known: weighed.length, spamProbability: 1 / (1 + Math.exp(-logOdds)), logOdds, strongest };
  }
}

/** Counts from labelled texts: what the training script writes to the model file. */
export function train(texts: { text: string; label: 'spam' | 'ham' }[], version: string, minTexts = 3): ShippedModel {
  const counts = new Map<string, [number, number]>();
  const docs = { spam: 0, ham: 0 };
  for (const { text, label } of texts) {
    docs[label]++;
    for (const word of tokens(text)) {
      const c = counts.get(word) ?? [0, 0];
      c[label === 'spam' ? 0 : 1]++;
      counts.set(word, c);
    }
  }
  // Words seen in fewer texts than this are noise (names, typos) and would only bloat the file.
  const words: Record<string, [number, number]> = {};
  for (const [word, c] of [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (c[0] + c[1] >= minTexts) words[word] = c;
  return { version, docs, words };
}
