import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { StaffUser } from './entities/staff-user.entity';

@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<StaffUser | null> {
    return manager.findOne(StaffUser, { where: { id } });
  }

  async activeEmailsWith(role: string): Promise<string[]> {
    const rows: { email: string }[] = await this.dataSource.query(`SELECT email FROM staff_user WHERE $1 = ANY(roles) AND deactivated_at IS NULL ORDER BY email`, [role]);
    return rows.map((r) => r.email);
  }

  /** With the password hash, for login only. */
  activeWithAnyRole(roles: readonly string[]): Promise<{ id: string; name: string }[]> {
    return this.dataSource.query(`SELECT id, name FROM staff_user WHERE deactivated_at IS NULL AND roles && $1::text[] ORDER BY name, id`, [roles]);
  }

  namesOf(ids: string[]): Promise<{ id: string; name: string }[]> {
    return ids.length ? this.dataSource.query(`SELECT id, name FROM staff_user WHERE id = ANY($1::uuid[])`, [ids]) : Promise.resolve([]);
  }

  findForLogin(email: string): Promise<StaffUser | null> {
    return this.dataSource.getRepository(StaffUser).createQueryBuilder('u').addSelect('u.passwordHash').where('u.email = :email', { email }).getOne();
  }

  list(limit: number, afterEmail?: string): Promise<StaffUser[]> {
    const qb = this.dataSource.getRepository(StaffUser).createQueryBuilder('u').orderBy('u.email', 'ASC').limit(limit);
    if (afterEmail !== undefined) qb.where('u.email > :afterEmail', { afterEmail });
    return qb.getMany();
  }

  /** Inserts, or returns null when the e-mail is taken (the unique index decides, not a read first). */
  async insert(manager: EntityManager, user: Pick<StaffUser, 'email' | 'name' | 'passwordHash' | 'roles'>): Promise<StaffUser | null> {
    const result = await manager.createQueryBuilder().insert().into(StaffUser).values(user).orIgnore().returning('id').execute();
    const id = (result.raw as { id: string }[])[0]?.id;
    return id ? this.findById(id, manager) : null;
  }

  async update(manager: EntityManager, id: string, changes: Partial<StaffUser>): Promise<void> {
    await manager.update(StaffUser, { id }, changes);
  }

  async lockAdmins(manager: EntityManager): Promise<void> {
    // Serialises changes that could remove the last active admin.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('staff_user.admins'))`);
  }

  async countActiveAdmins(manager: EntityManager): Promise<number> {
    const [{ n }] = await manager.query(`SELECT count(*)::int AS n FROM staff_user WHERE 'admin' = ANY(roles) AND deactivated_at IS NULL`);
    return n;
  }

  async recordLogin(id: string): Promise<void> {
    await this.dataSource.getRepository(StaffUser).update({ id }, { lastLoginAt: () => 'now()' } as never);
  }
}
