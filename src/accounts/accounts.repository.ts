import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { CustomerAccessGrant } from './entities/customer-access-grant.entity';


/** Account managers and access grants of customer companies (the companies themselves are leads'). */
@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  accountManagers(companyId: string, tx: EntityManager = this.dataSource.manager): Promise<{ userId: string; name: string; assignedAt: Date }[]> {
    return tx.query(
      `SELECT am.user_id AS "userId", u.name, am.assigned_at AS "assignedAt" FROM account_manager am JOIN staff_user u ON u.id = am.user_id
        WHERE am.company_id = $1 ORDER BY u.name`,
      [companyId],
    );
  }

  async isAccountManager(companyId: string, userId: string): Promise<boolean> {
    const rows = await this.dataSource.query(`SELECT 1 FROM account_manager WHERE company_id = $1 AND user_id = $2`, [companyId, userId]);
    return rows.length > 0;
  }

  async replaceAccountManagers(tx: EntityManager, companyId: string, userIds: string[], assignedBy: string | null): Promise<{ added: string[]; removed: string[] }> {
    const [removed]: [{ user_id: string }[], number] = await tx.query(`DELETE FROM account_manager WHERE company_id = $1 AND NOT user_id = ANY($2::uuid[]) RETURNING user_id`, [companyId, userIds]);
    const added: { user_id: string }[] = await tx.query(
      `INSERT INTO account_manager (company_id, user_id, assigned_by) SELECT $1, u, $3 FROM unnest($2::uuid[]) u ON CONFLICT DO NOTHING RETURNING user_id`,
      [companyId, userIds, assignedBy],
    );
    return { added: added.map((r) => r.user_id), removed: removed.map((r) => r.user_id) };
  }

  grants(companyId: string): Promise<(CustomerAccessGrant & { active: boolean })[]> {
    return this.dataSource.query(
      `SELECT id, company_id AS "companyId", user_id AS "userId", reason, granted_by AS "grantedBy", granted_at AS "grantedAt", expires_at AS "expiresAt",
              revoked_at AS "revokedAt", revoked_by AS "revokedBy", (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())) AS active
         FROM customer_access_grant WHERE company_id = $1 ORDER BY granted_at DESC`,
      [companyId],
    );
  }

  async insertGrant(tx: EntityManager, grant: Pick<CustomerAccessGrant, 'companyId' | 'userId' | 'reason' | 'grantedBy' | 'expiresAt'>): Promise<CustomerAccessGrant> {
    const [row] = await tx.query(
      `INSERT INTO customer_access_grant (company_id, user_id, reason, granted_by, expires_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, company_id AS "companyId", user_id AS "userId", reason, granted_by AS "grantedBy", granted_at AS "grantedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", revoked_by AS "revokedBy"`,
      [grant.companyId, grant.userId, grant.reason, grant.grantedBy, grant.expiresAt],
    );
    return row as CustomerAccessGrant;
  }

  /** Revokes an unrevoked grant; false when there is none with that id for the company. */
  async revokeGrant(tx: EntityManager, companyId: string, grantId: string, revokedBy: string | null): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE customer_access_grant SET revoked_at = now(), revoked_by = $3 WHERE id = $1 AND company_id = $2 AND revoked_at IS NULL RETURNING id`,
      [grantId, companyId, revokedBy],
    );
    return (rows[0] as unknown[]).length > 0;
  }

  usersWithRoles(ids: string[]): Promise<{ id: string; roles: string[]; deactivated: boolean }[]> {
    return this.dataSource.query(`SELECT id, roles, deactivated_at IS NOT NULL AS deactivated FROM staff_user WHERE id = ANY($1::uuid[])`, [ids]);
  }
}
