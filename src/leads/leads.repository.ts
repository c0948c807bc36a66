import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { ConsentPurpose, LegalBasis } from '../domain/purposes';
import { Activity } from './entities/activity.entity';
import { Capture } from './entities/capture.entity';
import { Company } from './entities/company.entity';
import { ConsentEvent } from './entities/consent-event.entity';
import { Person } from './entities/person.entity';
import { LegalHold } from './entities/legal-hold.entity';
import { AssignmentRule } from './entities/assignment-rule.entity';
import { jsonArrayBytes } from '../common/json-bytes';
import type { AlsoWritten } from '../database/also-written';
import type { AlsoErased } from '../database/also-erased';
import type { LifecycleStatus } from '../domain/lifecycle';
import { PERSON_FIELDS, type PersonFields } from '../domain/person-fields';


const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const PERSON_COLUMNS = PERSON_FIELDS.map(snake);
const camelNames = new Map<string, string>();
const camel = (s: string) => {
  let name = camelNames.get(s);
  if (!name) camelNames.set(s, (name = s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())));
  return name;
};

/** A raw `person` row as the entity (the naming strategy is plain snake_case). */
function toPerson(row: Record<string, unknown>): Person {
  const person: Record<string, unknown> = {};
  for (const key in row) person[camel(key)] = row[key];
  return person as unknown as Person;
}



// crm_person_ids_matching (migrations/…-CustomerAccess.ts) knows these same keys.
export const PERSON_SORTS = { createdAt: 'p.created_at', updatedAt: 'p.updated_at', name: `lower(coalesce(p.last_name, '') || ' ' || coalesce(p.first_name, ''))` } as const;
export type PersonSort = keyof typeof PERSON_SORTS;

/** A connection holding a transaction: the caller's, or one the writer began. */
export interface LeadsSession {
  client: PoolClient;
  /** False inside a caller's transaction: then the caller begins and commits. */
  ownTransaction: boolean;
  release(): void;
}

/** A person as the writer found them, locked, with what its rules need beyond the row. */
export type FoundPerson = Person & {
  /** The person a phone lookup picks for their phone: someone known by phone alone first, then the latest updated. */
  phoneTop: boolean;
  /** The latest anchor of each moving retention clock (e.g. `last_event_registration`) among their captures. */
  latestAnchors: Record<string, Date>;
};

/**
 * Everything a batch of captures writes, column by column (index i of every capture array is
 * capture i). Ids are made by the caller. JSON values travel as JSON text.
 */
export interface CaptureRows {
  newPersons: { id: string; fields: PersonFields; ownerId: string | null }[];
  /** Known persons the batch touches: their blanks filled from these values (never overwritten). */
  knownPersons: { id: string; fields: PersonFields; ownerId: string | null }[];
  captures: {
    id: string[]; personId: string[]; source: string[]; sourceRef: (string | null)[]; formId: (string | null)[]; receivedAt: string[]; contentType: (string | null)[];
    rawBody: (string | null)[]; payload: string[]; mapped: string[]; warnings: string[]; request: (string | null)[]; inquiryType: (string | null)[]; legalBases: string[]; consentsGiven: string[];
    policyVersion: string[]; retentionAnchor: string[]; anchorAt: string[]; dueAt: string[]; actorType: string[]; actorId: (string | null)[];
    activityType: string[]; activityAt: string[]; activityBody: (string | null)[]; activityDetails: string[];
    auditAction: string[]; auditChanges: string[]; requestId: (string | null)[]; ip: (string | null)[];
    submissionStatus: (string | null)[]; submissionVerdict: string[];
  };
  consents: { captureId: string[]; purpose: string[]; wording: string[] };
  /** Retention years per policy version and source: a moved clock falls due by its own capture's rule. */
  retentionYears: { version: string[]; source: string[]; years: number[] };
  /** Anchors whose clocks only move forward: a later anchor moves the person's older captures of that kind. */
  forwardAnchors: string[];
  /** Stored captures to move forward: each person's captures on this clock with an earlier anchor take this one. */
  clockMoves: { personId: string[]; anchor: string[]; anchorAt: string[] };
}

// The rules of the HubSpot outbox, once, for every statement that changes a person (SQL over `p`,
// the person row before the change; `force` for the one change a restricted person still owes:
// telling HubSpot of the restriction itself).
/** A restricted person's data is processed no further, HubSpot included (9.4): no outbox row. */
/** A capture still holding personal values (not yet emptied). */
const HOLDS_DATA = `(payload <> '{}' OR mapped <> '{}' OR raw_body IS NOT NULL OR request IS NOT NULL)`;

/**
 * Other folders' statements for the rows naming the persons being erased (`database/also-erased.ts`):
 * $1 persons, $2 captures, $3 addresses, $4 timeline entries. A statement none of whose lists
 * holds anything is not run (an empty list matches nothing, but could still cost a scan). The
 * rest run as one statement, each a data-modifying WITH query, so the lists are sent and parsed
 * once: each updates its own table, and all of them see the rows as they were before any ran.
 */
async function runAlsoErased(tx: EntityManager, also: AlsoErased[], params: [string[], string[], string[], string[]]): Promise<void> {
  const statements = also
    .flatMap((hook) => hook.statements)
    .filter((statement) => params.some((list, i) => list.length > 0 && new RegExp(`\\$${i + 1}(?!\\d)`).test(statement)));
  if (!statements.length) return;
  // Every parameter typed once, whichever of them a statement uses.
  await tx.query(`WITH erasing AS (SELECT $1::uuid[], $2::uuid[], $3::text[], $4::uuid[]), ${statements.map((s, i) => `erased_${i} AS (${s})`).join(', ')} SELECT 1`, params);
}

/** An owner rule as a batch of captures applies it. */
export interface LockedRule {
  id: string;
  formId: string | null;
  channel: string | null;
  mode: 'fixed' | 'round_robin' | 'least_busy';
  nextIndex: number;
  candidates: string[];
  /** Least-busy: each candidate's open leads. */
  open: Record<string, number>;
}

/** Where a sweep's walk over ended clocks stopped: the last capture seen, in (due date, id) order. */
export interface DueKey {
  dueAt: Date;
  id: string;
}

/** A hold in force on `asOf` keeps this person (their own, or their company's as a lead or a customer). */
/** One row per key, with the smallest person id naming it (the order the database sorts uuids in). */
function firstPersonBy(rows: { personId: string; key: string }[]): { personId: string; key: string }[] {
  const first = new Map<string, string>();
  for (const { personId, key } of rows) if (!first.has(key) || personId < first.get(key)!) first.set(key, personId);
  return [...first].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([key, personId]) => ({ personId, key }));
}

