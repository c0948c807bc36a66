import { Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { runAsSystem } from '../access/access-context';
import { ArrivalBatcher } from '../common/arrival-batcher';
import { foldEmail } from '../domain/identity';
import { ProblemException } from '../common/problem-details';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { IntakeSubmission } from './entities/intake-submission.entity';
import type { Reason, Verdict } from '../domain/verdict';
import { MIN_KNOWN_WORDS, NaiveBayes, tokenKey, tokens, type LearnedCounts } from './learner';
import { SHIPPED_MODEL } from './model/shipped-model';
import { BURST_THRESHOLD, RuleSet, WEIGHTS, type ScreenedChannel, type Sender } from './rule-set';
import { ScreeningRepository, type Arrival, type ArrivalResult } from './screening.repository';
import { fingerprint } from './text';

export const RENDER_TOKEN_FIELD = '_crm_rendered';
/** The reasons a post is held by a web form's bot traps (not by what it says). */
export const TRAP_CODES = ['honeypot_missing', 'honeypot_filled', 'render_token_missing', 'render_token_forged', 'render_token_stale', 'render_token_reused', 'too_fast'] as const;
/** Contact Form 7's own fields (`_wpcf7`, `_wpcf7_unit_tag`, ...): the plugin's, never the sender's words. */
export const CF7_FIELD = /^_wpcf7/;
/** Akismet's honeypot in Contact Form 7: a person leaves it empty. */
export const CF7_HONEYPOT = '_wpcf7_ak_hp_textarea';
/** Akismet's script time in Contact Form 7: when the page's script ran, in epoch milliseconds. */
export const CF7_SCRIPT_TIME = '_wpcf7_ak_js';
const RULES_CACHE_MS = 5_000;
const TOKEN_MAX_AGE_MS = 24 * 3_600_000;

/** The bot traps a web form may set. */
export interface FormTraps {
  key: string;
  signingSecret: string;
  honeypotField: string | null;
  minFillSeconds: number | null;
  /**
   * Posted by the form's authenticated server-side relay: the browser-only traps (the render
   * token) do not apply, a honeypot the relay did not forward is not held against it, and the
   * fill time is the visitor's time on page as the relay reports it (when it does).
   */
  relay?: { timeOnPageSeconds: number | null };
}

/** An arrival as stored: when, how many near-copies came in the last ten minutes, and how many from its sender in the last hour (this one included). */
export interface Received {
  receivedAt: Date;
  nearCopies: number;
  bySender: number;
}

export interface Screened {
  sender: Sender;
  name: string;
  text: string;
  /** The submitted fields as they came (the bot traps read them). */
  fields: Record<string, string | string[]>;
  /** Every other free text to screen: subject, company, position, custom fields. */
  freeText?: Record<string, string>;
  /** Whose threshold applies; web_form unless said. */
  channel?: ScreenedChannel;
}

/**
 * The learner is one signal, weighed per channel, in SpamBayes' three zones: from the spam
 * cut-off up it adds its weight; from the ham cut-off down it speaks as much for a real inquiry;
 * between, it is unsure and says nothing. Its model was trained on mail, where it weighs as much
 * as the threshold. The spam cut-off (`npm run bench -- screening-tune`, cross-validated on the
 * public training split): the lowest at which the learner alone would hold at most 1% of the
 * project's real inquiries if they came by mail, since to a model of 2002 personal mail an
 * ordinary polite inquiry ("we are looking for a partner ... send us a quote ... best regards")
 * reads as commercial. On the web form and chat, text it was never trained on, it weighs half and
 * never speaks for a text against a rule, until the firm's own decisions have taught it.
 */
export interface LearnerSignal {
  weight: number;
  spam: number;
  ham: number | null;
}
export const LEARNER_SIGNALS: Record<ScreenedChannel, LearnerSignal> = {
  email: { weight: 1, spam: 0.99, ham: 0.001 },
  web_form: { weight: 0.5, spam: 0.99, ham: null },
  chatbot: { weight: 0.5, spam: 0.99, ham: null },
};

export function learnerWeight(signal: LearnerSignal, spamProbability: number): number {
  if (spamProbability >= signal.spam) return signal.weight;
  if (signal.ham !== null && spamProbability <= signal.ham) return -signal.weight;
  return 0;
}

/**
 * Screening labels and routes; a person decides (policy 8: no automated decisions). A sender
 * someone put on the block list is blocked at the server; anything else suspicious is held for
 * review; clean submissions go straight through. The sender sees the same 202 either way.
 */
@Injectable()
export class ScreeningService {
  private cached?: { rules: RuleSet; until: number };
  /** The learner: the shipped model plus the firm's decisions, read incrementally (only what changed since). */
  private learned: LearnedCounts & { seq: string } = { docs: { spam: 0, ham: 0 }, keys: new Map(), seq: '0' };
  private model = new NaiveBayes(SHIPPED_MODEL);
  /** Arrivals of the same moment are stored together (one statement, one commit); counting them is the system's job. */
  private readonly arrivals = new ArrivalBatcher<Arrival, ArrivalResult>((batch) =>
    runAsSystem('intake', () =>
      this.repo.receive(batch, { perIpPerMinute: this.config.INTAKE_LIMIT_PER_IP_PER_MINUTE }),
    ),
  );
  constructor(
    private readonly repo: ScreeningRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async ruleSet(): Promise<RuleSet> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.rules;
    const rules = new RuleSet(await this.repo.rules(), await this.repo.senders());
    await this.refreshModel();
    this.cached = { rules, until: Date.now() + RULES_CACHE_MS };
    return rules;
  }

  /** The learned counts that changed since the last read, folded in: bounded by what changed, not by all ever learned. */
  private async refreshModel(): Promise<void> {
    const changed = await this.repo.learnedSince(this.learned.seq);
    if (!changed.words.length && changed.seq === this.learned.seq) return;
    for (const w of changed.words) this.learned.keys.set(w.key, [w.spam, w.ham]);
    this.learned.docs = changed.docs;
    this.learned.seq = changed.seq;
    this.model = new NaiveBayes(SHIPPED_MODEL, this.learned);
  }

  /** The model in force (after the rules are read). */
  get modelVersion(): string {
    return this.model.version;
  }

  /** After a rule or list change here: the next submission sees it (other instances within 5 s). */
  forgetRules(): void {
    this.cached = undefined;
  }

  /**
   * Stores the arrival as received, before any rule runs, under the per-IP limit shared by every
   * instance through the arrivals table (over it: 429 with Retry-After, nothing stored).
   *
   * Over the per-sender limit the arrival is stored and held for review (`sender_rate`), never
   * refused: a sender's address is whatever the poster typed, so a 429 by address would let
   * anyone lock a stranger out for an hour and learn how often that address posted, and it told
   * a block-listed sender (whose attempts keep no address) that it was blocked, by never coming.
   * Now every sender gets the same 202 whatever the count; the per-IP limit, which blocked
   * attempts count toward like any other arrival, bounds what one address can make us store.
   */
  async receive(arrival: Omit<Arrival, 'textFingerprint' | 'postKey' | 'contentHash'>, text: string): Promise<Received> {
    const result = await this.receivePost(arrival, text);
    if ('first' in result) throw new Error('an arrival without a post key was taken as a retry');
    return result;
  }

  /**
   * A web-form post, with its key: one taken before (within 24 hours) is not stored again, and
   * `first` names it, with the hash of what the first post sent (for the caller to tell a retry
   * from a key reused with other content).
   */
  async receivePost(arrival: Omit<Arrival, 'textFingerprint'>, text: string): Promise<Received | { first: string; firstContentHash: Buffer | null }> {
    // Folded, as the per-sender limit and the eraser's lookup by address compare it.
    const senderEmail = arrival.senderEmail ? foldEmail(arrival.senderEmail) || null : null;
    const result = await this.arrivals.add({ ...arrival, senderEmail, textFingerprint: fingerprint(text) });
    if (!result.stored && 'first' in result) return { first: result.first, firstContentHash: result.firstContentHash };
    if (!result.stored) throw new ProblemException(429, 'Too many submissions from this address; please try again later.', { retryAfterSeconds: result.retryAfterSeconds });
    return { receivedAt: result.receivedAt, nearCopies: result.nearCopies, bySender: senderEmail ? result.bySender + 1 : 0 };
  }

  releasePostKey(formId: string, keyHash: Buffer, submissionId: string): Promise<void> {
    return this.repo.releasePostKey(formId, keyHash, submissionId);
  }

  purgePostKeys(): Promise<number> {
    return this.repo.purgePostKeys();
  }

  /**
   * The verdict on one submission: every signal with its weight, the score they add up to, the
   * threshold, and the versions of the rules and of the model that gave them. Held when the
   * score reaches the threshold, or when a bot trap or the block list says so alone.
   */
  /** `bySender`: the sender's arrivals in the last hour, this one included (as `receive` counted them); over the limit it is held. */
  async judge(whole: Screened, traps: FormTraps | null, nearCopies: number, receivedAt: Date, bySender = 0): Promise<Verdict> {
    const subject = screenedPart(whole);
    const rules = await this.ruleSet();
    const versions = { ruleSetVersion: rules.version, modelVersion: this.model.version };
    const threshold = this.threshold(subject.channel ?? 'web_form');
    const blocked = rules.blocked(subject.sender);
    if (blocked) return { ...versions, outcome: 'blocked', score: threshold, threshold, reasons: [blocked] };
    // A released sender is not held for content again; the bot traps and bursts still apply,
    // since anyone can type an allowed address.
    const content = rules.allowed(subject.sender) ? [] : [...rules.contentReasons({ name: subject.name, text: subject.text, fields: subject.freeText }, subject.sender.email, subject.channel), ...this.learnerReasons(subject)];
    const reasons = [...content, ...this.trapReasons(subject.fields, traps, receivedAt)];
    if (subject.text.length < whole.text.length) reasons.push({ code: 'long_text', tag: 'spam', weight: 0, evidence: { screenedCharacters: subject.text.length, characters: whole.text.length } });
    // A render token is single-use: one replayed with other content (a retry of the same post never gets here) is held.
    const token = subject.fields[RENDER_TOKEN_FIELD];
    if (traps?.minFillSeconds && !traps.relay && typeof token === 'string' && !reasons.some((r) => r.code === 'render_token_forged' || r.code === 'render_token_missing')) {
      if (!(await this.repo.claimRenderToken(traps.key, createHash('sha256').update(token).digest()))) {
        reasons.push({ code: 'render_token_reused', tag: 'spam', weight: WEIGHTS.render_token_reused, evidence: {} });
      }
    }
    if (nearCopies >= BURST_THRESHOLD) reasons.push({ code: 'burst', tag: 'spam', weight: WEIGHTS.burst, evidence: { nearCopiesInTenMinutes: nearCopies } });
    if (bySender > this.config.INTAKE_LIMIT_PER_SENDER_PER_HOUR) reasons.push({ code: 'sender_rate', tag: 'spam', decisive: true, evidence: { arrivalsInAnHour: bySender, limit: this.config.INTAKE_LIMIT_PER_SENDER_PER_HOUR } });
    const score = Math.round(reasons.reduce((sum, r) => sum + (r.weight ?? 0), 0) * 1000) / 1000;
    const held = score >= threshold || reasons.some((r) => r.decisive);
    return { ...versions, outcome: held ? 'held' : 'clean', score, threshold, reasons };
  }

  threshold(channel: ScreenedChannel): number {
    const own = { web_form: this.config.SCREENING_THRESHOLD_WEB_FORM, chatbot: this.config.SCREENING_THRESHOLD_CHATBOT, email: this.config.SCREENING_THRESHOLD_EMAIL }[channel];
    return own ?? this.config.SCREENING_THRESHOLD ?? 1;
  }

  /** The learner's view of all the free text, as one signal that can also speak for a real inquiry (a negative weight). */
  private learnerReasons(subject: Screened): Reason[] {
    const text = [subject.name, subject.text, ...Object.values(subject.freeText ?? {})].join('\n');
    if (!text.trim()) return [];
    const j = this.model.judge(text);
    if (j.known < MIN_KNOWN_WORDS) return [];
    const weight = learnerWeight(LEARNER_SIGNALS[subject.channel ?? 'web_form'], j.spamProbability);
    if (weight === 0) return [];
    return [{ code: 'learner', tag: 'spam', weight, evidence: { spamProbability: Math.round(j.spamProbability * 1000) / 1000, knownWords: j.known, modelVersion: this.model.version, words: j.strongest } }];
  }

  /**
   * A person's decision teaches the learner: a release is ham, "spam" is spam. Stored in
   * PostgreSQL (counts per hashed word), so every instance scores with the same model.
   */
  async learn(tx: EntityManager, submissionId: string, text: string, label: 'spam' | 'ham'): Promise<void> {
    await this.repo.learn(tx, submissionId, tokens(text).map(tokenKey), label);
  }

  /** Held for a person to review, or, for a blocked sender, only the attempt kept. */
  async setAside(id: string, verdict: Verdict): Promise<void> {
    if (verdict.outcome === 'blocked') await this.repo.keepOnlyTheAttempt(id, verdict);
    else await this.repo.setOutcome(id, 'held', verdict);
  }

  submission(id: string, tx?: EntityManager): Promise<IntakeSubmission | null> {
    return this.repo.findSubmission(id, tx);
  }

  /** Per form, the last day's posts and those held for a bot trap, by reason (what a broken integration looks like). */
  trapCounts(formIds: string[] | null): Promise<{ formId: string; posts: number; heldForTrap: number; byReason: Record<string, number> }[]> {
    return this.repo.trapCounts(formIds, TRAP_CODES);
  }

  /** A token the page embeds when it renders (field `_crm_rendered`): the time, signed with the form's secret. */
  renderToken(traps: FormTraps, at = Date.now()): string {
    return `${at}.${this.sign(traps, at)}`;
  }

  private trapReasons(fields: Record<string, string | string[]>, traps: FormTraps | null, receivedAt: Date): Reason[] {
    if (!traps) return [];
    const reasons: Reason[] = [];
    // Contact Form 7's Akismet honeypot carries the same fact as ours.
    const cf7Honeypot = fields[CF7_HONEYPOT];
    if (cf7Honeypot !== undefined && String(cf7Honeypot).trim() !== '') reasons.push({ code: 'honeypot_filled', tag: 'spam', decisive: true, evidence: { field: CF7_HONEYPOT } });
    if (traps.honeypotField) {
      const value = fields[traps.honeypotField];
      if (value === undefined && traps.relay) {
        // A relay may forward only the fields it knows.
      } else if (value === undefined) reasons.push({ code: 'honeypot_missing', tag: 'spam', weight: WEIGHTS.honeypot_missing, evidence: { field: traps.honeypotField } });
      else if (String(value).trim() !== '') reasons.push({ code: 'honeypot_filled', tag: 'spam', decisive: true, evidence: { field: traps.honeypotField } });
    }
    if (traps.minFillSeconds && traps.relay) {
      const seconds = traps.relay.timeOnPageSeconds;
      if (seconds !== null && seconds < traps.minFillSeconds) reasons.push({ code: 'too_fast', tag: 'spam', weight: WEIGHTS.too_fast, evidence: { seconds: Math.round(seconds * 10) / 10, minimum: traps.minFillSeconds } });
    } else if (traps.minFillSeconds) {
      const token = fields[RENDER_TOKEN_FIELD];
      const [at, signature] = typeof token === 'string' ? token.split('.') : [];
      const renderedAt = Number(at);
      const expected = Number.isFinite(renderedAt) ? this.sign(traps, renderedAt) : '';
      if (!token) reasons.push({ code: 'render_token_missing', tag: 'spam', weight: WEIGHTS.render_token_missing, evidence: {} });
      else if (!signature || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
        reasons.push({ code: 'render_token_forged', tag: 'spam', decisive: true, evidence: {} });
      } else {
        const seconds = (receivedAt.getTime() - renderedAt) / 1000;
        if (seconds < traps.minFillSeconds) reasons.push({ code: 'too_fast', tag: 'spam', weight: WEIGHTS.too_fast, evidence: { seconds: Math.round(seconds * 10) / 10, minimum: traps.minFillSeconds } });
        else if (seconds * 1000 > TOKEN_MAX_AGE_MS) reasons.push({ code: 'render_token_stale', tag: 'spam', weight: WEIGHTS.render_token_stale, evidence: { hours: Math.round(seconds / 360) / 10 } });
      }
    }
    return reasons;
  }

  private sign(traps: FormTraps, at: number): string {
    return createHmac('sha256', traps.signingSecret).update(`render:${traps.key}:${at}`).digest('base64url');
  }

  /** For staff-entered data: not held for its content, but a block-list or disposable-address match shows as a warning. */
  async warningsFor(sender: Sender): Promise<string[]> {
    const rules = await this.ruleSet();
    const warnings: string[] = [];
    const blocked = rules.blocked(sender);
    if (blocked) warnings.push(`On the block list (${blocked.tag}, ${String(blocked.evidence.type)})`);
    if (rules.contentReasons({ name: '', text: '' }, sender.email).some((r) => r.code === 'disposable_email')) warnings.push('Disposable e-mail address');
    return warnings;
  }
}

/**
 * At most this much of a message is screened: every rule reads the text once, and a 5 MB mail
 * took two seconds of the event loop. A real inquiry is far shorter (a web form's field is at
 * most 20,000 characters); a longer one is screened on its start, and the reviewer sees that
 * it was (`long_text`, weighing nothing).
 */
export const SCREENED_TEXT_MAX = 100_000;

function screenedPart(subject: Screened): Screened {
  return subject.text.length <= SCREENED_TEXT_MAX ? subject : { ...subject, text: subject.text.slice(0, SCREENED_TEXT_MAX) };
}
