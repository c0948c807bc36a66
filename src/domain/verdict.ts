/** Where a screened arrival stands, and why: the words the screening, the quarantine and the intake share. */
export const SUBMISSION_STATUSES = ['received', 'accepted', 'held', 'blocked', 'released', 'spam'] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export interface Reason {
  code: string;
  tag?: 'spam' | 'swindler' | 'misleading';
  /** What matched: words, the blocklist entry, the number of links ... */
  evidence: Record<string, unknown>;
}

export interface Verdict {
  ruleSetVersion: string;
  outcome: 'clean' | 'held' | 'blocked';
  reasons: Reason[];
}
