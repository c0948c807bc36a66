import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { StaffSession } from './entities/staff-session.entity';

/** Refresh tokens of signed-in browsers, by hash. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(tx: EntityManager, session: Pick<StaffSession, 'userId' | 'familyId' | 'tokenHash' | 'tokenVersion' | 'expiresAt'>): Promise<void> {
    await tx.insert(StaffSession, session);
  }

  /** The token's row, locked: two uses of one token are decided one after the other. */
  findForUpdate(tx: EntityManager, tokenHash: Buffer): Promise<StaffSession | null> {
    return tx.getRepository(StaffSession).createQueryBuilder('s').where('s.token_hash = :tokenHash', { tokenHash }).setLock('pessimistic_write').getOne();
  }

  async markUsed(tx: EntityManager, id: string): Promise<void> {
    await tx.update(StaffSession, { id }, { usedAt: () => 'now()' } as never);
  }

  async revokeFamily(tx: EntityManager, familyId: string): Promise<void> {
    await tx.query(`UPDATE staff_session SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [familyId]);
  }

  async revokeAllOf(tx: EntityManager, userId: string): Promise<void> {
    await tx.query(`UPDATE staff_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
  }

  /** Sessions long over (expired or revoked a day ago) go: nothing in them is needed after. */
  async purge(): Promise<number> {
    const [, count] = await this.dataSource.query(`DELETE FROM staff_session WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'`);
    return count;
  }
}
