import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEntry } from './entities/audit-entry.entity';

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  beforeId?: string;
  limit: number;
}

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inside the caller's transaction when given one, so the audit line commits with the change. */
  async insert(entry: Omit<AuditEntry, 'id' | 'occurredAt'>, manager?: EntityManager): Promise<void> {
    // Plain SQL: every change writes one of these, often on a hot path.
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, changes, request_id, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [entry.actorType, entry.actorId, entry.action, entry.entityType, entry.entityId, entry.changes === null ? null : JSON.stringify(entry.changes), entry.requestId, entry.ip],
    );
  }

  /** Many lines in one statement (a list read names every person it showed). */
  async insertMany(entries: Omit<AuditEntry, 'id' | 'occurredAt'>[], manager?: EntityManager): Promise<void> {
    if (!entries.length) return;
    // One array per column: eight parameters however many lines (a VALUES list of thousands of rows is slow to parse and plan).
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id, changes, request_id, ip)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::inet[])`,
      [
        entries.map((e) => e.actorType),
        entries.map((e) => e.actorId),
        entries.map((e) => e.action),
        entries.map((e) => e.entityType),
        entries.map((e) => e.entityId),
        entries.map((e) => (e.changes === null ? null : JSON.stringify(e.changes))),
        entries.map((e) => e.requestId),
        entries.map((e) => e.ip),
      ],
    );
  }

  async find(filter: AuditFilter): Promise<AuditEntry[]> {
    const qb = this.dataSource.getRepository(AuditEntry).createQueryBuilder('a').orderBy('a.id', 'DESC').limit(filter.limit);
    if (filter.entityType) qb.andWhere('a.entityType = :entityType', { entityType: filter.entityType });
    // A uuid given in either case finds lines written in either (older lines kept the caller's spelling).
    if (filter.entityId) qb.andWhere('a.entityId IN (:...entityIds)', { entityIds: [...new Set([filter.entityId, filter.entityId.toLowerCase(), filter.entityId.toUpperCase()])] });
    if (filter.actorId) qb.andWhere('a.actorId = :actorId', { actorId: filter.actorId });
    if (filter.action) qb.andWhere('a.action = :action', { action: filter.action });
    if (filter.from) qb.andWhere('a.occurredAt >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('a.occurredAt < :to', { to: filter.to });
    if (filter.beforeId) qb.andWhere('a.id < :beforeId', { beforeId: filter.beforeId });
    return qb.getMany();
  }
}
