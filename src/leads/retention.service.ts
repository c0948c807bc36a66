import { Injectable } from '@nestjs/common';
import { runAsSystem } from '../access/access-context';
import { SYSTEM_ACTOR } from '../domain/actor';
import { LeadsService } from './leads.service';
import { AuditService } from '../audit/audit.service';
import type { AuditEntry } from '../audit/entities/audit-entry.entity';
import type { Page } from '../common/pagination';

export const SWEEP_ACTION = 'retention.sweep';

export interface SweepReport {
  asOf: string;
  /** Per channel: captures whose own data went, and persons erased (counted once per channel they came through). */
  capturesEmptied: Record<string, number>;
  personsErased: Record<string, number>;
  batches: number;
}

/**
 * The daily sweep (policy 8): expired captures lose their personal data, then persons with no
 * running clock are erased by leads' one eraser. Bounded batches, each committed on its own, so
 * intake keeps its speed and a sweep stopped half-way resumes where it stopped: each batch looks
 * afresh for what is still due.
 */
@Injectable()
export class RetentionService {
  static readonly BATCH = 500;

  constructor(
    private readonly leads: LeadsService,
    private readonly audit: AuditService,
  ) {}

  /** What a sweep on `asOf` would remove, by channel and action; changes nothing. */
  async preview(asOf: Date): Promise<{ asOf: string; items: { channel: string; action: string; count: number }[] }> {
    return { asOf: asOf.toISOString(), items: await runAsSystem('retention preview', () => this.leads.retentionPreview(asOf)) };
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
    const report: SweepReport = { asOf: asOf.toISOString(), capturesEmptied: {}, personsErased: {}, batches: 0 };
    const add = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
    await runAsSystem('retention sweep', async () => {
      for (let more = true; more && report.batches < maxBatches; report.batches++) {
        const done = await this.leads.emptyExpiredCaptures(asOf, batch);
        for (const c of done) add(report.capturesEmptied, c.source);
        more = done.length === batch;
      }
      for (let more = true; more && report.batches < maxBatches; report.batches++) {
        const done = await this.leads.eraseDuePersons(SYSTEM_ACTOR, asOf, batch);
        for (const p of done) for (const source of p.sources) add(report.personsErased, source);
        more = done.length === batch;
      }
      // The run's report, in the audit log (counts only: nothing personal).
      await this.audit.record(SYSTEM_ACTOR, { action: SWEEP_ACTION, entityType: 'retention_run', after: { ...report } });
    });
    return report;
  }
}
