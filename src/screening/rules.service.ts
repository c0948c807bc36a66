import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { invalidField } from '../common/problem-details';
import { normaliseEmail, normalisePhone } from '../domain/identity';
import { isIP } from 'node:net';
import type { DryRunDto, DryRunView, RuleDto, RuleView, SenderDto, SenderView } from './dto/screening.dto';
import { ScreeningRule } from './entities/screening-rule.entity';
import { SenderListEntry } from './entities/sender-list-entry.entity';
import { compileRegexRule, DEFAULT_RULE_WEIGHT } from './rule-set';
import { ScreeningRepository } from './screening.repository';
import { ScreeningService } from './screening.service';

const invalid = (field: string, message: string) => invalidField(field, message, message);

/** Admins keep the rules and the sender lists; a dry run shows what would fire. */
@Injectable()
export class RulesService {
  constructor(
    private readonly repo: ScreeningRepository,
    private readonly screening: ScreeningService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async rules(): Promise<RuleView[]> {
    return (await this.repo.rules()).map(({ id, kind, pattern, tag, weight, updatedAt }) => ({ id, kind, pattern, tag, weight, updatedAt }));
  }

  async createRule(actor: Actor, dto: RuleDto): Promise<RuleView> {
    this.assertUsable(dto);
    const rule = await this.repo.transaction(async (tx) => {
      const saved = await tx.save(ScreeningRule, tx.create(ScreeningRule, { ...dto, weight: dto.weight ?? DEFAULT_RULE_WEIGHT, createdBy: actor.id }));
      await this.audit.record(actor, { action: 'screening_rule.created', entityType: 'screening_rule', entityId: saved.id, after: { ...dto } }, tx);
      return saved;
    });
    this.screening.forgetRules();
    return { id: rule.id, kind: rule.kind, pattern: rule.pattern, tag: rule.tag, weight: rule.weight, updatedAt: rule.updatedAt };
  }

  async updateRule(actor: Actor, id: string, dto: RuleDto): Promise<RuleView> {
    this.assertUsable(dto);
    const rule = await this.repo.transaction(async (tx) => {
      const before = await tx.findOne(ScreeningRule, { where: { id } });
      if (!before) throw new NotFoundException('There is no such rule.');
      const saved = await tx.save(ScreeningRule, { ...before, ...dto, weight: dto.weight ?? before.weight });
      await this.audit.record(actor, { action: 'screening_rule.updated', entityType: 'screening_rule', entityId: id, before: { kind: before.kind, pattern: before.pattern, tag: before.tag, weight: before.weight }, after: { ...dto } }, tx);
      return saved;
    });
    this.screening.forgetRules();
    return { id: rule.id, kind: rule.kind, pattern: rule.pattern, tag: rule.tag, weight: rule.weight, updatedAt: rule.updatedAt };
  }

  async deleteRule(actor: Actor, id: string): Promise<void> {
    await this.repo.transaction(async (tx) => {
      const before = await tx.findOne(ScreeningRule, { where: { id } });
      if (!before) throw new NotFoundException('There is no such rule.');
      await tx.delete(ScreeningRule, { id });
      await this.audit.record(actor, { action: 'screening_rule.deleted', entityType: 'screening_rule', entityId: id, before: { kind: before.kind, pattern: before.pattern, tag: before.tag } }, tx);
    });
    this.screening.forgetRules();
  }

  async senders(): Promise<SenderView[]> {
    return (await this.repo.senders()).map((e) => ({ ...e }));
  }

  async addSender(actor: Actor, dto: SenderDto): Promise<SenderView> {
    const value = this.normalise(dto);
    if (dto.list === 'allow' && !['email', 'phone'].includes(dto.type)) throw invalid('type', 'the allow list takes e-mail addresses and phone numbers');
    const entry = await this.repo.transaction(async (tx) => {
      const saved = await this.repo.listSender(tx, { list: dto.list, type: dto.type, value, tag: dto.list === 'block' ? (dto.tag ?? 'spam') : null, reason: dto.reason ?? null, createdBy: actor.id, expiresAt: dto.expiresAt ?? null });
      await this.audit.record(actor, { action: `sender.${dto.list}ed`, entityType: 'sender_list_entry', entityId: saved.id, after: { list: dto.list, type: dto.type, value, tag: saved.tag, expiresAt: saved.expiresAt } }, tx);
      return saved;
    });
    this.screening.forgetRules();
    return { ...entry };
  }

  async removeSender(actor: Actor, id: string): Promise<void> {
    await this.repo.transaction(async (tx) => {
      const before = await tx.findOne(SenderListEntry, { where: { id } });
      if (!before) throw new NotFoundException('There is no such entry.');
      await tx.delete(SenderListEntry, { id });
      await this.audit.record(actor, { action: 'sender.removed', entityType: 'sender_list_entry', entityId: id, before: { list: before.list, type: before.type, value: before.value } }, tx);
    });
    this.screening.forgetRules();
  }

  /** What the rules in force would say about a sample, changing nothing. */
  async dryRun(dto: DryRunDto): Promise<DryRunView> {
    const verdict = await this.screening.judge(
      { sender: { email: dto.email ? normaliseEmail(dto.email) : null, phone: dto.phone ?? null, ip: dto.ip ?? null }, name: dto.name ?? '', text: dto.text ?? '', fields: {} },
      null,
      0,
      new Date(),
    );
    return { outcome: verdict.outcome, score: verdict.score ?? 0, threshold: verdict.threshold ?? 0, reasons: verdict.reasons, ruleSetVersion: verdict.ruleSetVersion, modelVersion: verdict.modelVersion ?? '' };
  }

  /**
   * A pattern the linear-time engine (RE2) cannot compile is refused, naming the problem:
   * a syntax error, or a feature RE2 leaves out because it needs backtracking
   * (backreferences like `\1`, lookahead and lookbehind).
   */
  private assertUsable(dto: RuleDto): void {
    if (dto.kind !== 'regex') return;
    try {
      compileRegexRule(dto.pattern);
    } catch (err) {
      throw invalid('pattern', `The regular expression does not compile in the linear-time engine (RE2 syntax; no backreferences or lookaround): ${(err as Error).message}`);
    }
  }

  private normalise(dto: SenderDto): string {
    const v = dto.value.trim();
    switch (dto.type) {
      case 'email': {
        const email = normaliseEmail(v);
        if (!email) throw invalid('value', 'must be an e-mail address');
        return email;
      }
      case 'email_domain':
        if (!/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(v)) throw invalid('value', 'must be a domain like example.com');
        return v.toLowerCase();
      case 'ip':
        if (!isIP(v)) throw invalid('value', 'must be an IPv4 or IPv6 address');
        return v;
      case 'cidr': {
        const [address, prefix] = v.split('/');
        const max = isIP(address) === 6 ? 128 : 32;
        if (!isIP(address) || !/^\d+$/.test(prefix ?? '') || Number(prefix) > max) throw invalid('value', 'must be a range like 203.0.113.0/24');
        return v;
      }
      case 'phone': {
        const phone = normalisePhone(v, this.config.DEFAULT_PHONE_REGION);
        if (!phone) throw invalid('value', 'must be a phone number');
        return phone;
      }
      case 'skype':
        return v.toLowerCase();
    }
  }
}