/** Distinct (person, key) pairs. */
function distinctPairs(rows: { personId: string; key: string }[]): { personId: string; key: string }[] {
  return [...new Map(rows.map((r) => [`${r.personId} ${r.key}`, r])).values()];
}

const held = (p: string, asOf: string) =>
  `EXISTS (SELECT 1 FROM legal_hold h WHERE h.ended_at IS NULL AND h.until > ${asOf}
             AND (h.person_id = ${p}.id OR h.company_id = ${p}.company_id OR h.company_id = ${p}.customer_company_id))`;
const owesSync = (p: string, force = 'false') => `(${force} OR ${p}.restricted_at IS NULL)`;
/** A synced (or failed) person owed a change becomes pending again. */
const syncStateAfterChange = (p: string, force = 'false') => `CASE WHEN ${owesSync(p, force)} AND ${p}.sync_state IN ('synced', 'failed') THEN 'pending' ELSE ${p}.sync_state END`;

/**
 * Moves forward-only clocks: each row (person_id, anchor, anchor_at) of `moves` moves the
 * person's captures of that kind with an earlier anchor to it, due by their own policy
 * version's years for their source. Never backward.
 */
const moveClocksSql = (moves: string, years: string) => `UPDATE capture k SET retention_anchor_at = m.anchor_at,
          retention_due_at = ((m.anchor_at AT TIME ZONE 'UTC') + make_interval(years => y.years)) AT TIME ZONE 'UTC'
     FROM (SELECT person_id, anchor, max(anchor_at) AS anchor_at FROM (${moves}) f GROUP BY person_id, anchor) m, ${years}
    WHERE k.person_id = m.person_id AND k.retention_anchor = m.anchor AND k.retention_anchor_at < m.anchor_at
      AND y.version = k.policy_version AND y.source = k.source`;

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
  /** E.164. */
  phone?: string;
  sort: PersonSort;
  descending: boolean;
  after?: [string, string];
  limit: number;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');

/** What the eraser took away: who, every address and HubSpot contact they had, and who still owed HubSpot an update. */
export interface Erasure {
  erased: string[];
  addresses: { personId: string; email: string }[];
  contacts: { personId: string; hubspotId: string }[];
  unsettled: string[];
}

