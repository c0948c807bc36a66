import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AlsoErased } from '../database/also-erased';
import { PrivacyRequestAction } from './entities/privacy-request-action.entity';
import { PrivacyRequest } from './entities/privacy-request.entity';

export type RequestState = 'open' | 'due_this_week' | 'overdue' | 'closed' | 'all';

const OPEN = `status NOT IN ('completed', 'refused')`;
const STATES: Record<RequestState, string> = {
  open: OPEN,
  due_this_week: `${OPEN} AND due_at <= now() + interval '7 days' AND due_at >= now()`,
  overdue: `${OPEN} AND due_at < now()`,
  closed: `NOT (${OPEN})`,
  all: 'true',
};

/** The DPO's requests and their steps (row-level security: the DPO and the system's jobs only). */
@Injectable()
export class PrivacyRequestsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(tx: EntityManager, request: Partial<PrivacyRequest>): Promise<PrivacyRequest> {
    const { identifiers } = await tx.insert(PrivacyRequest, request as never);
    return (await tx.findOneByOrFail(PrivacyRequest, { id: identifiers[0].id as string }));
  }

  find(id: string, tx: EntityManager = this.dataSource.manager, lock = false): Promise<PrivacyRequest | null> {
    const qb = tx.getRepository(PrivacyRequest).createQueryBuilder('r').where('r.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async update(tx: EntityManager, id: string, changes: Partial<PrivacyRequest>): Promise<void> {
    await tx.update(PrivacyRequest, { id }, changes as never);
  }

  async addAction(tx: EntityManager, requestId: string, action: string, actorId: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await tx.insert(PrivacyRequestAction, { requestId, action, actorId, details } as never);
  }

  actions(requestId: string): Promise<PrivacyRequestAction[]> {
    return this.dataSource.getRepository(PrivacyRequestAction).find({ where: { requestId }, order: { id: 'ASC' } });
  }

  list(state: RequestState, limit = 500): Promise<PrivacyRequest[]> {
    return this.dataSource.getRepository(PrivacyRequest).createQueryBuilder('r').where(STATES[state]).orderBy('r.due_at', 'ASC').limit(limit).getMany();
  }

  /** Open requests due within a week that the DPO was not yet reminded of: claimed (marked reminded) in one statement. */
  async claimReminders(): Promise<{ id: string; type: string; dueAt: Date }[]> {
    const [rows] = await this.dataSource.query(
      `UPDATE privacy_request SET reminded_at = now() WHERE ${OPEN} AND reminded_at IS NULL AND due_at <= now() + interval '7 days'
        RETURNING id, type, due_at AS "dueAt"`,
    );
    return rows;
  }

  /** The identifier a request named goes with the person's data (any erasure); the request keeps its proof. */
  erasure(): AlsoErased {
    return {
      name: 'privacy_request',
      statements: [`UPDATE privacy_request SET identifier = NULL WHERE person_id = ANY($1::uuid[]) OR lower(trim(identifier)) = ANY($3::text[])`],
    };
  }
}
