import { PERSON_FIELDS, type PersonFields } from '../../domain/person-fields';
import { type FoundPerson } from '../../leads/leads.repository';
import { PersonIndex } from '../../leads/person-index';
import type { ImportCounts } from '../entities/event-import.entity';
import type { KnownPerson } from '../event-imports.repository';
import type { Attendee, Rejection } from './attendee-row';

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

/** Leads' found persons as the plan reads them, with their registration for this event (`registered`: person id → the import that registered them, null by hand). */
export function knownPersons(found: FoundPerson[], registered: Map<string, string | null>): KnownPerson[] {
  return found.map((p) => ({
    id: p.id,
    fields: Object.fromEntries(PERSON_FIELDS.map((f) => [f, p[f] ?? null])) as Required<PersonFields>,
    restricted: p.restrictedAt !== null,
    registered: registered.has(p.id),
    registeredBy: registered.get(p.id) ?? null,
    phoneTop: p.phoneTop,
  }));
}

export interface BatchPlan {
  created: Attendee[];
  matched: { attendee: Attendee; known: KnownPerson }[];
  /** Lines naming a person whose processing is restricted (9.4): not imported, listed as rejected. */
  restricted: Rejection[];
  alreadyRegistered: number;
  duplicates: number;
}

/**
 * Who each line of a batch is: an existing person (by e-mail, else the person LeadsService would
 * pick for the phone: with an e-mail given, only someone known by phone alone), or someone new.
 * Already registered for the event, or named twice (in the batch, or by an earlier batch of
 * the same import): nothing to do. `taken` holds, across the batches of one run, the persons
 * found so far: someone registered before this import and named again in a later batch is a
 * duplicate there too, wherever the batch boundaries fall.
 */
export function planBatch(attendees: Attendee[], found: KnownPerson[], importId?: string, taken = new Set<string>()): BatchPlan {
  const people = new PersonIndex(found.map((known) => ({ id: known.id, email: known.fields.email, phone: known.fields.phone, phoneTop: known.phoneTop, known })));
  const plan: BatchPlan = { created: [], matched: [], restricted: [], alreadyRegistered: 0, duplicates: 0 };
  const newPhoneOnly = new Set<string>();
  for (const a of attendees) {
    const known = people.match(a)?.known;
    if (known) {
      // Kept, processed no further: the import neither registers nor fills them in.
      if (known.restricted) plan.restricted.push({ line: a.line, reason: 'restricted', message: 'The line names a person whose processing is restricted (policy 9.4); it was not imported.', values: null });
      // Registered by this import (an earlier batch): a later line about the same person.
      else if (taken.has(known.id) || (importId && known.registeredBy === importId)) plan.duplicates++;
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

/** A matched person's fields after the import: their blanks filled from the line, nothing overwritten. */
export function filledFields(known: Required<PersonFields>, line: PersonFields): Required<PersonFields> {
  const fields = { ...known };
  for (const f of PERSON_FIELDS) if (line[f] && !fields[f]) fields[f] = line[f]!;
  return fields;
}

/**
 * For the dry run, which writes nothing: what the database would know part-way through the
 * import, i.e. the persons earlier batches would have created or filled in, registered by this
 * import. Each batch's lookup is seen through it, so the dry run counts what the import then
 * counts. Persons it writes are the most recently updated ones, which decides whom a phone
 * finds (LeadsService's rule: someone known by phone alone first, then the latest updated).
 * Memory grows with the number of distinct people, bounded by the upload size limit.
 */
export class PlannedWrites {
  private readonly persons = new Map<string, KnownPerson & { written: number }>();
  private readonly byEmail = new Map<string, string>();
  private readonly byPhone = new Map<string, Set<string>>();
  private writes = 0;
  private created = 0;

  constructor(private readonly importId: string) {}

  /** The batch's lookup (`found`, from the database) as the import would see it after the earlier batches. */
  lookup(found: KnownPerson[], emails: string[], phones: string[]): KnownPerson[] {
    const seen = new Map<string, KnownPerson>();
    for (const k of found) seen.set(k.id, this.persons.get(k.id) ?? k);
    for (const e of emails) {
      const id = this.byEmail.get(e);
      if (id) seen.set(id, this.persons.get(id)!);
    }
    for (const p of phones) for (const id of this.byPhone.get(p) ?? []) seen.set(id, this.persons.get(id)!);
    const result = [...seen.values()].map((k) => ({ ...k }));
    for (const phone of phones) {
      const holders = result.filter((k) => k.fields.phone === phone);
      if (!holders.some((k) => this.persons.has(k.id))) continue; // the database's own choice stands
      const written = (k: KnownPerson) => this.persons.get(k.id)?.written ?? -1;
      const rank = (k: KnownPerson) => (k.fields.email === null ? 2 : 0) + (written(k) >= 0 || k.phoneTop ? 1 : 0);
      let top: KnownPerson | null = null;
      for (const k of holders) if (!top || rank(k) > rank(top) || (rank(k) === rank(top) && written(k) > written(top))) top = k;
      for (const k of holders) k.phoneTop = k === top;
    }
    return result;
  }

  /** Records what the import would write for a planned batch. */
  apply(plan: BatchPlan): void {
    for (const a of plan.created) {
      const fields = filledFields({ firstName: null, lastName: null, position: null, email: null, phone: null, skypeId: null, linkedinUrl: null, location: null, companyName: null }, a.person);
      this.put({ id: `planned:${++this.created}`, fields, restricted: false, registered: true, registeredBy: this.importId, phoneTop: false });
    }
    for (const { attendee, known } of plan.matched) this.put({ ...known, fields: filledFields(known.fields, attendee.person), registered: true, registeredBy: this.importId });
  }

  private put(k: KnownPerson): void {
    const before = this.persons.get(k.id);
    if (before?.fields.phone) this.byPhone.get(before.fields.phone)?.delete(k.id);
    this.persons.set(k.id, { ...k, written: ++this.writes });
    if (k.fields.email) this.byEmail.set(k.fields.email, k.id);
    if (k.fields.phone) {
      const holders = this.byPhone.get(k.fields.phone) ?? new Set<string>();
      this.byPhone.set(k.fields.phone, holders.add(k.id));
    }
  }
}
