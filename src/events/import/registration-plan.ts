import type { ImportCounts } from '../entities/event-import.entity';
import type { KnownPerson } from '../event-imports.repository';
import type { Attendee } from './attendee-row';

export const zeroCounts = (): ImportCounts => ({ rows: 0, newPersons: 0, matchedPersons: 0, registrations: 0, alreadyRegistered: 0, notAttending: 0, duplicateRows: 0, rejectedRows: 0 });

export function addCounts(a: ImportCounts, b: Partial<ImportCounts>): ImportCounts {
  const sum = { ...a };
  for (const [k, v] of Object.entries(b) as [keyof ImportCounts, number][]) sum[k] += v;
  return sum;
}

/**
 * The people a file has named so far, by the identity rules of src/leads (e-mail first; a line
 * without one is the person with its phone). A later line about the same person is a duplicate,
 * in the dry run and the import alike. Memory grows with the number of distinct people, bounded
 * by the upload size limit.
 */
export class FileIdentities {
  private readonly emails = new Set<string>();
  private readonly phones = new Set<string>();

  /** True when an earlier line named this person; otherwise remembers them. */
  seen(a: Attendee): boolean {
    if (a.email ? this.emails.has(a.email) : this.phones.has(a.phone!)) return true;
    if (a.email) this.emails.add(a.email);
    if (a.phone) this.phones.add(a.phone);
    return false;
  }
}

/** The advisory-lock keys LeadsService takes for the same identities, sorted the same way. */
export function identityKeys(attendees: Attendee[]): string[] {
  const keys = new Set<string>();
  for (const a of attendees) {
    if (a.email) keys.add(`person:email:${a.email}`);
    if (a.phone) keys.add(`person:phone:${a.phone}`);
  }
  return [...keys].sort();
}

export interface BatchPlan {
  created: Attendee[];
  matched: { attendee: Attendee; known: KnownPerson }[];
  alreadyRegistered: number;
  duplicates: number;
}

/**
 * Who each line of a batch is: an existing person (by e-mail, else the person LeadsService would
 * pick for the phone: with an e-mail given, only someone known by phone alone), or someone new.
 * Already registered for the event, or named twice (in the batch, or by an earlier batch of
 * the same import): nothing to do.
 */
export function planBatch(attendees: Attendee[], found: KnownPerson[], importId?: string): BatchPlan {
  const byEmail = new Map<string, KnownPerson>();
  const byPhone = new Map<string, KnownPerson>();
  for (const k of found) {
    if (k.fields.email) byEmail.set(k.fields.email, k);
    if (k.phoneTop && k.fields.phone) byPhone.set(k.fields.phone, k);
  }
  const plan: BatchPlan = { created: [], matched: [], alreadyRegistered: 0, duplicates: 0 };
  const taken = new Set<string>();
  const newPhoneOnly = new Set<string>();
  for (const a of attendees) {
    let known = a.email ? byEmail.get(a.email) : undefined;
    if (!known && a.phone) {
      const top = byPhone.get(a.phone);
      if (top && (!a.email || top.fields.email === null)) known = top;
    }
    if (known) {
      // Registered by this import (an earlier batch): a later line about the same person.
      if (taken.has(known.id) || (importId && known.registeredBy === importId)) plan.duplicates++;
      else if (known.registered) {
        taken.add(known.id);
        plan.alreadyRegistered++;
      } else {
        taken.add(known.id);
        plan.matched.push({ attendee: a, known });
      }
      continue;
    }
    // Someone new, known only by this phone, made from an earlier line of this batch: the same person.
    if (a.phone && newPhoneOnly.has(a.phone)) {
      plan.duplicates++;
      continue;
    }
    if (!a.email && a.phone) newPhoneOnly.add(a.phone);
    plan.created.push(a);
  }
  return plan;
}
