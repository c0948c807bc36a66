/**
 * The data a test needs, made the way the service makes it (through its own services, as the
 * system or an admin), so a test states what it starts from in one line and every row is one the
 * service could have written. Works on a test app (HTTP) and on a service context alike.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { runAsSystem } from '../src/access/access-context';
import { AccountsService } from '../src/accounts/accounts.service';
import { UsersService } from '../src/auth/users.service';
import { SYSTEM_ACTOR, type Actor } from '../src/domain/actor';
import type { ConsentPurpose, InquiryType, IntakeSource } from '../src/domain/purposes';
import type { Role } from '../src/domain/roles';
import type { Verdict } from '../src/domain/verdict';
import { EventsService } from '../src/events/events.service';
import { LeadsService, type NewCapture } from '../src/leads/leads.service';
import { PersonsService } from '../src/leads/persons.service';
import { ScreeningService } from '../src/screening/screening.service';

export const TEST_PASSWORD = 'test-password-1234';
let made = 0;
const unique = () => `${++made}-${process.pid}`;

export interface PersonSeed {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  companyName?: string | null;
  source?: IntakeSource;
  inquiryType?: InquiryType | null;
  consents?: ConsentPurpose[];
  receivedAt?: Date | string;
  ownerId?: string | null;
  request?: string;
  /** Anything else of the capture (an event's anchor, a known person's id, ...). */
  capture?: Partial<NewCapture>;
}

export function factory(app: INestApplicationContext) {
  const asSystem = <T>(work: () => Promise<T>) => runAsSystem('test set-up', work);
  const adminActor = (id: string): Actor => ({ type: 'user', id, roles: ['admin'], requestId: null, ip: null });

  return {
    /** A staff user with these roles (signing in is the HTTP app's `userWith`). */
    staff: (...roles: Role[]) => {
      const email = `staff${unique()}-${roles.join('-')}@example.test`;
      return asSystem(() => app.get(UsersService).create(SYSTEM_ACTOR, { email, name: `Test ${roles.join(' ')}`, roles, password: TEST_PASSWORD }));
    },

    /** A lead, captured as its channel would hand it over (already normalised). */
    person: async (seed: PersonSeed = {}) => {
      const person = {
        firstName: seed.firstName ?? null, lastName: seed.lastName ?? null, email: seed.email === undefined ? `person${unique()}@example.test` : seed.email,
        phone: seed.phone ?? null, companyName: seed.companyName ?? null,
      };
      const request = seed.request ?? 'Please get in touch.';
      const result = await asSystem(() =>
        app.get(LeadsService).capture(SYSTEM_ACTOR, {
          source: seed.source ?? 'web_form', receivedAt: new Date(seed.receivedAt ?? Date.now()), payload: { ...person, message: request }, person, request,
          inquiryType: seed.inquiryType === undefined ? 'other' : seed.inquiryType, consents: seed.consents ?? [], ownerId: seed.ownerId ?? null, ...seed.capture,
        }),
      );
      return { personId: result.person.id, captureId: result.captureId, person: result.person };
    },

    /**
     * An active customer: a company made by converting one of its people, with these account
     * managers (users with the account_manager role). Returns the company and that person.
     */
    customer: async (opts: { name?: string; accountManagerIds?: string[]; person?: PersonSeed } = {}) => {
      const name = opts.name ?? `Customer ${unique()} AS`;
      const domain = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.example`;
      const admin = await asSystem(() => app.get(UsersService).create(SYSTEM_ACTOR, { email: `admin${unique()}@example.test`, name: 'Test admin', roles: ['admin'], password: TEST_PASSWORD }));
      const lead = await factory(app).person({ email: `contact${unique()}@${domain}`, ...opts.person });
      const converted = await asSystem(() => app.get(PersonsService).convert(adminActor(admin.id), lead.personId, { company: { name, domain } }));
      const companyId = converted.companyId!;
      if (opts.accountManagerIds?.length) await asSystem(() => app.get(AccountsService).setAccountManagers(adminActor(admin.id), companyId, { userIds: opts.accountManagerIds! }));
      return { companyId, personId: lead.personId };
    },

    /** An event staff can register attendees for. */
    event: (over: { name?: string; date?: string } = {}) =>
      asSystem(() =>
        app.get(EventsService).create(SYSTEM_ACTOR, {
          name: over.name ?? `Meetup ${unique()}`, date: over.date ?? '2025-09-10', place: 'Oslo', organiserName: 'Org Anizer', organiserContact: 'org@organiser.example',
        }),
      ),

    /** An arrival held in quarantine, as screening keeps one: stored as received, then set aside with its reasons. */
    heldArrival: async (over: { email?: string; text?: string; ip?: string; reasons?: Verdict['reasons'] } = {}) => {
      const id = randomUUID();
      const text = over.text ?? `Cheap loans ${unique()}, apply now`;
      const screening = app.get(ScreeningService);
      await asSystem(async () => {
        await screening.receive({ id, channel: 'web_form', formId: null, contentType: 'application/json', rawBody: JSON.stringify({ message: text }), fields: { message: text }, ip: over.ip ?? '203.0.113.9', senderEmail: over.email ?? null }, text);
        await screening.setAside(id, { ruleSetVersion: 'test', outcome: 'held', reasons: over.reasons ?? [{ code: 'keyword', tag: 'spam', evidence: { matches: ['cheap loans'] } }] });
      });
      return { submissionId: id };
    },
  };
}
