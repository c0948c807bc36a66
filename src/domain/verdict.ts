/** Where a screened arrival stands, and why: the words the screening, the quarantine and the intake share. */
export const SUBMISSION_STATUSES = ['received', 'accepted', 'held', 'blocked', 'released', 'spam'] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

/** One signal the screening saw: its weight counts toward the threshold; a decisive one (a bot trap, the block list) decides alone. */
export interface Reason {
  code: string;
  tag?: 'spam' | 'swindler' | 'misleading';
  /** What it adds to the score (negative: evidence the text is a real inquiry). Absent on verdicts stored before scores. */
  weight?: number;
  decisive?: boolean;
  /** What matched: words, the blocklist entry, the number of links ... */
  evidence: Record<string, unknown>;
}

export interface Verdict {
  ruleSetVersion: string;
  /** The learner's model: the shipped file's version and the decisions it has learned since. */
  modelVersion?: string;
  outcome: 'clean' | 'held' | 'blocked';
  /** The sum of the signals' weights, and what it had to reach to hold. */
  score?: number;
  threshold?: number;
  /** Every signal, each with its weight and evidence, including those that did not hold it alone. */
  reasons: Reason[];
}
