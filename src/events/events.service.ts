import { Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditService, MASKED } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { ProblemException } from '../common/problem-details';
import type { CreateEventDto, EventQuery, EventView } from './dto/event.dto';
import type { Event } from './entities/event.entity';
import { EventsRepository } from './events.repository';
import { LeadsService } from '../leads/leads.service';
import { toCsv } from './import/csv-out';

const realDate = (d: string) => {
  const parsed = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === d;
};

/** What the audit log may show of an event: the organiser's name and contact are someone's personal data. */
const auditSnapshot = (e: Event) => ({ name: e.name, date: e.date, place: e.place, organiserName: MASKED, organiserContact: MASKED });

export const ATTENDEE_LIST_HEADER = ['First Name', 'Last Name', 'Email', 'Phone', 'Company', 'Job Title', 'Ticket Type', 'Registered At'];

/** The list's order, as the database sorted it before (lower(coalesce(x, ''))): case-insensitive, blanks first. */
const collate = (a: string | null, b: string | null) => {
  const [x, y] = [(a ?? '').toLowerCase(), (b ?? '').toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Events, and the one disclosure the policy allows for them: the attendee list to the organiser (7.4). */
@Injectable()
export class EventsService {
  constructor(
    private readonly events: EventsRepository,
    private readonly leads: LeadsService,
    private readonly audit: AuditService,
  ) {
    leads.alsoErase(events.erasure());
  }

  async create(actor: Actor, dto: CreateEventDto): Promise<EventView> {
    if (!realDate(dto.date)) throw new ProblemException(422, 'Some fields are missing or invalid; see errors.', { errors: [{ field: 'date', message: 'date must be a real day' }] });
    return this.events.transaction(async (tx) => {
      const event = await this.events.insert(tx, { ...dto, createdBy: actor.id });
      await this.audit.record(actor, { action: 'event.created', entityType: 'event', entityId: event.id, after: auditSnapshot(event) }, tx);
      return event;
    });
  }

  async list(query: EventQuery): Promise<Page<EventView>> {
    const after = decodeCursor(query.cursor);
    if (after && !(after.length === 2 && typeof after[0] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(after[0]) && typeof after[1] === 'string' && /^[0-9a-f-]{36}$/i.test(after[1]))) {
      throw new ProblemException(400, 'The cursor is not one this service issued; start again without it.', { errors: [{ field: 'cursor', message: 'invalid cursor' }] });
    }
    const rows = await this.events.list({ from: query.from, to: query.to, q: query.q, after: after as [string, string] | undefined, limit: query.limit + 1 });
    return toPage(rows, query.limit, (e) => [e.date, e.id]);
  }

  async get(id: string): Promise<Event & { registrations: number }> {
    const event = await this.events.findById(id);
    if (!event) throw new NotFoundException('There is no such event.');
    return event;
  }

  /**
   * The organiser's attendee list as CSV, as the staff member asking (they list only whom they
   * may see). The download is recorded in the disclosure log, one row per person, in the same
   * transaction as the read, with an audit line naming the event and how many people it held.
   */
  async attendeeList(actor: Actor, eventId: string): Promise<{ fileName: string; csv: string }> {
    return this.events.transaction(async (tx) => {
      const event = await this.events.findById(eventId, tx);
      if (!event) throw new NotFoundException('There is no such event.');
      const exportId = randomUUID();
      // What the caller may not see is neither listed nor recorded, and nothing is listed without being recorded; a
      // restricted or erased person is processed no further (9.4), so they are not on the list.
      const registrations = await this.events.registrations(tx, eventId);
      const persons = new Map((await this.leads.disclosable(tx, registrations.map((r) => r.personId))).map((p) => [p.id, p]));
      const lines = registrations
        .flatMap((r) => (persons.has(r.personId) ? [{ ...persons.get(r.personId)!, ticketType: r.ticketType, registeredAt: r.registeredAt }] : []))
        .sort((a, b) => collate(a.lastName, b.lastName) || collate(a.firstName, b.firstName) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      await this.events.recordDisclosure(tx, eventId, lines.map((l) => l.id), actor, exportId);
      await this.audit.record(actor, { action: 'event.attendee_list_disclosed', entityType: 'event', entityId: eventId, after: { recipient: `event_organiser:${eventId}`, exportId, persons: lines.length } }, tx);
      const csv = toCsv([
        ATTENDEE_LIST_HEADER,
        ...lines.map((l) => [l.firstName, l.lastName, l.email, l.phone, l.companyName, l.position, l.ticketType, l.registeredAt]),
      ]);
      return { fileName: `attendees-${event.date}-${eventId.slice(0, 8)}.csv`, csv };
    });
  }
}
