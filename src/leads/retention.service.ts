import { Injectable, NotFoundException } from '@nestjs/common';
import { runAsSystem } from '../access/access-context';
import { invalidField } from '../common/problem-details';
import { SYSTEM_ACTOR, type Actor } from '../domain/actor';
import type { LegalHold } from './entities/legal-hold.entity';
import { LeadsRepository, type DueKey } from './leads.repository';
import { LeadsService } from './leads.service';
import { AuditService } from '../audit/audit.service';
import type { AuditEntry } from '../audit/entities/audit-entry.entity';
import type { Page } from '../common/pagination';

export const SWEEP_ACTION = 'retention.sweep';

export interface SweepReport {
  asOf: string;
  /**
   * Per channel: captures whose own data went while another clock keeps their person, and
   * persons erased, their captures with them (counted once per channel they came through).
   */
  capturesEmptied: Record<string, number>;
  personsErased: Record<string, number>;
  /** Held past their clocks: persons per hold reason ("retained, with reason"). */
  retained: { reason: string; until: Date; persons: number }[];
  batches: number;
}

export interface HoldInput {
  personId?: string;
  companyId?: string;
  reason: string;
  until: Date;
}

/**
 * The daily sweep (policy 8): expired captures lose their personal data, then persons with no
 * running clock are erased by leads' one eraser. Bounded batches, each committed on its own, so
 * intake keeps its speed and a sweep stopped half-way resumes where it stopped: each batch looks
 * afresh for what is still due.
 */
@Injectable()
export class RetentionService {
  static readonly BATCH = 2000;

  constructor(
    private readonly leads: LeadsService,
    private readonly repo: LeadsRepository,
    private readonly audit: AuditService,
  ) {}

  /** What a sweep on `asOf` would remove, by channel and action, and what holds keep; changes nothing. */
  async preview(asOf: Date): Promise<{ asOf: string; items: { channel: string; action: string; count: number }[]; retained: SweepReport['retained'] }> {
    return runAsSystem('retention preview', async () => ({ asOf: asOf.toISOString(), items: await this.leads.retentionPreview(asOf), retained: await this.repo.retainedUnderHold(asOf) }));
  }

  /**
   * A legal hold (policy 8): a person, or a company and its people, kept past their clocks
   * until a date, for a reason; audited. An admin or the DPO places it.
   */
  async placeHold(actor: Actor, input: HoldInput): Promise<LegalHold> {
    if (Boolean(input.personId) === Boolean(input.companyId)) throw invalidField('personId', 'name either a person (personId) or a company (companyId)');
    if (input.until.getTime() <= Date.now()) throw invalidField('until', 'must be in the future');
    const exists = await runAsSystem('legal hold', async () => (input.personId ? (await this.repo.findById(input.personId)) !== null : (await this.repo.findCompany(input.companyId!)) !== null));
    if (!exists) throw invalidField(input.personId ? 'personId' : 'companyId', `there is no such ${input.personId ? 'person' : 'company'}`);
    return this.repo.transaction(async (tx) => {
      const hold = await this.repo.insertHold(tx, { personId: input.personId ?? null, companyId: input.companyId ?? null, reason: input.reason, until: input.until, createdBy: actor.id });
      await this.audit.record(actor, { action: 'legal_hold.placed', entityType: input.personId ? 'person' : 'company', entityId: (input.personId ?? input.companyId)!, after: { holdId: hold.id, reason: hold.reason, until: hold.until } }, tx);
      return hold;
    });
  }

  holds(all = false): Promise<LegalHold[]> {
    return this.repo.holds(all);
  }

  /** Ends a hold early (the dispute settled); what it kept is due at the next sweep. */
  async endHold(actor: Actor, id: string): Promise<LegalHold> {
    return this.repo.transaction(async (tx) => {
      const hold = await this.repo.endHold(tx, id, actor.id);
      if (!hold) throw new NotFoundException('There is no such hold.');
      await this.audit.record(actor, { action: 'legal_hold.ended', entityType: hold.personId ? 'person' : 'company', entityId: (hold.personId ?? hold.companyId)!, after: { holdId: hold.id, endedAt: hold.endedAt } }, tx);
      return hold;
    });
  }

  /** Past sweeps' reports, newest first, as the audit log keeps them. */
  runs(limit: number, cursor?: string): Promise<Page<AuditEntry>> {
    return this.audit.query({ action: SWEEP_ACTION, entityType: 'retention_run', limit, cursor });
  }

  /** `asOf` is the clock (tests move it day by day); `maxBatches` stops a sweep early, as an interruption would. */
  async sweep(options: { asOf?: Date; batch?: number; maxBatches?: number } = {}): Promise<SweepReport> {
    const batch = options.batch ?? RetentionService.BATCH;
    const maxBatches = options.maxBatches ?? Infinity;
    const asOf = options.asOf ?? new Date();
    const report: SweepReport = { asOf: asOf.toISOString(), capturesEmptied: {}, personsErased: {}, retained: [], batches: 0 };
    const add = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
    await runAsSystem('retention sweep', async () => {
      report.retained = await this.repo.retainedUnderHold(asOf);
      // Each walk goes on from where its last batch stopped; an interrupted sweep starts its walks
      // again from the oldest, and finds only what is still due. Persons with no running clock
      // first: their captures go with them, and the captures' walk then empties only those of
      // persons another clock keeps.
      for (let at: DueKey | null = null, more = true; more && report.batches < maxBatches; report.batches++) {
        const { due, next } = await this.leads.eraseDuePersons(SYSTEM_ACTOR, asOf, batch, at);
        for (const p of due) for (const source of p.sources) add(report.personsErased, source);
        [at, more] = [next, next !== null];
      }
      for (let at: DueKey | null = null, more = true; more && report.batches < maxBatches; report.batches++) {
        const { due, next } = await this.leads.emptyExpiredCaptures(asOf, batch, at);
        for (const c of due) add(report.capturesEmptied, c.source);
        [at, more] = [next, next !== null];
      }
      // The run's report, in the audit log (counts only: nothing personal).
      await this.audit.record(SYSTEM_ACTOR, { action: SWEEP_ACTION, entityType: 'retention_run', after: { ...report } });
    });
    return report;
  }
}
