import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { IntakeForm } from './entities/intake-form.entity';

@Injectable()
export class IntakeFormsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** A live form with its signing secret, for a submission. */
  findLiveByKey(key: string): Promise<IntakeForm | null> {
    return this.dataSource.getRepository(IntakeForm).createQueryBuilder('f').addSelect('f.signingSecret').where('f.key = :key AND f.archivedAt IS NULL', { key }).getOne();
  }

  findById(id: string, tx: EntityManager = this.dataSource.manager): Promise<IntakeForm | null> {
    return tx.findOne(IntakeForm, { where: { id } });
  }

  list(): Promise<IntakeForm[]> {
    return this.dataSource.getRepository(IntakeForm).find({ order: { key: 'ASC' } });
  }

  /** Inserts, or returns null when the key is taken. */
  async insert(tx: EntityManager, form: Omit<IntakeForm, 'id' | 'createdAt' | 'updatedAt' | 'archivedAt'>): Promise<IntakeForm | null> {
    const result = await tx.createQueryBuilder().insert().into(IntakeForm).values(form as never).orIgnore().returning('id').execute();
    const id = (result.raw as { id: string }[])[0]?.id;
    return id ? this.findById(id, tx) : null;
  }

  async update(tx: EntityManager, id: string, changes: Partial<IntakeForm>): Promise<void> {
    await tx.update(IntakeForm, { id }, changes as never);
  }
}
