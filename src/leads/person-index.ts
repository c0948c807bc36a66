/** What the identity rule reads of a person. */
export interface IdentityRow {
  id: string;
  email: string | null;
  phone: string | null;
  /** The person a lookup by their phone picks (see PersonIndex.match). */
  phoneTop: boolean;
}

/**
 * The identity rule of every channel, once: a person is found by e-mail; failing that, by
 * phone, where the phone's person is someone known by that phone alone if there is one, else
 * the most recently updated holder, and an arrival that gives an e-mail only matches someone
 * known by phone alone (a different address is a different person). `put` records a person a
 * batch made or filled, so later arrivals of the batch find them as the database then would.
 */
export class PersonIndex<P extends IdentityRow> {
  private readonly ids = new Map<string, P>();
  private readonly emails = new Map<string, P>();
  private readonly phones = new Map<string, P>();

  constructor(found: P[]) {
    for (const p of found) {
      this.ids.set(p.id, p);
      if (p.email) this.emails.set(p.email, p);
      if (p.phone && p.phoneTop) this.phones.set(p.phone, p);
    }
  }

  all(): P[] {
    return [...this.ids.values()];
  }

  byId(id: string): P | null {
    return this.ids.get(id) ?? null;
  }

  match(identity: { email?: string | null; phone?: string | null }): P | null {
    const byEmail = identity.email ? this.emails.get(identity.email) : undefined;
    if (byEmail) return byEmail;
    const top = identity.phone ? this.phones.get(identity.phone) : undefined;
    return top && (!identity.email || !top.email) ? top : null;
  }

  /** A person written now: the latest updated, so the phone's person unless someone known by phone alone holds it. */
  put(p: P): void {
    const before = this.ids.get(p.id);
    if (before?.email && before.email !== p.email) this.emails.delete(before.email);
    this.ids.set(p.id, p);
    if (p.email) this.emails.set(p.email, p);
    if (!p.phone) return;
    const top = this.phones.get(p.phone);
    if (!top || top.id === p.id || !p.email || top.email) this.phones.set(p.phone, p);
  }
}
