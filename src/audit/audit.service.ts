import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../domain/actor';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { isPersonalField } from '../common/personal-data';
import { ProblemException } from '../common/problem-details';
import { AuditRepository } from './audit.repository';
import type { AuditQuery } from './dto/audit.dto';
import type { AuditEntry } from './entities/audit-entry.entity';

export const MASKED = '[personal data]';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A uuid in its one spelling (lower case), as the database prints it: lines about one record are found, and hidden, together. */
export const canonicalEntityId = (id: string | null | undefined): string | null => (id == null ? null : UUID.test(id) ? id.toLowerCase() : id);

type Snapshot = Record<string, unknown> | null | undefined;

const comparable = (v: unknown) => JSON.stringify(v instanceof Date ? v.toISOString() : v ?? null);
/** comparable(b) === comparable(a), without serialising the common case of text or nothing (bulk writers diff thousands of snapshots). */
const same = (b: unknown, a: unknown) => {
  if (b === a || ((b === undefined || b === null) && (a === undefined || a === null))) return true;
  if (typeof b === 'string' && (typeof a === 'string' || a === undefined || a === null)) return false;
  if (typeof a === 'string' && (b === undefined || b === null)) return false;
  return comparable(b) === comparable(a);
};

/**
 * The fields that differ between two snapshots of an entity, as `{field: {before, after}}`.
 * Values of fields in the personal-data registry are masked: the log says *that* they changed.
 */
export function diffChanges(entityType: string, before: Snapshot, after: Snapshot): Record<string, { before: unknown; after: unknown }> {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const field of fields) {
    const b = before?.[field];
    const a = after?.[field];
    if (same(b, a)) continue;
    const mask = (v: unknown) => (v === undefined || v === null ? null : isPersonalField(entityType, field) ? MASKED : v);
    changes[field] = { before: mask(b), after: mask(a) };
  }
  return changes;
}

export interface AuditRecord {
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: Snapshot;
  after?: Snapshot;
}

@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /** The audit line for a change, for a writer that stores it in the same statement as the change. */
  entry(actor: Actor, record: AuditRecord): Omit<AuditEntry, 'id' | 'occurredAt'> {
    return {
      actorType: actor.type,
      actorId: actor.id,
      action: record.action,
      entityType: record.entityType,
      entityId: canonicalEntityId(record.entityId),
      changes: record.before || record.after ? diffChanges(record.entityType, record.before, record.after) : null,
      requestId: actor.requestId,
      ip: actor.ip,
    };
  }

  async record(actor: Actor, record: AuditRecord, manager?: EntityManager): Promise<void> {
    await this.audit.insert(this.entry(actor, record), manager);
  }

  async recordMany(actor: Actor, records: AuditRecord[], manager?: EntityManager): Promise<void> {
    await this.audit.insertMany(records.map((record) => this.entry(actor, record)), manager);
  }

  async query(query: AuditQuery): Promise<Page<AuditEntry>> {
    if (query.from && query.to && query.from >= query.to) {
      throw new ProblemException(422, '`from` must be before `to`.', { errors: [{ field: 'to', message: 'must be after from' }] });
    }
    const [beforeId] = (decodeCursor(query.cursor) ?? []) as [string?];
    const rows = await this.audit.find({ ...query, entityId: canonicalEntityId(query.entityId) ?? undefined, beforeId, limit: query.limit + 1 });
    return toPage(rows, query.limit, (row) => [row.id]);
  }
}
