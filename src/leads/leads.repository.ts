import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditEntry } from '../audit/entities/audit-entry.entity';
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

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A raw `person` row as the entity (the naming strategy is plain snake_case). */
function toPerson(row: Record<string, unknown>): Person {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v])) as unknown as Person;
}



// crm_person_ids_matching (migrations/…-CustomerAccess.ts) knows these same keys.
export const PERSON_SORTS = { createdAt: 'p.created_at', updatedAt: 'p.updated_at', name: `lower(coalesce(p.last_name, '') || ' ' || coalesce(p.first_name, ''))` } as const;
export type PersonSort = keyof typeof PERSON_SORTS;

export interface CaptureSession {
  client: PoolClient;
  /** False inside a caller's transaction: then the caller begins and commits. */
  ownTransaction: boolean;
  release(): void;
}

/** Everything one capture writes, with ids made by the caller. */
export interface CaptureWrite {
  person: { id: string; insert: boolean; fields: PersonFields & { ownerId?: string | null } };
  capture: Capture;
  consents: Pick<ConsentEvent, 'purpose' | 'wording'>[];
  activity: Pick<Activity, 'type' | 'occurredAt' | 'body' | 'details'>;
  audit: Omit<AuditEntry, 'id' | 'occurredAt'>;
  /** Write a HubSpot outbox row in the same statement (not for a restricted person). */
  enqueueSync: boolean;
  submission?: { id: string; status: string; verdict: unknown };
}

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

  // The intake hot path below is plain SQL in as few round trips as the rules allow: on these
  // machines each statement sent costs more than all the work around it.

  /** A connection for one capture: the caller's transaction, or one of our own. */
  async session(outer?: EntityManager): Promise<CaptureSession> {
    if (outer) {
      if (!outer.queryRunner?.isTransactionActive) throw new Error('capture needs the outer transaction’s EntityManager');
      return { client: (await outer.queryRunner.connect()) as PoolClient, ownTransaction: false, release: () => undefined };
    }
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    return { client, ownTransaction: true, release: () => runner.release() };
  }

  /**
   * One round trip: (BEGIN,) an advisory lock per identity, so concurrent arrivals of one person
   * find each other across instances (sorted: no deadlocks), then the person by e-mail and by
   * phone. Statements of one simple query each take a fresh snapshot, so the reads see
   * whatever committed before the lock was granted. Values are quoted by the driver.
   */
  async lockAndFind(session: CaptureSession, identity: { email?: string | null; phone?: string | null }): Promise<{ byEmail: Person | null; byPhone: Person | null }> {
    const { client } = session;
    const keys = [identity.email && `person:email:${identity.email}`, identity.phone && `person:phone:${identity.phone}`].filter(Boolean).sort() as string[];
    const statements = [
      ...(session.ownTransaction ? ['BEGIN'] : []),
      ...keys.map((k) => `SELECT pg_advisory_xact_lock(hashtextextended(${client.escapeLiteral(k)}, 0))`),
      identity.email ? `SELECT * FROM person WHERE email = ${client.escapeLiteral(identity.email)} FOR UPDATE` : 'SELECT NULL WHERE false',
      // With an e-mail given, only someone known by phone alone can be the same person.
      identity.phone
        ? `SELECT * FROM person WHERE phone = ${client.escapeLiteral(identity.phone)} ${identity.email ? 'AND email IS NULL' : ''} ORDER BY email IS NULL DESC, updated_at DESC LIMIT 1 FOR UPDATE`
        : 'SELECT NULL WHERE false',
    ];
    const results = (await client.query(statements.join(';\n'))) as unknown as { rows: Record<string, unknown>[] }[];
    const [emailRows, phoneRows] = results.slice(-2).map((r) => r.rows);
    return { byEmail: emailRows[0] ? toPerson(emailRows[0]) : null, byPhone: phoneRows[0] ? toPerson(phoneRows[0]) : null };
  }

  /** One round trip: (BEGIN and) the person by id, locked. */
  async lockById(session: CaptureSession, id: string): Promise<Person | null> {
    const sql = `SELECT * FROM person WHERE id = ${session.client.escapeLiteral(id)} FOR UPDATE`;
    const result = (await session.client.query(session.ownTransaction ? `BEGIN; ${sql}` : sql)) as unknown as { rows: Record<string, unknown>[] } | { rows: Record<string, unknown>[] }[];
    const rows = Array.isArray(result) ? result[result.length - 1].rows : result.rows;
    return rows[0] ? toPerson(rows[0]) : null;
  }

  /**
   * One round trip: the person inserted or completed, the capture, its consent events, its
   * timeline entry and its audit line, as one statement (foreign keys are checked at its end).
   */
  async writeCapture(session: CaptureSession, w: CaptureWrite): Promise<void> {
    const params: unknown[] = [];
    const $ = (v: unknown) => `$${params.push(v)}`;
    const ctes: string[] = [];
    const personFields = Object.entries(w.person.fields).filter(([, v]) => v !== undefined && v !== null);
    if (w.person.insert) {
      const cols = ['id', ...personFields.map(([k]) => snake(k))];
      ctes.push(`p AS (INSERT INTO person (${cols.join(', ')}) VALUES (${[$(w.person.id), ...personFields.map(([, v]) => $(v))].join(', ')}))`);
    } else {
      // Filled blanks, and a synced record becomes pending again: HubSpot is owed this change.
      const sets = [...personFields.map(([k, v]) => `${snake(k)} = ${$(v)}`), `sync_state = CASE WHEN sync_state IN ('synced', 'failed') AND ${$(w.enqueueSync)} THEN 'pending' ELSE sync_state END`];
      ctes.push(`p AS (UPDATE person SET ${sets.join(', ')}, updated_at = now() WHERE id = ${$(w.person.id)})`);
    }
    const c = w.capture;
    const [personId, source, captureId, policyVersion, actorType, actorId] = [$(c.personId), $(c.source), $(c.id), $(c.policyVersion), $(c.actorType), $(c.actorId)];
    ctes.push(`c AS (INSERT INTO capture (id, person_id, source, source_ref, form_id, received_at, content_type, raw_body, payload, mapped, request, inquiry_type,
                     legal_bases, consents_given, policy_version, retention_anchor, retention_anchor_at, retention_due_at, actor_type, actor_id)
      VALUES (${[captureId, personId, source, $(c.sourceRef), $(c.formId), $(c.receivedAt), $(c.contentType), $(c.rawBody), $(c.payload), $(c.mapped), $(c.request), $(c.inquiryType),
                 $(c.legalBases), $(c.consentsGiven), policyVersion, $(c.retentionAnchor), $(c.retentionAnchorAt), $(c.retentionDueAt), actorType, actorId].join(', ')}))`);
    if (w.consents.length) {
      ctes.push(`ce AS (INSERT INTO consent_event (person_id, purpose, action, source, capture_id, policy_version, wording, actor_type, actor_id)
        SELECT ${personId}, u.purpose, 'granted', ${source}, ${captureId}, ${policyVersion}, u.wording, ${actorType}, ${actorId}
        FROM unnest(${$(w.consents.map((e) => e.purpose))}::text[], ${$(w.consents.map((e) => e.wording))}::text[]) AS u(purpose, wording))`);
    }
    const a = w.activity;
    ctes.push(`a AS (INSERT INTO activity (person_id, type, occurred_at, body, details, capture_id, actor_type, actor_id)
      VALUES (${[personId, $(a.type), $(a.occurredAt), $(a.body), $(a.details), captureId, actorType, actorId].join(', ')}))`);
    const au = w.audit;
    ctes.push(`au AS (INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, changes, request_id, ip)
      VALUES (${[$(au.actorType), $(au.actorId), $(au.action), $(au.entityType), $(au.entityId), $(au.changes === null ? null : JSON.stringify(au.changes)), $(au.requestId), $(au.ip)].join(', ')}))`);
    if (w.enqueueSync) ctes.push(`o AS (INSERT INTO hubspot_outbox (person_id, kind) VALUES (${personId}, 'upsert'))`);
    // The capture now holds the content: the arrival keeps only what the rate limits and burst checks count.
    if (w.submission) ctes.push(`s AS (UPDATE intake_submission SET status = ${$(w.submission.status)}, verdict = ${$(w.submission.verdict)}, fields = '{}', raw_body = NULL WHERE id = ${$(w.submission.id)})`);
    const text = `WITH ${ctes.join(',\n')} SELECT 1`;
    // Named: each connection parses each shape of this statement once, not on every capture.
    await session.client.query({ name: `capture_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text, values: params });
  }

  /** Finds the person by e-mail (for rectification: is the new address someone else's?). */
  async findByEmailForUpdate(tx: EntityManager, email: string): Promise<Person | null> {
    const rows = await tx.query(`SELECT * FROM person WHERE email = $1 FOR UPDATE`, [email]);
    return rows.length ? toPerson(rows[0]) : null;
  }

  /** Someone else known only by this phone (for rectification: the unique index person_phone_only_key). */
  async findOtherPhoneOnlyForUpdate(tx: EntityManager, phone: string, exceptId: string): Promise<Person | null> {
    const rows = await tx.query(`SELECT * FROM person WHERE phone = $1 AND email IS NULL AND id <> $2 FOR UPDATE`, [phone, exceptId]);
    return rows.length ? toPerson(rows[0]) : null;
  }

  findById(id: string, tx: EntityManager = this.dataSource.manager, lock = false): Promise<Person | null> {
    const qb = tx.getRepository(Person).createQueryBuilder('p').where('p.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async updatePerson(tx: EntityManager, id: string, changes: Partial<Person>): Promise<void> {
    if (Object.keys(changes).length) await tx.update(Person, { id }, changes);
  }

  async deletePerson(tx: EntityManager, id: string): Promise<void> {
    await tx.delete(Person, { id });
  }

  async appendConsentEvents(tx: EntityManager, events: Omit<ConsentEvent, 'id' | 'occurredAt'>[]): Promise<void> {
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
    const sort = PERSON_SORTS[f.sort];
    const dir = f.descending ? 'DESC' : 'ASC';
    if (f.after) where.push(`(${sort}, p.id) ${f.descending ? '<' : '>'} (${param(f.after[0])}, ${param(f.after[1])}::uuid)`);
    const page = (extra?: string, values: unknown[] = []) => {
      const all = extra ? [...where, extra] : where;
      return this.dataSource.query(
        `SELECT p.id, (${sort})::text AS sort_key FROM person p ${all.length ? `WHERE ${all.join(' AND ')}` : ''}
         ORDER BY ${sort} ${dir}, p.id ${dir} LIMIT $${params.length + values.length + 1}`,
        [...params, ...values, f.limit],
      ) as Promise<{ id: string; sort_key: string }[]>;
    };
    let rows: { id: string; sort_key: string }[];
    if (!f.q) rows = await page();
    else {
      // Row-level security keeps LIKE (not leakproof) out of index scans: the first k matches in
      // this sort order come from a function that applies the customer rule itself, then pass the
      // other filters here. Should those filters leave the page short, look further.
      const pattern = `%${escapeLike(f.q.trim().toLowerCase())}%`;
      for (let k = f.limit; ; k *= 8) {
        const [{ ids }]: { ids: string[] }[] = await this.dataSource.query(
          `SELECT array(SELECT crm_person_ids_matching($1, $2, $3, $4, $5, $6)) AS ids`,
          [pattern, f.sort, f.descending, f.after?.[0] ?? null, f.after?.[1] ?? null, k],
        );
        rows = await page(`p.id = ANY($${params.length + 1}::uuid[])`, [ids]);
        if (rows.length >= f.limit || ids.length < k) break;
      }
    }
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

  /** The events the person was registered for, latest first. */
  eventRegistrations(personId: string): Promise<{ eventId: string; name: string; date: string; ticketType: string | null; registeredAt: Date }[]> {
    return this.dataSource.query(
      `SELECT e.id AS "eventId", e.name, e.date::text AS date, r.ticket_type AS "ticketType", r.registered_at AS "registeredAt"
         FROM event_registration r JOIN event e ON e.id = r.event_id
        WHERE r.person_id = $1 ORDER BY e.date DESC, e.id`,
      [personId],
    );
  }

  /** To whom the person's data went (the disclosure log), one line per recipient and kind. */
  recipients(personId: string): Promise<{ recipient: string; kind: string; times: number; firstAt: Date; lastAt: Date }[]> {
    return this.dataSource.query(
      `SELECT recipient, kind, count(*)::int AS times, min(occurred_at) AS "firstAt", max(occurred_at) AS "lastAt"
         FROM disclosure WHERE person_id = $1 GROUP BY recipient, kind ORDER BY max(occurred_at) DESC`,
      [personId],
    );
  }

  countAttached(personId: string, tx: EntityManager): Promise<{ captures: number; consent_events: number; activities: number; event_registrations: number; disclosures: number }[]> {
    return tx.query(
      `SELECT (SELECT count(*)::int FROM capture WHERE person_id = $1) AS captures,
              (SELECT count(*)::int FROM consent_event WHERE person_id = $1) AS consent_events,
              (SELECT count(*)::int FROM activity WHERE person_id = $1) AS activities,
              (SELECT count(*)::int FROM event_registration WHERE person_id = $1) AS event_registrations,
              (SELECT count(*)::int FROM disclosure WHERE person_id = $1) AS disclosures`,
      [personId],
    );
  }

  /**
   * Moves everything attached to `fromId` onto `toId` (a merge). A registration for an event
   * the winner is registered for already is the same attendance: the winner's stays (the
   * loser's capture of it moves). The disclosure log moves too: the person may still ask
   * whom their data went to (9.2). The event retention clock then runs from the last event
   * of either record (policy 7.5), never shorter.
   */
  async moveAttached(tx: EntityManager, fromId: string, toId: string): Promise<void> {
    for (const table of ['capture', 'consent_event', 'activity', 'disclosure']) {
      await tx.query(`UPDATE ${table} SET person_id = $2 WHERE person_id = $1`, [fromId, toId]);
    }
    await tx.query(
      `DELETE FROM event_registration r WHERE r.person_id = $1
          AND EXISTS (SELECT 1 FROM event_registration w WHERE w.person_id = $2 AND w.event_id = r.event_id)`,
      [fromId, toId],
    );
    await tx.query(`UPDATE event_registration SET person_id = $2 WHERE person_id = $1`, [fromId, toId]);
    await tx.query(
      `WITH latest AS (SELECT max(retention_anchor_at) AS at FROM capture WHERE person_id = $1 AND retention_anchor = $2)
       UPDATE capture c
          SET retention_due_at = ((latest.at AT TIME ZONE 'UTC') + age(c.retention_due_at AT TIME ZONE 'UTC', c.retention_anchor_at AT TIME ZONE 'UTC')) AT TIME ZONE 'UTC',
              retention_anchor_at = latest.at
         FROM latest
        WHERE c.person_id = $1 AND c.retention_anchor = $2 AND c.retention_anchor_at < latest.at`,
      [toId, 'last_event_registration'],
    );
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

  accountManagerCount(tx: EntityManager, companyId: string): Promise<number> {
    return tx.query(`SELECT count(*)::int AS n FROM account_manager WHERE company_id = $1`, [companyId]).then((rows: { n: number }[]) => rows[0].n);
  }

  async addAccountManager(tx: EntityManager, companyId: string, userId: string, assignedBy: string | null): Promise<void> {
    await tx.query(`INSERT INTO account_manager (company_id, user_id, assigned_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [companyId, userId, assignedBy]);
  }

  async updateCompany(tx: EntityManager, id: string, changes: Partial<Company>): Promise<void> {
    await tx.update(Company, { id }, changes);
  }
}
