import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { ConsentPurpose, LegalBasis } from '../policy/policy.types';
import { Activity } from './entities/activity.entity';
import { Capture } from './entities/capture.entity';
import { Company } from './entities/company.entity';
import { ConsentEvent } from './entities/consent-event.entity';
import { Person } from './entities/person.entity';
import type { LifecycleStatus } from './lifecycle';

/** Person fields a capture or a rectification may set. */
export const PERSON_FIELDS = ['firstName', 'lastName', 'position', 'email', 'phone', 'skypeId', 'linkedinUrl', 'location', 'companyName'] as const;
export type PersonField = (typeof PERSON_FIELDS)[number];
export type PersonFields = Partial<Record<PersonField, string | null>>;

const COLUMN: Record<PersonField, string> = {
  firstName: 'first_name',
  lastName: 'last_name',
  position: 'position',
  email: 'email',
  phone: 'phone',
  skypeId: 'skype_id',
  linkedinUrl: 'linkedin_url',
  location: 'location',
  companyName: 'company_name',
};

/** The expression the trigram index `person_search_idx` is built on; search must use it verbatim. */
const SEARCH_TEXT = `lower(coalesce(p.first_name, '') || ' ' || coalesce(p.last_name, '') || ' ' || coalesce(p.email, '') || ' ' || coalesce(p.company_name, ''))`;

export const PERSON_SORTS = { createdAt: 'p.created_at', updatedAt: 'p.updated_at', name: `lower(coalesce(p.last_name, '') || ' ' || coalesce(p.first_name, ''))` } as const;
export type PersonSort = keyof typeof PERSON_SORTS;

