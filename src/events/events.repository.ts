import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AlsoErased } from '../database/also-erased';
import type { Actor } from '../domain/actor';
import type { Event } from './entities/event.entity';

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
export const camelRow = <T>(row: Record<string, unknown>): T => Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v])) as T;

/** The date as text: the driver would read a `date` as local midnight, a day off east of UTC. */
const EVENT_COLUMNS = `e.id, e.name, e.date::text AS date, e.place, e.organiser_name, e.organiser_contact, e.created_by, e.created_at, e.updated_at`;

export interface EventFilter {
  from?: string;
  to?: string;
  q?: string;
  after?: [string, string];
  limit: number;
}

/** One line of the organiser's list. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');

@Injectable()
export class EventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** What an erasure empties here: the person's registrations' references and import rejections naming one of their addresses. */
  erasure(): AlsoErased {
    return {
      name: 'event_registration',
      statements: [
        `UPDATE event_registration SET order_ref = NULL, attendee_ref = NULL WHERE person_id = ANY($1::uuid[])`,
        `UPDATE event_import_rejection SET values = NULL
          WHERE values IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_each_text(values) v WHERE lower(trim(v.value)) = ANY($3::text[]))`,
      ],
    };
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(tx: EntityManager, e: Pick<Event, 'name' | 'date' | 'place' | 'organiserName' | 'organiserContact' | 'createdBy'>): Promise<Event> {
    const rows = await tx.query(
      `INSERT INTO event AS e (name, date, place, organiser_name, organiser_contact, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${EVENT_COLUMNS}`,
      [e.name, e.date, e.place, e.organiserName, e.organiserContact, e.createdBy],
    );
    return camelRow<Event>(rows[0]);
  }

  async findById(id: string, tx: EntityManager = this.dataSource.manager): Promise<(Event & { registrations: number }) | null> {
    const rows = await tx.query(
      `SELECT ${EVENT_COLUMNS}, (SELECT count(*)::int FROM event_registration r WHERE r.event_id = e.id) AS registrations FROM event e WHERE e.id = $1`,
      [id],
    );
    return rows.length ? camelRow(rows[0]) : null;
  }

  /** Newest first, the id breaking ties (keyset pagination). */
  async list(f: EventFilter): Promise<Event[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const $ = (v: unknown) => `$${params.push(v)}`;
    if (f.from) where.push(`e.date >= ${$(f.from)}::date`);
    if (f.to) where.push(`e.date < ${$(f.to)}::date`);
    if (f.q) where.push(`(e.name ILIKE ${$(`%${escapeLike(f.q)}%`)} OR e.place ILIKE $${params.length})`);
    if (f.after) where.push(`(e.date, e.id) < (${$(f.after[0])}::date, ${$(f.after[1])}::uuid)`);
    const rows = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM event e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.date DESC, e.id DESC LIMIT ${$(f.limit)}`,
      params,
    );
    return rows.map((r: Record<string, unknown>) => camelRow<Event>(r));
  }

  /** The event's registrations (person, ticket, when), as the caller may see them. */
  registrations(tx: EntityManager, eventId: string): Promise<{ personId: string; ticketType: string | null; registeredAt: Date }[]> {
    return tx.query(`SELECT person_id AS "personId", ticket_type AS "ticketType", registered_at AS "registeredAt" FROM event_registration WHERE event_id = $1`, [eventId]);
  }

  /** One disclosure row per person handed to the event's organiser, all of one download sharing `exportId` (policy 9.5). */
  async recordDisclosure(tx: EntityManager, eventId: string, personIds: string[], actor: Actor, exportId: string): Promise<void> {
    await tx.query(
      `INSERT INTO disclosure (recipient, kind, person_id, details, actor_type, actor_id)
       SELECT 'event_organiser:' || $1::text, 'attendee_list', p, jsonb_build_object('eventId', $1::text, 'exportId', $2::text, 'requestId', $3::text), $4, $5::uuid
         FROM unnest($6::uuid[]) AS p`,
      [eventId, exportId, actor.requestId, actor.type, actor.id, personIds],
    );
  }
}
