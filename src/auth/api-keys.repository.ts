import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiKey } from './entities/api-key.entity';

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  findByPrefixWithHash(prefix: string): Promise<ApiKey | null> {
    return this.dataSource.getRepository(ApiKey).createQueryBuilder('k').addSelect('k.secretHash').where('k.prefix = :prefix', { prefix }).getOne();
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<ApiKey | null> {
    return manager.findOne(ApiKey, { where: { id } });
  }

  list(): Promise<ApiKey[]> {
    return this.dataSource.getRepository(ApiKey).find({ order: { createdAt: 'DESC' } });
  }

  async formExists(id: string): Promise<boolean> {
    return (await this.dataSource.query(`SELECT 1 FROM intake_form WHERE id = $1`, [id])).length > 0;
  }

  async insert(manager: EntityManager, key: Pick<ApiKey, 'name' | 'channel' | 'formId' | 'prefix' | 'secretHash' | 'createdBy'>): Promise<ApiKey> {
    const { identifiers } = await manager.insert(ApiKey, key);
    return (await this.findById(identifiers[0].id as string, manager))!;
  }

  async revoke(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE api_key SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
  }

  /** At most one write a minute per key: intake endpoints are hot paths. */
  async touch(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [id]);
  }
}