@Injectable()
export class LeadsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  // The intake hot path below is plain SQL in as few round trips as the rules allow: on these
  // machines each statement sent costs more than all the work around it.

  /** A connection for a batch of captures: the caller's transaction, or one of our own (begun by the first statement). */
  async session(outer?: EntityManager): Promise<LeadsSession> {
    if (outer) {
      if (!outer.queryRunner?.isTransactionActive) throw new Error('capture needs the outer transaction’s EntityManager');
      return { client: (await outer.queryRunner.connect()) as PoolClient, ownTransaction: false, release: () => undefined };
    }
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    return { client, ownTransaction: true, release: () => void runner.release() };
  }

  /**
   * An advisory lock per identity, so concurrent arrivals of one person find each other across
   * instances (sorted: no deadlocks), then the persons by e-mail, by phone and by id, locked;
   * each statement takes a fresh snapshot, so the reads see whatever committed before the locks
   * were granted. In a transaction of its own, one round trip: BEGIN and both as one simple query
   * (values quoted by the driver).
   * Without a session (a dry run), the same lookup unlocked.
   */
  async lockAndFind(session: LeadsSession | null, identities: { emails: string[]; phones: string[]; ids: string[] }): Promise<FoundPerson[]> {
    const { emails, phones, ids } = identities;
    if (!emails.length && !phones.length && !ids.length) {
      if (session?.ownTransaction) await session.client.query('BEGIN');
      return [];
    }
    const quote = (values: string[]) => (session ? session.client.escapeLiteral(`{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`) : '');
    const keys = [...new Set([...emails.map((e) => `person:email:${e}`), ...phones.map((p) => `person:phone:${p}`)])].sort();
    const find = (e: string, ph: string, i: string) => `WITH by_email AS (SELECT p.id FROM person p WHERE p.email = ANY(${e}::text[])),
           by_phone AS (SELECT DISTINCT ON (p.phone) p.id FROM person p WHERE p.phone = ANY(${ph}::text[]) ORDER BY p.phone, (p.email IS NULL) DESC, p.updated_at DESC)
      SELECT p.*, p.id IN (SELECT id FROM by_phone) AS phone_top,
             (SELECT jsonb_object_agg(a.retention_anchor, a.at) FROM (SELECT c.retention_anchor, max(c.retention_anchor_at) AS at FROM capture c
                WHERE c.person_id = p.id AND c.retention_anchor <> 'collection' GROUP BY c.retention_anchor) a) AS latest_anchors
        FROM person p WHERE p.id IN (SELECT id FROM by_email UNION SELECT id FROM by_phone UNION SELECT unnest(${i}::uuid[]))`;
    let rows: Record<string, unknown>[];
    if (!session) rows = await this.dataSource.query(find('$1', '$2', '$3'), [emails, phones, ids]);
    else if (!session.ownTransaction) {
      // Inside a caller's transaction (an import's batch, hundreds of identities): two prepared
      // statements, planned once per connection, rather than one text to parse and plan each time.
      if (keys.length) await session.client.query({ name: 'leads_lock_identities', text: `SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) WITH ORDINALITY AS u(k, n)`, values: [keys] });
      rows = (await session.client.query({ name: 'leads_find_locked', text: `${find('$1', '$2', '$3')} FOR UPDATE OF p`, values: [emails, phones, ids] })).rows;
    } else {
      const statements = [
        ...(session.ownTransaction ? ['BEGIN'] : []),
        ...(keys.length ? [`SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(${quote(keys)}::text[]) WITH ORDINALITY AS u(k, n)`] : []),
        `${find(quote(emails), quote(phones), quote(ids))} FOR UPDATE OF p`,
      ];
      const results = (await session.client.query(statements.join(';\n'))) as unknown as { rows: Record<string, unknown>[] } | { rows: Record<string, unknown>[] }[];
      rows = Array.isArray(results) ? results[results.length - 1].rows : results.rows;
    }
    return rows.map((row) => {
      const { phone_top: phoneTop, latest_anchors: anchors, ...person } = row;
      const latestAnchors = Object.fromEntries(Object.entries((anchors as Record<string, string> | null) ?? {}).map(([k, v]) => [k, new Date(v)]));
      return Object.assign(toPerson(person), { phoneTop: phoneTop as boolean, latestAnchors });
    });
  }

  /**
   * One statement for a whole batch: new persons, known persons' blanks filled (and owed to
   * HubSpot), captures, moved clocks, consent events, timeline entries, audit lines, HubSpot
   * outbox rows and the screened arrivals' outcomes. Foreign keys are checked at the statement's
   * end, so captures may name persons it inserts. Named: its shape never changes, so each
   * connection plans it once.
   */
  async writeCaptures(session: LeadsSession, w: CaptureRows, also?: AlsoWritten): Promise<void> {
    const params: unknown[] = [];
    const $ = (v: unknown) => `$${params.push(v)}`;
    const elements = (texts: string[]) => `jsonb_array_elements(convert_from(${$(jsonArrayBytes(texts))}::bytea, 'UTF8')::jsonb)`;
    // Ids and ISO times need no quoting: their array literal is a join, not an escape per element.
    const plain = (values: (string | null)[], type: string) => `unnest(${$(`{${values.map((v) => v ?? 'NULL').join(',')}}`)}::${type}[])`;
    const c = w.captures;
    const persons = (rows: CaptureRows['newPersons'], alias: string) =>
      `unnest(${$(rows.map((p) => p.id))}::uuid[], ${PERSON_FIELDS.map((f) => `${$(rows.map((p) => p.fields[f] ?? null))}::text[]`).join(', ')}, ${$(rows.map((p) => p.ownerId))}::uuid[])
         AS ${alias}(id, ${PERSON_COLUMNS.join(', ')}, owner_id)`;
    // What every capture of the batch shares (an attendee list's legal bases, no consents) goes once, not per row.
    const sharedBases = c.legalBases.every((b) => b === c.legalBases[0]);
    const noConsents = c.consentsGiven.every((g) => g === '[]');
    const noWarnings = c.warnings.every((w) => w === '[]');
    const submissions = c.submissionStatus.some((st) => st !== null);
    const columns: [string, string][] = [
      ['capture_id', plain(c.id, 'uuid')], ['person_id', plain(c.personId, 'uuid')], ['source', `unnest(${$(c.source)}::text[])`], ['source_ref', `unnest(${$(c.sourceRef)}::text[])`],
      ['form_id', plain(c.formId, 'uuid')], ['received_at', plain(c.receivedAt, 'timestamptz')], ['content_type', `unnest(${$(c.contentType)}::text[])`],
      ['raw_body', `unnest(${$(c.rawBody)}::text[])`], ['payload', elements(c.payload)], ['mapped', elements(c.mapped)], ['request', `unnest(${$(c.request)}::text[])`],
      ['inquiry_type', `unnest(${$(c.inquiryType)}::text[])`], ['policy_version', `unnest(${$(c.policyVersion)}::text[])`], ['retention_anchor', `unnest(${$(c.retentionAnchor)}::text[])`],
      ['anchor_at', plain(c.anchorAt, 'timestamptz')], ['due_at', plain(c.dueAt, 'timestamptz')], ['actor_type', `unnest(${$(c.actorType)}::text[])`], ['actor_id', plain(c.actorId, 'uuid')],
      ['activity_type', `unnest(${$(c.activityType)}::text[])`], ['activity_at', plain(c.activityAt, 'timestamptz')], ['activity_body', `unnest(${$(c.activityBody)}::text[])`],
      ['activity_details', elements(c.activityDetails)], ['audit_action', `unnest(${$(c.auditAction)}::text[])`], ['audit_changes', elements(c.auditChanges)],
      ['request_id', `unnest(${$(c.requestId)}::text[])`], ['ip', `unnest(${$(c.ip)}::inet[])`],
      ...(sharedBases ? [] : [['legal_bases', elements(c.legalBases)] as [string, string]]),
      ...(noConsents ? [] : [['consents_given', elements(c.consentsGiven)] as [string, string]]),
      ...(noWarnings ? [] : [['warnings', elements(c.warnings)] as [string, string]]),
      ...(submissions ? [['submission_status', `unnest(${$(c.submissionStatus)}::text[])`], ['submission_verdict', elements(c.submissionVerdict)]] as [string, string][] : []),
    ];
    const legalBases = sharedBases ? `${$(c.legalBases[0] ?? '{}')}::jsonb` : 'legal_bases';
    const consentsGiven = noConsents ? `'{}'::text[]` : 'ARRAY(SELECT jsonb_array_elements_text(consents_given))';
    const parts: Record<string, () => string> = {
      np: () => `np AS (INSERT INTO person (id, ${PERSON_COLUMNS.join(', ')}, owner_id) SELECT * FROM ${persons(w.newPersons, 'n')})`,
      up: () => `up AS (UPDATE person p SET ${PERSON_COLUMNS.map((col) => `${col} = coalesce(p.${col}, k.${col})`).join(', ')}, owner_id = coalesce(p.owner_id, k.owner_id),
                sync_state = ${syncStateAfterChange('p')}, updated_at = now()
        FROM ${persons(w.knownPersons, 'k')} WHERE p.id = k.id)`,
      c: () => `c AS (INSERT INTO capture (id, person_id, source, source_ref, form_id, received_at, content_type, raw_body, payload, mapped, request, inquiry_type,
                                 legal_bases, consents_given, policy_version, retention_anchor, retention_anchor_at, retention_due_at, actor_type, actor_id, warnings)
        SELECT capture_id, person_id, source, source_ref, form_id, received_at, content_type, raw_body, payload, mapped, request, inquiry_type,
               ${legalBases}, ${consentsGiven}, policy_version, retention_anchor, anchor_at, due_at, actor_type, actor_id, ${noWarnings ? `'[]'::jsonb` : 'warnings'} FROM e)`,
      mv: () => `mv AS (${moveClocksSql(
        `SELECT * FROM unnest(${$(w.clockMoves.personId)}::uuid[], ${$(w.clockMoves.anchor)}::text[], ${$(w.clockMoves.anchorAt)}::timestamptz[]) AS m(person_id, anchor, anchor_at)`,
        this.yearsTable($, w.retentionYears),
      )})`,
      // The ledger's time is when the person consented (the arrival's time), not when a reviewer released it.
      ce: () => `ce AS (INSERT INTO consent_event (person_id, purpose, action, occurred_at, source, capture_id, policy_version, wording, actor_type, actor_id)
        SELECT e.person_id, g.purpose, 'granted', e.received_at, e.source, e.capture_id, e.policy_version, g.wording, e.actor_type, e.actor_id
          FROM unnest(${$(w.consents.captureId)}::uuid[], ${$(w.consents.purpose)}::text[], ${$(w.consents.wording)}::text[]) WITH ORDINALITY AS g(capture_id, purpose, wording, n)
          JOIN e USING (capture_id) ORDER BY g.n)`,
      a: () => `a AS (INSERT INTO activity (person_id, type, occurred_at, body, details, capture_id, actor_type, actor_id)
        SELECT person_id, activity_type, activity_at, activity_body, nullif(activity_details, 'null'::jsonb), capture_id, actor_type, actor_id FROM e)`,
      au: () => `au AS (INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, changes, request_id, ip)
        SELECT actor_type, actor_id, audit_action, 'person', person_id::text, nullif(audit_changes, 'null'::jsonb), request_id, ip FROM e)`,
      o: () => `o AS (INSERT INTO hubspot_outbox (person_id, kind)
        SELECT e.person_id, 'upsert' FROM e LEFT JOIN person p ON p.id = e.person_id WHERE p.id IS NULL OR ${owesSync('p')})`,
      s: () => `-- The capture now holds the content: the arrival keeps only what the rate limits and burst checks count.
      s AS (UPDATE intake_submission i SET status = e.submission_status, verdict = e.submission_verdict, fields = '{}', raw_body = NULL
        FROM e WHERE i.id = e.capture_id AND e.submission_status IS NOT NULL)`,
    };
    // Only the parts this batch needs: each shape is its own named statement, planned once per connection.
    const ctes: [string, boolean][] = [
      ['np', w.newPersons.length > 0],
      ['up', w.knownPersons.length > 0],
      ['c', true],
      ['mv', w.clockMoves.personId.length > 0],
      ['ce', w.consents.captureId.length > 0],
      ['a', true],
      ['au', true],
      ['o', true],
      ['s', submissions],
    ];
    const wanted = ctes.filter(([, on]) => on).map(([name]) => name);
    const text = `WITH
      e AS MATERIALIZED (SELECT * FROM ROWS FROM (${columns.map(([, from]) => from).join(', ')}) WITH ORDINALITY AS u(${columns.map(([name]) => name).join(', ')}, n)),
${[...wanted.map((name) => parts[name]()), ...(also?.ctes($) ?? [])].join(',\n      ')}
      SELECT 1`;
    // Named by a hash of its text (PostgreSQL keeps 63 characters of a name), so two shapes can never share a name.
    await session.client.query({ name: `leads_capture_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text, values: params });
  }

  /**
   * HubSpot is owed this person's change: an outbox row (unless processing is restricted, 9.4;
   * \`force\` for telling HubSpot of the restriction itself), and a synced person becomes pending
   * while a change of their contact waits (an unsubscribe is not one: it leaves their state alone).
   */
  async oweSync(tx: EntityManager, personId: string, change: { kind?: 'upsert' | 'unsubscribe'; email?: string | null; force?: boolean } = {}): Promise<void> {
    const kind = change.kind ?? 'upsert';
    await tx.query(
      `WITH o AS (INSERT INTO hubspot_outbox (person_id, kind, email) SELECT p.id, $2, $3 FROM person p WHERE p.id = $1 AND ${owesSync('p', '$4')})
       UPDATE person p SET sync_state = ${syncStateAfterChange('p', '$4')} WHERE p.id = $1 AND $2 = 'upsert'`,
      [personId, kind, change.email ?? null, change.force ?? false],
    );
  }

  /** Fields staff cleared on purpose: HubSpot is sent an explicit clear of each, once. */
  async clearInHubspot(tx: EntityManager, personId: string, fields: string[]): Promise<void> {
    if (fields.length) {
      await tx.query(`UPDATE person SET hubspot_clears = ARRAY(SELECT DISTINCT unnest(hubspot_clears || $2::text[])) WHERE id = $1`, [personId, fields]);
    }
  }

  /**
   * Two records merged: the winner keeps every HubSpot contact id either had, and when both had a
   * contact, HubSpot merges the loser's into the winner's before the winner's next update (the
   * claim of updates waits for it). With only the loser's contact, it becomes the winner's.
   */
  async mergeHubspotContacts(tx: EntityManager, winner: Pick<Person, 'id' | 'hubspotId' | 'hubspotIds' | 'hubspotStage'>, loser: Pick<Person, 'hubspotId' | 'hubspotIds' | 'hubspotStage'>): Promise<void> {
    const ids = [...new Set([...winner.hubspotIds, ...loser.hubspotIds, ...[winner.hubspotId, loser.hubspotId].filter((id): id is string => Boolean(id))])];
    await tx.query(`UPDATE person SET hubspot_ids = $2, hubspot_id = COALESCE(hubspot_id, $3), hubspot_stage = COALESCE(hubspot_stage, $4) WHERE id = $1`, [
      winner.id, ids, loser.hubspotId, loser.hubspotStage,
    ]);
    if (winner.hubspotId && loser.hubspotId && winner.hubspotId !== loser.hubspotId) {
      await tx.query(`INSERT INTO hubspot_outbox (person_id, kind, hubspot_id, merged_hubspot_id) VALUES ($1, 'merge', $2, $3)`, [winner.id, winner.hubspotId, loser.hubspotId]);
    }
  }

  /** Every person an address or number names: their own, or on any capture of theirs (as the caller sees them). */
  async personsNamedBy(identifier: { email: string | null; phone: string | null }): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM person WHERE (email = $1 OR phone = $2) AND erased_at IS NULL
       UNION SELECT c.person_id FROM capture c JOIN person p ON p.id = c.person_id
        WHERE p.erased_at IS NULL AND (lower(trim(c.mapped->>'email')) = $1 OR c.mapped->>'phone' = $2 OR c.payload->>'phone' = $2)`,
      [identifier.email, identifier.phone],
    );
    return rows.map((r) => r.id);
  }

  assignmentRules(): Promise<AssignmentRule[]> {
    return this.dataSource.getRepository(AssignmentRule).find({ order: { updatedAt: 'DESC' } });
  }

  async formExists(id: string): Promise<boolean> {
    return (await this.dataSource.query(`SELECT 1 FROM intake_form WHERE id = $1`, [id])).length > 0;
  }

  /** One rule per form or channel: setting it again replaces it (its turn order starts over). */
  async saveAssignmentRule(tx: EntityManager, rule: Pick<AssignmentRule, 'formId' | 'channel' | 'mode' | 'userIds' | 'updatedBy'>): Promise<AssignmentRule> {
    await tx.query(`DELETE FROM assignment_rule WHERE form_id = $1 OR channel = $2`, [rule.formId, rule.channel]);
    const { identifiers } = await tx.insert(AssignmentRule, rule);
    return tx.findOneByOrFail(AssignmentRule, { id: identifiers[0].id as string });
  }

  async deleteAssignmentRule(tx: EntityManager, id: string): Promise<boolean> {
    const [, count] = await tx.query(`DELETE FROM assignment_rule WHERE id = $1`, [id]);
    return count > 0;
  }

  /** Which forms and channels have an owner rule: a quick look before a batch (no lock). */
  async ruleScopes(): Promise<{ forms: string[]; channels: string[] }> {
    const rows: { form_id: string | null; channel: string | null }[] = await this.dataSource.query(`SELECT form_id, channel FROM assignment_rule WHERE mode <> 'nobody'`);
    return { forms: rows.flatMap((r) => (r.form_id ? [r.form_id] : [])), channels: rows.flatMap((r) => (r.channel ? [r.channel] : [])) };
  }

  /**
   * The owner rules for these forms and channels, locked for the capture's transaction (so
   * concurrent batches take round-robin turns one after the other), each with its candidates
   * still active in sales, in order, and their open leads (for least-busy).
   */
  async lockAssignmentRules(session: LeadsSession, forms: string[], channels: string[]): Promise<LockedRule[]> {
    const { rows } = await session.client.query(
      `SELECT r.id, r.form_id AS "formId", r.channel, r.mode, r.next_index AS "nextIndex",
              ARRAY(SELECT c.id FROM unnest(r.user_ids) WITH ORDINALITY AS c(id, n) JOIN staff_user u ON u.id = c.id
                     WHERE u.deactivated_at IS NULL AND 'sales' = ANY(u.roles) ORDER BY c.n) AS candidates
         FROM assignment_rule r WHERE r.mode <> 'nobody' AND (r.form_id = ANY($1::uuid[]) OR r.channel = ANY($2::text[])) ORDER BY r.id FOR UPDATE OF r`,
      [forms, channels],
    );
    const busyOf = [...new Set((rows as LockedRule[]).filter((r) => r.mode === 'least_busy').flatMap((r) => r.candidates))];
    const open = new Map<string, number>();
    if (busyOf.length) {
      const counts = await session.client.query(
        `SELECT owner_id, count(*)::int AS n FROM person WHERE owner_id = ANY($1::uuid[]) AND erased_at IS NULL AND status IN ('new', 'contacted', 'qualified') GROUP BY owner_id`,
        [busyOf],
      );
      for (const c of counts.rows as { owner_id: string; n: number }[]) open.set(c.owner_id, c.n);
    }
    return (rows as LockedRule[]).map((r) => ({ ...r, open: Object.fromEntries(r.candidates.map((id) => [id, open.get(id) ?? 0])) }));
  }

  async advanceRoundRobin(session: LeadsSession, moves: { id: string; by: number }[]): Promise<void> {
    if (!moves.length) return;
    await session.client.query(
      `UPDATE assignment_rule r SET next_index = r.next_index + m.by FROM unnest($1::uuid[], $2::int[]) AS m(id, by) WHERE r.id = m.id`,
      [moves.map((m) => m.id), moves.map((m) => m.by)],
    );
  }

  /** Finds the person by e-mail (for rectification: is the new address someone else's?). */
  async findByEmailForUpdate(tx: EntityManager, email: string): Promise<Person | null> {
    const rows = await tx.query(`SELECT * FROM person WHERE email = $1 FOR UPDATE`, [email]);
    return rows.length ? toPerson(rows[0]) : null;
  }

  /**
   * The person a unique index gives this identity to: the holder of the address, or, with no
   * address, the one known by this number alone (person_email_key, person_phone_only_key). As
   * whoever asks sees the rows: for a new lead's writer, ask as the system.
   */
  async uniqueHolder(email: string | null, phone: string | null): Promise<string | null> {
    const rows: { id: string }[] = email
      ? await this.dataSource.query(`SELECT id FROM person WHERE email = $1`, [email])
      : phone ? await this.dataSource.query(`SELECT id FROM person WHERE phone = $1 AND email IS NULL`, [phone]) : [];
    return rows[0]?.id ?? null;
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
    if (f.phone) where.push(`p.phone = ${param(f.phone)}`);
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

  /** Each person's latest request and its inquiry type (for list rows): the first `chars` characters. */
  latestRequests(personIds: string[], chars: number): Promise<{ personId: string; request: string | null; inquiryType: string | null }[]> {
    if (!personIds.length) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT DISTINCT ON (person_id) person_id AS "personId", left(request, $2) AS request, inquiry_type AS "inquiryType"
         FROM capture WHERE person_id = ANY($1::uuid[]) ORDER BY person_id, received_at DESC, id DESC`,
      [personIds, chars],
    );
  }

  captures(personId: string, tx: EntityManager = this.dataSource.manager): Promise<Capture[]> {
    return tx.find(Capture, { where: { personId }, order: { receivedAt: 'DESC' } });
  }

  captureForUpdate(tx: EntityManager, personId: string, captureId: string): Promise<Capture | null> {
    return tx.findOne(Capture, { where: { id: captureId, personId }, lock: { mode: 'pessimistic_write' } });
  }

  async updateCapture(tx: EntityManager, id: string, changes: Partial<Pick<Capture, 'inquiryType' | 'legalBases'>>): Promise<void> {
    await tx.update(Capture, { id }, changes as never);
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
   * whom their data went to (9.2). Forward-only clocks (the event clock, policy 7.5) then run
   * from the later anchor of either record, never shorter.
   */
  async moveAttached(tx: EntityManager, fromId: string, toId: string, clocks: Pick<CaptureRows, 'retentionYears' | 'forwardAnchors'>): Promise<void> {
    for (const table of ['capture', 'consent_event', 'activity', 'disclosure']) {
      await tx.query(`UPDATE ${table} SET person_id = $2 WHERE person_id = $1`, [fromId, toId]);
    }
    await tx.query(
      `DELETE FROM event_registration r WHERE r.person_id = $1
          AND EXISTS (SELECT 1 FROM event_registration w WHERE w.person_id = $2 AND w.event_id = r.event_id)`,
      [fromId, toId],
    );
    await tx.query(`UPDATE event_registration SET person_id = $2 WHERE person_id = $1`, [fromId, toId]);
    const params: unknown[] = [toId, clocks.forwardAnchors];
    const $ = (v: unknown) => `$${params.push(v)}`;
    await tx.query(
      moveClocksSql(`SELECT person_id, retention_anchor AS anchor, retention_anchor_at AS anchor_at FROM capture WHERE person_id = $1 AND retention_anchor = ANY($2::text[])`, this.yearsTable($, clocks.retentionYears)),
      params,
    );
  }

  private yearsTable($: (v: unknown) => string, years: CaptureRows['retentionYears']): string {
    return `unnest(${$(years.version)}::text[], ${$(years.source)}::text[], ${$(years.years)}::int[]) AS y(version, source, years)`;
  }

  /** The person each of these captures or timeline entries belongs to (as the caller sees them). */
  async ownersOf(tx: EntityManager, records: { captureIds: string[]; activityIds: string[] }): Promise<Map<string, string>> {
    const rows: { id: string; person_id: string }[] = await tx.query(
      `SELECT id::text, person_id FROM capture WHERE id = ANY($1::uuid[]) UNION ALL SELECT id::text, person_id FROM activity WHERE id = ANY($2::uuid[])`,
      [records.captureIds, records.activityIds],
    );
    return new Map(rows.map((r) => [r.id, r.person_id]));
  }

  /** Of these persons, the ones whose data may still go out (not restricted, 9.4; not erased), with their contact fields. */
  disclosable(tx: EntityManager, personIds: string[]): Promise<Pick<Person, 'id' | 'firstName' | 'lastName' | 'email' | 'phone' | 'companyName' | 'position'>[]> {
    return tx.query(
      `SELECT id, first_name AS "firstName", last_name AS "lastName", email, phone, company_name AS "companyName", position
         FROM person WHERE id = ANY($1::uuid[]) AND restricted_at IS NULL AND erased_at IS NULL`,
      [personIds],
    );
  }

  /** Companies as the caller may see them (row-level security filters every read here), by name. */
  listCompanies(f: { q?: string; customer?: boolean; after?: [string, string]; limit: number }): Promise<Company[]> {
    const qb = this.dataSource.getRepository(Company).createQueryBuilder('c').orderBy('lower(c.name)', 'ASC').addOrderBy('c.id', 'ASC').limit(f.limit);
    if (f.q) qb.andWhere(`(lower(c.name) LIKE :q OR c.domain LIKE :q)`, { q: `%${escapeLike(f.q.toLowerCase())}%` });
    if (f.customer !== undefined) qb.andWhere('c.isCustomer = :customer', { customer: f.customer });
    if (f.after) qb.andWhere('(lower(c.name), c.id) > (:name, :id)', { name: f.after[0], id: f.after[1] });
    return qb.getMany();
  }

  findCompany(id: string, tx: EntityManager = this.dataSource.manager, lock = false): Promise<Company | null> {
    return tx.getRepository(Company).findOne({ where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  /** The company with this domain the caller sees (row-level security), in their transaction when given one. */
  findCompanyByDomain(domain: string, tx: EntityManager = this.dataSource.manager): Promise<Company | null> {
    return tx.findOne(Company, { where: { domain } });
  }

  async insertCompany(tx: EntityManager, company: Pick<Company, 'name' | 'domain' | 'address'>): Promise<Company> {
    const { identifiers } = await tx.insert(Company, company);
    return (await this.findCompany(identifiers[0].id as string, tx))!;
  }

  /**
   * Whether this (normalised) address is one of the person's: their e-mail now, one any of their
   * captures was made from (merged records' included), or the sender of a mail filed on them.
   */
  async isAddressOf(tx: EntityManager, personId: string, email: string): Promise<boolean> {
    const rows: { known: boolean }[] = await tx.query(
      `SELECT EXISTS (SELECT 1 FROM person p WHERE p.id = $1 AND p.email = $2)
           OR EXISTS (SELECT 1 FROM capture c WHERE c.person_id = $1 AND c.mapped->>'email' = $2)
           OR EXISTS (SELECT 1 FROM activity a WHERE a.person_id = $1 AND a.type = 'email' AND lower(a.details->>'from') = $2) AS known`,
      [personId, email],
    );
    return rows[0].known;
  }

  /**
   * Who may be told about a new lead for this person: whether processing is restricted, and, for
   * an active customer's person, the addresses of that customer's active account managers.
   */
  async notificationAudience(personId: string): Promise<{ restricted: boolean; customerCompanyId: string | null; accountManagerEmails: string[] } | null> {
    const rows: { restricted: boolean; customerCompanyId: string | null; accountManagerEmails: string[] }[] = await this.dataSource.query(
      `SELECT p.restricted_at IS NOT NULL AS restricted, p.customer_company_id AS "customerCompanyId",
              ARRAY(SELECT u.email FROM account_manager am JOIN staff_user u ON u.id = am.user_id
                     WHERE am.company_id = p.customer_company_id AND u.deactivated_at IS NULL AND 'account_manager' = ANY (u.roles)
                     ORDER BY u.email) AS "accountManagerEmails"
         FROM person p WHERE p.id = $1`,
      [personId],
    );
    return rows[0] ?? null;
  }

  /** False when the user already looks after the company. */
  async addAccountManager(tx: EntityManager, companyId: string, userId: string, assignedBy: string | null): Promise<boolean> {
    const rows = (await tx.query(`INSERT INTO account_manager (company_id, user_id, assigned_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id`, [companyId, userId, assignedBy])) as unknown[];
    return rows.length > 0;
  }

  async updateCompany(tx: EntityManager, id: string, changes: Partial<Company>): Promise<void> {
    await tx.update(Company, { id }, changes);
  }

  /** The customer clocks of the company's people count from this delivery, if it is later than theirs. */
  async moveServiceDeliveryClocks(tx: EntityManager, companyId: string, deliveredAt: Date, years: CaptureRows['retentionYears']): Promise<void> {
    const params: unknown[] = [companyId, deliveredAt];
    const $ = (v: unknown) => `$${params.push(v)}`;
    await tx.query(
      moveClocksSql(
        `SELECT id AS person_id, 'last_service_delivery'::text AS anchor, $2::timestamptz AS anchor_at FROM person WHERE customer_company_id = $1 OR company_id = $1`,
        this.yearsTable($, years),
      ),
      params,
    );
  }

  /**
   * The one eraser: every personal value of these persons, wherever the personal-data registry
   * lists it, inside the caller's transaction. What stays is anonymous: the person row (ids,
   * dates, status), capture facts (channel, dates, inquiry type), consent events as counts.
   * Returns the addresses they ever gave, for the HubSpot purge.
   */
  async erase(tx: EntityManager, personIds: string[], also: AlsoErased[], lockedByCaller = false): Promise<Erasure> {
    if (!personIds.length) return { erased: [], addresses: [], contacts: [], unsettled: [] };
    // Locked (unless the caller's transaction holds the rows already: the sweep's), with what the
    // purges need from the person row itself.
    const people: { id: string; email: string | null; hubspotIds: (string | null)[] }[] = await tx.query(
      `SELECT id, lower(trim(email)) AS email, hubspot_ids || hubspot_id AS "hubspotIds" FROM person
        WHERE id = ANY($1::uuid[]) AND erased_at IS NULL ORDER BY id ${lockedByCaller ? '' : 'FOR UPDATE'}`,
      [personIds],
    );
    const erased = people.map((p) => p.id);
    if (!erased.length) return { erased, addresses: [], contacts: [], unsettled: [] };
    // Every address they ever gave (now, on any capture, in any message still owed to HubSpot),
    // every HubSpot contact they ever had (merged ones too), and their timeline: one read.
    const rows: { kind: 'capture' | 'outbox' | 'activity'; id: string | null; personId: string; email: string | null; hubspotIds: (string | null)[]; unsettled: boolean }[] = await tx.query(
      `SELECT 'capture' AS kind, id, person_id AS "personId", lower(trim(mapped->>'email')) AS email, '{}'::text[] AS "hubspotIds", false AS unsettled FROM capture WHERE person_id = ANY($1::uuid[])
       UNION ALL
       SELECT 'outbox', NULL, person_id, lower(trim(email)), CASE WHEN kind = 'merge' THEN ARRAY[hubspot_id, merged_hubspot_id] ELSE '{}' END, kind = 'upsert' AND done_at IS NULL
         FROM hubspot_outbox WHERE person_id = ANY($1::uuid[])
       UNION ALL
       SELECT 'activity', id, person_id, NULL, '{}', false FROM activity WHERE person_id = ANY($1::uuid[])`,
      [erased],
    );
    const captureRows = rows.filter((r) => r.kind === 'capture');
    const outboxRows = rows.filter((r) => r.kind === 'outbox');
    const activities = rows.filter((r) => r.kind === 'activity').map((a) => a.id as string);
    const sources = [...people.map((p) => ({ personId: p.id, email: p.email, hubspotIds: p.hubspotIds })), ...captureRows, ...outboxRows];
    const addresses = firstPersonBy(sources.flatMap((r) => (r.email ? [{ personId: r.personId, key: r.email }] : []))).map(({ personId, key }) => ({ personId, email: key }));
    const contacts = distinctPairs(sources.flatMap((r) => r.hubspotIds.filter((h): h is string => h !== null).map((h) => ({ personId: r.personId, key: h })))).map(({ personId, key }) => ({ personId, hubspotId: key }));
    const captures = captureRows.map((c) => c.id as string);
    const emails = addresses.map((a) => a.email);
    await runAlsoErased(tx, also, [erased, captures, emails, activities]);
    // One statement: captures and entries emptied (not those the sweep emptied already), what was
    // still to be sent about them gone (the purges replace it), what was sent kept without them,
    // and the person row emptied. Each part writes rows no other part writes.
    await tx.query(
      `WITH captures AS (UPDATE capture SET raw_body = NULL, payload = '{}', mapped = '{}', request = NULL WHERE person_id = ANY($1::uuid[]) AND ${HOLDS_DATA}),
            entries AS (UPDATE activity SET body = NULL, details = NULL WHERE person_id = ANY($1::uuid[]) AND (body IS NOT NULL OR details IS NOT NULL)),
            unsent AS (DELETE FROM hubspot_outbox WHERE person_id = ANY($1::uuid[]) AND done_at IS NULL),
            sent AS (UPDATE hubspot_outbox SET email = NULL, hubspot_id = NULL, merged_hubspot_id = NULL WHERE person_id = ANY($1::uuid[]) AND done_at IS NOT NULL)
       UPDATE person SET ${PERSON_COLUMNS.map((c) => `${c} = NULL`).join(', ')}, hubspot_id = NULL, hubspot_ids = '{}', hubspot_clears = '{}', hubspot_stage = NULL,
              sync_state = 'suppressed', sync_error = NULL,
              erased_at = now(), updated_at = now()
        WHERE id = ANY($1::uuid[])`,
      [erased],
    );
    // An update still owed to HubSpot may be on its way (sent, its answer timed out): it could land after the purge.
    const unsettled = [...new Set(outboxRows.filter((r) => r.unsettled).map((r) => r.personId))];
    return { erased, addresses, contacts, unsettled };
  }

  /**
   * A GDPR delete in HubSpot per contact id they had (first), and per address, with a suppression
   * of each address (its hash only), so the sync never re-creates the contact. The addresses of
   * `unsettled` persons (an update of theirs was still owed to HubSpot) are purged once more ten
   * minutes later: one sent before the erasure whose answer timed out may still land in HubSpot
   * after the first purge and create the contact again.
   */
  async enqueuePurges(tx: EntityManager, contacts: { personId: string; hubspotId: string }[], purges: { personId: string; email: string; emailHash: string }[], unsettled: string[]): Promise<void> {
    if (contacts.length) {
      await tx.query(`INSERT INTO hubspot_outbox (person_id, kind, hubspot_id) SELECT p, 'purge', h FROM unnest($1::uuid[], $2::text[]) AS v(p, h)`, [
        contacts.map((c) => c.personId), contacts.map((c) => c.hubspotId),
      ]);
    }
    if (!purges.length) return;
    await tx.query(
      `INSERT INTO hubspot_outbox (person_id, kind, email, available_at)
       SELECT p, 'purge', e, now() FROM unnest($1::uuid[], $2::text[]) AS v(p, e)
       UNION ALL
       SELECT p, 'purge', e, now() + interval '10 minutes' FROM unnest($1::uuid[], $2::text[]) AS v(p, e) WHERE p = ANY($3::uuid[])`,
      [purges.map((p) => p.personId), purges.map((p) => p.email), unsettled],
    );
    await tx.query(
      `INSERT INTO hubspot_suppression (email_hash) SELECT DISTINCT unnest($1::text[]) ON CONFLICT (email_hash) DO UPDATE SET created_at = now()`,
      [purges.map((p) => p.emailHash)],
    );
  }

  /**
   * Captures whose clock ended by `asOf` and that still hold personal values, a batch at a time
   * (oldest first), after `after` (the last batch's end): each batch walks on from where the last
   * stopped, never over what it emptied. `next` is where the next batch starts; null at the end.
   */
  async expiredCaptures(tx: EntityManager, asOf: Date, limit: number, after: DueKey | null): Promise<{ due: { id: string; source: string }[]; next: DueKey | null }> {
    // Captures already emptied (their person's erasure, an earlier sweep) are passed over in the
    // index walk itself: only those still holding data meet their person.
    const scanned: { id: string; source: string; dueAt: Date; due: boolean }[] = await tx.query(
      `SELECT c.id, c.source, c.retention_due_at AS "dueAt", p.erased_at IS NULL AND NOT ${held('p', '$1')} AS due
         FROM capture c JOIN person p ON p.id = c.person_id
        WHERE c.retention_due_at <= $1 AND ($3::timestamptz IS NULL OR (c.retention_due_at, c.id) > ($3, $4::uuid))
          AND (c.payload <> '{}' OR c.mapped <> '{}' OR c.raw_body IS NOT NULL OR c.request IS NOT NULL)
        ORDER BY c.retention_due_at, c.id LIMIT $2`,
      [asOf, limit, after?.dueAt ?? null, after?.id ?? null],
    );
    // Only what is emptied is locked, by its update (emptyCaptures): the walk itself writes nothing.
    const last = scanned.at(-1);
    return { due: scanned.filter((c) => c.due), next: scanned.length === limit && last ? { dueAt: last.dueAt, id: last.id } : null };
  }

  /** A capture's own data, once its clock has ended (the person may be kept by another). */
  async emptyCaptures(tx: EntityManager, captureIds: string[], also: AlsoErased[]): Promise<void> {
    if (!captureIds.length) return;
    await runAlsoErased(tx, also, [[], captureIds, [], []]);
    await tx.query(`UPDATE capture SET raw_body = NULL, payload = '{}', mapped = '{}', request = NULL WHERE id = ANY($1::uuid[]) AND ${HOLDS_DATA}`, [captureIds]);
    await tx.query(`UPDATE activity SET body = NULL, details = NULL WHERE capture_id = ANY($1::uuid[]) AND (body IS NOT NULL OR details IS NOT NULL)`, [captureIds]);
  }

  /**
   * Persons none of whose captures' clocks still runs on `asOf`: found from the captures whose
   * clock ended (oldest first, after `after`), so a batch never walks the persons kept or erased
   * before it. `next` is where the next batch starts; null at the end.
   */
  async personsDue(tx: EntityManager, asOf: Date, limit: number, after: DueKey | null): Promise<{ due: { id: string; sources: string[] }[]; next: DueKey | null }> {
    const ended: { id: string; dueAt: Date; personId: string }[] = await tx.query(
      `SELECT c.id, c.retention_due_at AS "dueAt", c.person_id AS "personId" FROM capture c
        WHERE c.retention_due_at <= $1 AND ($3::timestamptz IS NULL OR (c.retention_due_at, c.id) > ($3, $4::uuid))
        ORDER BY c.retention_due_at, c.id LIMIT $2`,
      [asOf, limit, after?.dueAt ?? null, after?.id ?? null],
    );
    // One pass over the batch's persons' captures: their channels, and whether any clock still runs.
    const due: { id: string; sources: string[] }[] = ended.length
      ? await tx.query(
          `SELECT p.id, c.sources FROM person p
             JOIN (SELECT person_id, array_agg(DISTINCT source) AS sources, bool_or(retention_due_at > $1) AS running
                     FROM capture WHERE person_id = ANY($2::uuid[]) GROUP BY person_id) c ON c.person_id = p.id
            WHERE p.id = ANY($2::uuid[]) AND p.erased_at IS NULL AND NOT c.running AND NOT ${held('p', '$1')}
            ORDER BY p.id FOR UPDATE OF p SKIP LOCKED`,
          [asOf, [...new Set(ended.map((c) => c.personId))]],
        )
      : [];
    const last = ended.at(-1);
    return { due, next: ended.length === limit && last ? { dueAt: last.dueAt, id: last.id } : null };
  }

  /**
   * Persons a sweep on `asOf` would otherwise touch (a capture past its clock, or no clock left)
   * that a hold keeps, by the hold's reason: "retained, with reason".
   */
  async retainedUnderHold(asOf: Date): Promise<{ reason: string; until: Date; persons: number }[]> {
    return this.dataSource.query(
      `SELECT h.reason, max(h.until) AS until, count(DISTINCT p.id)::int AS persons
         FROM legal_hold h JOIN person p ON h.person_id = p.id OR h.company_id = p.company_id OR h.company_id = p.customer_company_id
        WHERE h.ended_at IS NULL AND h.until > $1 AND p.erased_at IS NULL
          AND EXISTS (SELECT 1 FROM capture c WHERE c.person_id = p.id AND c.retention_due_at <= $1
                        AND (c.payload <> '{}' OR c.mapped <> '{}' OR c.raw_body IS NOT NULL OR c.request IS NOT NULL))
        GROUP BY h.reason ORDER BY h.reason`,
      [asOf],
    );
  }

  /** The holds on this person now (their own, or their company's). */
  holdsOn(personId: string, tx: EntityManager = this.dataSource.manager): Promise<LegalHold[]> {
    return tx.query(
      `SELECT h.id, h.reason, h.until FROM legal_hold h JOIN person p ON p.id = $1
        WHERE h.ended_at IS NULL AND h.until > now() AND (h.person_id = p.id OR h.company_id = p.company_id OR h.company_id = p.customer_company_id)`,
      [personId],
    );
  }

  async insertHold(tx: EntityManager, hold: Pick<LegalHold, 'personId' | 'companyId' | 'reason' | 'until' | 'createdBy'>): Promise<LegalHold> {
    const { identifiers } = await tx.insert(LegalHold, hold);
    return tx.findOneByOrFail(LegalHold, { id: identifiers[0].id as string });
  }

  /** Holds in force (or all, with `all`), the latest first. */
  holds(all: boolean): Promise<LegalHold[]> {
    const qb = this.dataSource.getRepository(LegalHold).createQueryBuilder('h').orderBy('h.created_at', 'DESC').limit(1000);
    if (!all) qb.where('h.ended_at IS NULL AND h.until > now()');
    return qb.getMany();
  }

  async endHold(tx: EntityManager, id: string, endedBy: string | null): Promise<LegalHold | null> {
    await tx.query(`UPDATE legal_hold SET ended_at = now(), ended_by = $2 WHERE id = $1 AND ended_at IS NULL`, [id, endedBy]);
    return tx.findOneBy(LegalHold, { id });
  }

  /** What a sweep on `asOf` would do, by channel and action, changing nothing. */
  async retentionPreview(asOf: Date): Promise<{ channel: string; action: string; count: number }[]> {
    return this.dataSource.query(
      `SELECT c.source AS channel, 'capture_emptied' AS action, count(*)::int AS count FROM capture c JOIN person p ON p.id = c.person_id
        WHERE c.retention_due_at <= $1 AND p.erased_at IS NULL
          AND (c.payload <> '{}' OR c.mapped <> '{}' OR c.raw_body IS NOT NULL OR c.request IS NOT NULL)
          AND NOT ${held('p', '$1')}
          AND EXISTS (SELECT 1 FROM capture r WHERE r.person_id = p.id AND r.retention_due_at > $1)
        GROUP BY c.source
       UNION ALL
       SELECT c.source, 'person_erased', count(DISTINCT p.id)::int FROM person p JOIN capture c ON c.person_id = p.id
        WHERE p.erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM capture r WHERE r.person_id = p.id AND r.retention_due_at > $1)
          AND NOT ${held('p', '$1')}
        GROUP BY c.source
       ORDER BY 1, 2`,
      [asOf],
    );
  }
}