export interface PersonFilter {
  statuses?: LifecycleStatus[];
  source?: string;
  ownerId?: string;
  companyId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  consentPurpose?: ConsentPurpose;
  legalBasis?: LegalBasis;
  q?: string;
  sort: PersonSort;
  descending: boolean;
  after?: [string, string];
  limit: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');

@Injectable()
export class LeadsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Serialises work on one identity (an e-mail, a phone number) across transactions and app
   * instances, so concurrent submissions from one person find each other. Sorted: no deadlocks.
   */
  async lockIdentities(tx: EntityManager, keys: string[]): Promise<void> {
    const sorted = [...new Set(keys)].sort();
    if (sorted.length) await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k ORDER BY k`, [sorted]);
  }

  findByEmailForUpdate(tx: EntityManager, email: string): Promise<Person | null> {
    return tx.getRepository(Person).createQueryBuilder('p').setLock('pessimistic_write').where('p.email = :email', { email }).getOne();
  }

  /** The phone's person: one known only by phone first, else the most recently updated. */
  findByPhoneForUpdate(tx: EntityManager, phone: string, onlyWithoutEmail: boolean): Promise<Person | null> {
    const qb = tx.getRepository(Person).createQueryBuilder('p').setLock('pessimistic_write').where('p.phone = :phone', { phone });
    if (onlyWithoutEmail) qb.andWhere('p.email IS NULL');
    return qb.orderBy('p.email IS NULL', 'DESC').addOrderBy('p.updated_at', 'DESC').limit(1).getOne();
  }

  findById(id: string, tx: EntityManager = this.dataSource.manager, lock = false): Promise<Person | null> {
    const qb = tx.getRepository(Person).createQueryBuilder('p').where('p.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async insertPerson(tx: EntityManager, fields: PersonFields & { ownerId?: string | null }): Promise<Person> {
    const { identifiers } = await tx.insert(Person, fields as Partial<Person>);
    return (await this.findById(identifiers[0].id as string, tx))!;
  }

  async updatePerson(tx: EntityManager, id: string, changes: Partial<Person>): Promise<void> {
    if (Object.keys(changes).length) await tx.update(Person, { id }, changes);
  }

  async deletePerson(tx: EntityManager, id: string): Promise<void> {
    await tx.delete(Person, { id });
  }

  async insertCapture(tx: EntityManager, capture: Omit<Capture, 'id'>): Promise<string> {
    const { identifiers } = await tx.insert(Capture, capture as never);
    return identifiers[0].id as string;
  }

  async insertConsentEvents(tx: EntityManager, events: Omit<ConsentEvent, 'id' | 'occurredAt'>[]): Promise<void> {
    if (events.length) await tx.insert(ConsentEvent, events as never);
  }

  async insertActivity(tx: EntityManager, activity: Omit<Activity, 'id' | 'createdAt'>): Promise<string> {
    const { identifiers } = await tx.insert(Activity, activity as never);
    return identifiers[0].id as string;
  }

  /** One page of persons, sorted with the id as tie-breaker (keyset pagination). */
  async list(f: PersonFilter): Promise<(Person & { sortKey: string })[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    if (f.statuses?.length) where.push(`p.status = ANY(${param(f.statuses)})`);
    if (f.ownerId) where.push(`p.owner_id = ${param(f.ownerId)}`);
    if (f.companyId) where.push(`p.company_id = ${param(f.companyId)}`);
    if (f.createdFrom) where.push(`p.created_at >= ${param(f.createdFrom)}`);
    if (f.createdTo) where.push(`p.created_at < ${param(f.createdTo)}`);
    if (f.source) where.push(`EXISTS (SELECT 1 FROM capture c WHERE c.person_id = p.id AND c.source = ${param(f.source)})`);
    if (f.legalBasis) where.push(`EXISTS (SELECT 1 FROM capture c, jsonb_each_text(c.legal_bases) b WHERE c.person_id = p.id AND b.value = ${param(f.legalBasis)})`);
    if (f.consentPurpose) {
      const purpose = param(f.consentPurpose);
      where.push(`(SELECT ce.action FROM consent_event ce WHERE ce.person_id = p.id AND ce.purpose = ${purpose} ORDER BY ce.id DESC LIMIT 1) = 'granted'`);
    }
    if (f.q) where.push(`${SEARCH_TEXT} LIKE ${param(`%${escapeLike(f.q.trim().toLowerCase())}%`)}`);
    const sort = PERSON_SORTS[f.sort];
    const dir = f.descending ? 'DESC' : 'ASC';
    if (f.after) where.push(`(${sort}, p.id) ${f.descending ? '<' : '>'} (${param(f.after[0])}, ${param(f.after[1])}::uuid)`);
    const rows = await this.dataSource.query(
      `SELECT p.id, (${sort})::text AS sort_key FROM person p ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ${sort} ${dir}, p.id ${dir} LIMIT ${param(f.limit)}`,
      params,
    );
    if (!rows.length) return [];
    const persons = await this.dataSource.getRepository(Person).createQueryBuilder('p').where('p.id IN (:...ids)', { ids: rows.map((r: { id: string }) => r.id) }).getMany();
    const byId = new Map(persons.map((p) => [p.id, p]));
    return rows.map((r: { id: string; sort_key: string }) => Object.assign(byId.get(r.id)!, { sortKey: r.sort_key }));
  }

  captures(personId: string, tx: EntityManager = this.dataSource.manager): Promise<Capture[]> {
    return tx.find(Capture, { where: { personId }, order: { receivedAt: 'DESC' } });
  }

  consentEvents(personId: string, tx: EntityManager = this.dataSource.manager): Promise<ConsentEvent[]> {
    return tx.find(ConsentEvent, { where: { personId }, order: { id: 'ASC' } });
  }

  activities(personId: string, tx: EntityManager = this.dataSource.manager): Promise<Activity[]> {
    return tx.find(Activity, { where: { personId }, order: { occurredAt: 'DESC', createdAt: 'DESC' } });
  }

  countAttached(personId: string, tx: EntityManager): Promise<{ captures: number; consent_events: number; activities: number }[]> {
    return tx.query(
      `SELECT (SELECT count(*)::int FROM capture WHERE person_id = $1) AS captures,
              (SELECT count(*)::int FROM consent_event WHERE person_id = $1) AS consent_events,
              (SELECT count(*)::int FROM activity WHERE person_id = $1) AS activities`,
      [personId],
    );
  }

  /** Moves everything attached to `fromId` onto `toId` (a merge). */
  async moveAttached(tx: EntityManager, fromId: string, toId: string): Promise<void> {
    for (const table of ['capture', 'consent_event', 'activity']) {
      await tx.query(`UPDATE ${table} SET person_id = $2 WHERE person_id = $1`, [fromId, toId]);
    }
  }

  findCompany(id: string, tx: EntityManager = this.dataSource.manager): Promise<Company | null> {
    return tx.findOne(Company, { where: { id } });
  }

  findCompanyByDomain(domain: string, tx: EntityManager): Promise<Company | null> {
    return tx.findOne(Company, { where: { domain } });
  }

  async insertCompany(tx: EntityManager, company: Pick<Company, 'name' | 'domain' | 'address'>): Promise<Company> {
    const { identifiers } = await tx.insert(Company, company);
    return (await this.findCompany(identifiers[0].id as string, tx))!;
  }

  async updateCompany(tx: EntityManager, id: string, changes: Partial<Company>): Promise<void> {
    await tx.update(Company, { id }, changes);
  }

  columnOf(field: PersonField): string {
    return COLUMN[field];
  }
}
