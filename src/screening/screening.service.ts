import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { runAsSystem } from '../access/access-context';
import { ArrivalBatcher } from '../common/arrival-batcher';
import { ProblemException } from '../common/problem-details';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { IntakeSubmission } from './entities/intake-submission.entity';
import type { Reason, Verdict } from '../domain/verdict';
import { BURST_THRESHOLD, RuleSet, type Sender } from './rule-set';
import { ScreeningRepository, type Arrival, type ArrivalResult } from './screening.repository';
import { fingerprint } from './text';

export const RENDER_TOKEN_FIELD = '_crm_rendered';
const RULES_CACHE_MS = 5_000;
const TOKEN_MAX_AGE_MS = 24 * 3_600_000;

/** The bot traps a web form may set. */
export interface FormTraps {
  key: string;
  signingSecret: string;
  honeypotField: string | null;
  minFillSeconds: number | null;
}

export interface Screened {
  sender: Sender;
  name: string;
  text: string;
  fields: Record<string, string | string[]>;
}

/**
 * Screening labels and routes; a person decides (policy 8: no automated decisions). A sender
 * someone put on the block list is blocked at the server; anything else suspicious is held for
 * review; clean submissions go straight through. The sender sees the same 202 either way.
 */
@Injectable()
export class ScreeningService {
  private cached?: { rules: RuleSet; until: number };
  /** Arrivals of the same moment are stored together (one statement, one commit); counting them is the system's job. */
  private readonly arrivals = new ArrivalBatcher<Arrival, ArrivalResult>((batch) =>
    runAsSystem('intake', () =>
      this.repo.receive(batch, { perIpPerMinute: this.config.INTAKE_LIMIT_PER_IP_PER_MINUTE, perEmailPerHour: this.config.INTAKE_LIMIT_PER_SENDER_PER_HOUR }),
    ),
  );

  constructor(
    private readonly repo: ScreeningRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async ruleSet(): Promise<RuleSet> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.rules;
    const rules = new RuleSet(await this.repo.rules(), await this.repo.senders());
    this.cached = { rules, until: Date.now() + RULES_CACHE_MS };
    return rules;
  }

  /** After a rule or list change here: the next submission sees it (other instances within 5 s). */
  forgetRules(): void {
    this.cached = undefined;
  }

  /**
   * Stores the arrival as received (under the per-IP and per-sender limits, shared by every
   * instance through the arrivals table), before any rule runs. Over a limit: 429, nothing stored.
   */
  async receive(arrival: Omit<Arrival, 'textFingerprint'>, text: string): Promise<{ receivedAt: Date; nearCopies: number }> {
    const result = await this.arrivals.add({ ...arrival, textFingerprint: fingerprint(text) });
    if (!result.stored) {
      throw new ProblemException(429, `Too many submissions from this ${result.limit === 'ip' ? 'address' : 'sender'}; please try again later.`, { retryAfterSeconds: result.retryAfterSeconds });
    }
    return result;
  }

  /** The verdict on one submission: every reason, and the version of the rules that gave them. */
  async judge(subject: Screened, traps: FormTraps | null, nearCopies: number, receivedAt: Date): Promise<Verdict> {
    const rules = await this.ruleSet();
    const blocked = rules.blocked(subject.sender);
    if (blocked) return { ruleSetVersion: rules.version, outcome: 'blocked', reasons: [blocked] };
    // A released sender is not held for content again; the bot traps and bursts still apply,
    // since anyone can type an allowed address.
    const content = rules.allowed(subject.sender) ? [] : rules.contentReasons({ name: subject.name, text: subject.text }, subject.sender.email);
    const reasons = [...content, ...this.trapReasons(subject.fields, traps, receivedAt)];
    if (nearCopies >= BURST_THRESHOLD) reasons.push({ code: 'burst', tag: 'spam', evidence: { nearCopiesInTenMinutes: nearCopies } });
    return { ruleSetVersion: rules.version, outcome: reasons.length ? 'held' : 'clean', reasons };
  }

  /** Held for a person to review, or, for a blocked sender, only the attempt kept. */
  async setAside(id: string, verdict: Verdict): Promise<void> {
    if (verdict.outcome === 'blocked') await this.repo.keepOnlyTheAttempt(id, verdict);
    else await this.repo.setOutcome(id, 'held', verdict);
  }

  submission(id: string, tx?: EntityManager): Promise<IntakeSubmission | null> {
    return this.repo.findSubmission(id, tx);
  }

  /** A token the page embeds when it renders (field `_crm_rendered`): the time, signed with the form's secret. */
  renderToken(traps: FormTraps, at = Date.now()): string {
    return `${at}.${this.sign(traps, at)}`;
  }

  private trapReasons(fields: Record<string, string | string[]>, traps: FormTraps | null, receivedAt: Date): Reason[] {
    if (!traps) return [];
    const reasons: Reason[] = [];
    if (traps.honeypotField) {
      const value = fields[traps.honeypotField];
      if (value === undefined) reasons.push({ code: 'honeypot_missing', tag: 'spam', evidence: { field: traps.honeypotField } });
      else if (String(value).trim() !== '') reasons.push({ code: 'honeypot_filled', tag: 'spam', evidence: { field: traps.honeypotField } });
    }
    if (traps.minFillSeconds) {
      const token = fields[RENDER_TOKEN_FIELD];
      const [at, signature] = typeof token === 'string' ? token.split('.') : [];
      const renderedAt = Number(at);
      const expected = Number.isFinite(renderedAt) ? this.sign(traps, renderedAt) : '';
      if (!token) reasons.push({ code: 'render_token_missing', tag: 'spam', evidence: {} });
      else if (!signature || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
        reasons.push({ code: 'render_token_forged', tag: 'spam', evidence: {} });
      } else {
        const seconds = (receivedAt.getTime() - renderedAt) / 1000;
        if (seconds < traps.minFillSeconds) reasons.push({ code: 'too_fast', tag: 'spam', evidence: { seconds: Math.round(seconds * 10) / 10, minimum: traps.minFillSeconds } });
        else if (seconds * 1000 > TOKEN_MAX_AGE_MS) reasons.push({ code: 'render_token_stale', tag: 'spam', evidence: { hours: Math.round(seconds / 360) / 10 } });
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
