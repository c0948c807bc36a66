import { Injectable } from '@nestjs/common';
import type { ConsentPurpose, InquiryType, IntakeSource, LegalBasis } from '../domain/purposes';
import type { PolicyVersion, Retention } from './policy.types';
import { CURRENT_POLICY_VERSION_ID, POLICY_VERSIONS } from './versions';

/** A value the caller names, checked: input from a request must not reach inherited properties or fall through as undefined. */
function own<K extends string, V>(record: Readonly<Record<K, V>>, key: K, what: string): V {
  if (!Object.hasOwn(record, key)) throw new Error(`Unknown ${what} '${key}'`);
  return record[key];
}

/**
 * Answers what the privacy policy says, for the current version or the one a record was captured
 * under. Pure: the versions are data in `versions/`, nothing is read from the database.
 */
@Injectable()
export class PolicyService {
  private readonly byId = new Map(POLICY_VERSIONS.map((v) => [v.id, v]));

  /** The version new captures are taken under. */
  current(): PolicyVersion {
    return this.version(CURRENT_POLICY_VERSION_ID);
  }

  /** A version by id; an unknown id is a bug (or a record from a policy nobody encoded), never a silent default. */
  version(id: string): PolicyVersion {
    const found = this.byId.get(id);
    if (!found) throw new Error(`Unknown privacy policy version '${id}'; known versions: ${[...this.byId.keys()].join(', ')}`);
    return found;
  }

  legalBasisFor(inquiryType: InquiryType, versionId?: string): LegalBasis {
    return own(this.pick(versionId).inquiryTypes, inquiryType, 'inquiry type').legalBasis;
  }

  retentionFor(source: IntakeSource, versionId?: string): Retention {
    const { years, anchor, section } = own(this.pick(versionId).channels, source, 'intake source').retention;
    return { years, anchor, section };
  }

  /**
   * When a record's clock runs out: the anchor date plus the channel's years, in calendar years
   * (UTC). A 29 February anchor falls due on 28 February of a common year, never a day late.
   */
  retentionDue(source: IntakeSource, anchorDate: Date, versionId?: string): Date {
    if (!(anchorDate instanceof Date) || Number.isNaN(anchorDate.getTime())) throw new Error('retentionDue needs a valid anchor date');
    const { years } = this.retentionFor(source, versionId);
    const year = anchorDate.getUTCFullYear() + years;
    const month = anchorDate.getUTCMonth();
    const lastDayOfMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const due = new Date(anchorDate.getTime());
    due.setUTCFullYear(year, month, Math.min(anchorDate.getUTCDate(), lastDayOfMonth));
    return due;
  }

  /** The words the person was shown for a consent purpose, verbatim from the policy version. */
  consentWording(purpose: ConsentPurpose, versionId?: string): string {
    return own(this.pick(versionId).consent.purposes, purpose, 'consent purpose').wording;
  }

  /** Below this age the firm does not knowingly collect data, and deletes what it learns it holds (12). */
  minimumAge(versionId?: string): number {
    return this.pick(versionId).minimumAge.years;
  }

  private pick(versionId?: string): PolicyVersion {
    return versionId === undefined ? this.current() : this.version(versionId);
  }
}
