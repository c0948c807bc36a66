import type { LockedRule } from './leads.repository';

/**
 * Chooses the owners of one batch's new leads by their form's rule, else their channel's: the
 * fixed person, the next in turn, or the one with the fewest open leads (counting those this
 * batch gives them). Round-robin turns taken are written back in the batch's transaction.
 */
export class OwnerAssigner {
  private readonly byForm = new Map<string, LockedRule>();
  private readonly byChannel = new Map<string, LockedRule>();
  private readonly turns = new Map<string, number>();

  constructor(rules: LockedRule[]) {
    for (const r of rules) {
      if (r.formId) this.byForm.set(r.formId, r);
      if (r.channel) this.byChannel.set(r.channel, r);
    }
  }

  /** The owner for a new lead of this form or channel, or null (no rule, or nobody left to choose). */
  ownerFor(formId: string | null | undefined, channel: string): string | null {
    const rule = (formId && this.byForm.get(formId)) || this.byChannel.get(channel);
    if (!rule || !rule.candidates.length) return null;
    if (rule.mode === 'fixed') return rule.candidates[0];
    if (rule.mode === 'round_robin') {
      const taken = this.turns.get(rule.id) ?? 0;
      this.turns.set(rule.id, taken + 1);
      return rule.candidates[(rule.nextIndex + taken) % rule.candidates.length];
    }
    const least = rule.candidates.reduce((best, id) => (rule.open[id] < rule.open[best] ? id : best));
    rule.open[least]++;
    return least;
  }

  /** Round-robin turns this batch took, per rule. */
  turnsTaken(): { id: string; by: number }[] {
    return [...this.turns].map(([id, by]) => ({ id, by }));
  }
}
