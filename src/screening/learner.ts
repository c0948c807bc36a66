import { fold } from './text';

/*
 * A naive-Bayes text classifier in the form SpamBayes uses (Graham's per-word probabilities,
 * Robinson's smoothing and chi-square combining; each word counted once per text). Small on
 * purpose: its counts are what the shipped model file holds and what the firm's own decisions
 * add in PostgreSQL, so every instance scores with the same model. The tokenizer is one linear
 * pattern: ICU's word segmenter (Intl.Segmenter) was measured at seconds per 100 KB, far too
 * slow for intake.
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
  /**
   * How spam-like the text is, 0..1, by Robinson's chi-square combining (as SpamBayes does):
   * near 0 or 1 only when the telling words agree; 0.5 when they say nothing, or contradict
   * each other (a business mail that mentions an offer).
   */
  spamProbability: number;
  /** The words that weighed most, either way (for the reviewer): each word's own spam probability. */
  strongest: { word: string; spamProbability: number }[];
}

/** Robinson's strength of the prior for a word seen in few texts, and the prior itself (SpamBayes' defaults). */
const PRIOR_STRENGTH = 0.45;
const PRIOR = 0.5;
/** Words closer to 0.5 than this say nothing; at most this many of the most telling words are combined. */
const MIN_STRENGTH = 0.1;
const MAX_CLUES = 150;

/** The upper tail of chi-square with an even number of degrees of freedom, exact. */
function chi2Q(x2: number, freedom: number): number {
  const m = x2 / 2;
  let term = Math.exp(-m);
  let sum = term;
  for (let i = 1; i < freedom / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

export class NaiveBayes {
  private readonly base: Map<string, [number, number]>;

  constructor(
    private readonly shipped: ShippedModel,
    private readonly learned: LearnedCounts = { docs: { spam: 0, ham: 0 }, keys: new Map() },
  ) {
    this.base = new Map(Object.entries(shipped.words));
  }

  /** The shipped model's version and how many of the firm's decisions it has learned since. */
  get version(): string {
    return `${this.shipped.version}+${this.learned.docs.spam}s${this.learned.docs.ham}h`;
  }

  /**
   * Each word's spam probability from the share of spam and of ham texts holding it (so the
   * mix of the training texts says nothing about this inbox), pulled towards 0.5 while it was
   * seen in few texts; the most telling words are combined by Fisher's method both ways.
   */
  judge(text: string): Judgement {
    const spamDocs = this.shipped.docs.spam + this.learned.docs.spam;
    const hamDocs = this.shipped.docs.ham + this.learned.docs.ham;
    const clues: { word: string; p: number }[] = [];
    const useLearned = this.learned.keys.size > 0;
    let known = 0;
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
      known++;
      const spamShare = Math.min(1, s / Math.max(1, spamDocs));
      const hamShare = Math.min(1, h / Math.max(1, hamDocs));
      const p = (PRIOR_STRENGTH * PRIOR + (s + h) * (spamShare / (spamShare + hamShare))) / (PRIOR_STRENGTH + s + h);
      if (Math.abs(p - 0.5) >= MIN_STRENGTH) clues.push({ word, p });
    }
    if (known < MIN_KNOWN_WORDS || !clues.length) return { known, spamProbability: 0.5, strongest: [] };
    clues.sort((a, b) => Math.abs(b.p - 0.5) - Math.abs(a.p - 0.5));
    const used = clues.slice(0, MAX_CLUES);
    let lnSpam = 0;
    let lnHam = 0;
    for (const { p } of used) {
      lnSpam += Math.log(1 - p);
      lnHam += Math.log(p);
    }
    const spamness = 1 - chi2Q(-2 * lnSpam, 2 * used.length);
    const hamness = 1 - chi2Q(-2 * lnHam, 2 * used.length);
    const strongest = used.slice(0, 8).map((c) => ({ word: c.word, spamProbability: Math.round(c.p * 1000) / 1000 }));
    return { known, spamProbability: (1 + spamness - hamness) / 2, strongest };
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
