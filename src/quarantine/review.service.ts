import { runAsSystem } from '../access/access-context';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ChatbotIntakeService } from '../intake/chatbot/chatbot-intake.service';
import { IntakeFormsService } from '../intake/forms/intake-forms.service';
import { MailIntakeService } from '../intake/mail/mail-intake.service';
import type { DecideDto, DecisionResultView, HeldItemView, HeldQuery } from './dto/quarantine.dto';
import type { IntakeSubmission } from '../screening/entities/intake-submission.entity';
import { ScreeningRepository } from '../screening/screening.repository';
import { ScreeningService } from '../screening/screening.service';

const toItem = (s: IntakeSubmission): HeldItemView => ({
  id: s.id,
  formId: s.formId,
  receivedAt: s.receivedAt,
  fields: s.fields,
  reasons: s.verdict?.reasons ?? [],
  score: s.verdict?.score ?? null,
  threshold: s.verdict?.threshold ?? null,
  modelVersion: s.verdict?.modelVersion ?? null,
  highlights: [...new Set((s.verdict?.reasons ?? []).flatMap((r) => (Array.isArray(r.evidence.matches) ? (r.evidence.matches as string[]) : [])))],
  ruleSetVersion: s.verdict?.ruleSetVersion ?? '',
});

/** The words of a held submission, as the learner reads them: every submitted value but the form's own tokens. */
const textOf = (fields: Record<string, unknown>): string =>
  Object.entries(fields)
    .filter(([k, v]) => !k.startsWith('_crm') && v !== null && v !== undefined)
    .map(([, v]) => (Array.isArray(v) ? v.join(' ') : String(v)))
    .join('\n');

/** Quarantine: staff look at what screening held, and decide. Every decision is logged. */
@Injectable()
export class ReviewService {
  constructor(
    private readonly repo: ScreeningRepository,
    private readonly screening: ScreeningService,
    private readonly forms: IntakeFormsService,
    private readonly chatbot: ChatbotIntakeService,
    private readonly mail: MailIntakeService,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async held(query: HeldQuery): Promise<Page<HeldItemView>> {
    const before = decodeCursor(query.cursor) as [string, string] | undefined;
    const rows = await this.repo.held({ formId: query.formId, reason: query.reason, from: query.from, to: query.to, before, limit: query.limit + 1 });
    const page = toPage(rows, query.limit, (s) => [s.receivedAt.toISOString(), s.id]);
    return { items: page.items.map(toItem), nextCursor: page.nextCursor };
  }

  /** One by one or in bulk; each submission is decided on its own, so one that cannot be does not stop the rest. */
  async decide(actor: Actor, dto: DecideDto): Promise<DecisionResultView[]> {
    const results: DecisionResultView[] = [];
    for (const id of [...new Set(dto.ids)]) {
      try {
        results.push({ id, outcome: await this.decideOne(actor, id, dto) });
      } catch (err) {
        const detail = (err as { response?: { detail?: string } }).response?.detail;
        results.push({ id, outcome: `failed: ${detail ?? 'an unexpected error; nothing was changed'}` });
      }
    }
    this.screening.forgetRules(); // allow and block lists may have changed
    return results;
  }

  /** The decision, its log, the list entries and (for a release) the capture commit together, or none of them. */
  private async decideOne(actor: Actor, id: string, dto: DecideDto): Promise<string> {
    let notify: (() => Promise<void>) | undefined;
    const decided = await this.repo.transaction(async (tx) => {
      const s = await this.repo.findSubmission(id, tx, true);
      if (!s) return 'not found';
      if (s.status !== 'held') return `not held (${s.status})`;
      const to = dto.decision === 'release' ? 'released' : 'spam';
      await this.repo.decide(tx, id, 'held', to, actor.id!, dto.comment ?? null);
      const sender = s.senderEmail;
      if (dto.decision === 'release') {
        // Processed as if it had passed, keeping its original time; its capture takes the submission's id.
        const channel = s.channel === 'chatbot' ? this.chatbot : s.channel === 'email' ? this.mail : this.forms;
        notify = await channel.reprocess(id, s.verdict!, tx);
        // Released senders are not held for their content again.
        if (sender) await this.repo.listSender(tx, { list: 'allow', type: 'email', value: sender, tag: null, reason: `Released from quarantine (${id})`, createdBy: actor.id, expiresAt: null });
      }
      if (dto.decision === 'spam_and_block' && sender) {
        // The sender's address. Not the IP: addresses are shared (offices, mobile networks); an admin blocks IPs and ranges deliberately.
        const tag = dto.blockAs ?? 'spam';
        await this.repo.listSender(tx, { list: 'block', type: 'email', value: sender, tag, reason: `Confirmed ${tag} in review (${id})`, createdBy: actor.id, expiresAt: null });
      }
      // The person's decision teaches the learner (a release is ham, spam is spam), in the same transaction.
      await this.screening.learn(tx, id, textOf(s.fields), to === 'released' ? 'ham' : 'spam');
      await this.audit.record(actor, { action: `submission.${to}`, entityType: 'intake_submission', entityId: id, before: { status: 'held' }, after: { status: to, decision: dto.decision } }, tx);
      return to;
    });
    if (notify) void notify();
    return decided;
  }

  /**
   * Held items nobody reviewed and confirmed spam go after QUARANTINE_RETENTION_DAYS; so do chat
   * messages from visitors who never said who they are; and web-form post keys past their 24 hours.
   */
  purge(): Promise<number> {
    return runAsSystem('quarantine purge', async () => (await this.repo.purge(this.config.QUARANTINE_RETENTION_DAYS)) + (await this.chatbot.purgeUnclaimed()) + (await this.forms.purgePostKeys()) + (await this.mail.purgeSkipped(this.config.QUARANTINE_RETENTION_DAYS)));
  }
}
