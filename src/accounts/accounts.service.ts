import { Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { invalidField, ProblemException } from '../common/problem-details';
import type { Company } from '../leads/entities/company.entity';
import { LeadsService } from '../leads/leads.service';
import { AccountsRepository } from './accounts.repository';
import type { CustomerAccessGrant } from './entities/customer-access-grant.entity';
import type { AccessGrantView, AccountManagersDto, BecomeCustomerDto, CompanyDetailView, CompanyQuery, CompanyView, GrantAccessDto } from './dto/company.dto';

const toView = ({ id, name, domain, address, isCustomer, lastServiceDeliveryAt, createdAt, updatedAt }: Company): CompanyView => ({ id, name, domain, address, isCustomer, lastServiceDeliveryAt, createdAt, updatedAt });

const toGrantView = ({ id, userId, reason, grantedBy, grantedAt, expiresAt, revokedAt, active }: CustomerAccessGrant & { active: boolean }): AccessGrantView => ({ id, userId, reason, grantedBy, grantedAt, expiresAt, revokedAt, active });

/**
 * Accounts: which companies are active customers, who their account managers are, and which
 * other employees were granted access (policy 6.2(8)). What a caller may see is decided by the
 * database's row-level security; here only who may *change* an account.
 */
@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly leads: LeadsService,
    private readonly audit: AuditService,
  ) {}

  async list(query: CompanyQuery): Promise<Page<CompanyView>> {
    const after = decodeCursor(query.cursor) as [string, string] | undefined;
    const rows = await this.leads.listCompanies({ q: query.q, customer: query.customer === undefined ? undefined : query.customer === 'true', after, limit: query.limit + 1 });
    const page = toPage(rows, query.limit, (c) => [c.name.toLowerCase(), c.id]);
    return { items: page.items.map(toView), nextCursor: page.nextCursor };
  }

  async get(actor: Actor, id: string): Promise<CompanyDetailView> {
    const company = await this.mustSee(id);
    const accountManagers = await this.accounts.accountManagers(id);
    if (company.isCustomer) await this.audit.record(actor, { action: 'company.read', entityType: 'company', entityId: id });
    return { ...toView(company), accountManagers };
  }

  /** Admins: the company is (or stays) an active customer, with the date of its last service delivery. */
  async becomeCustomer(actor: Actor, id: string, dto: BecomeCustomerDto): Promise<CompanyView> {
    if (dto.lastServiceDeliveryAt.getTime() > Date.now()) throw invalidField('lastServiceDeliveryAt', 'must not be in the future');
    return this.accounts.transaction(async (tx) => {
      const before = await this.mustSee(id, tx);
      const changes = { isCustomer: true, lastServiceDeliveryAt: dto.lastServiceDeliveryAt };
      await this.leads.updateCompany(tx, id, changes);
      await this.audit.record(actor, { action: before.isCustomer ? 'company.service_delivered' : 'company.became_customer', entityType: 'company', entityId: id, before: { isCustomer: before.isCustomer, lastServiceDeliveryAt: before.lastServiceDeliveryAt }, after: changes }, tx);
      return toView({ ...before, ...changes });
    });
  }

  /** Admins: the customer relationship ended; its people are leads again, worked by sales. */
  async endCustomer(actor: Actor, id: string): Promise<CompanyView> {
    return this.accounts.transaction(async (tx) => {
      const before = await this.mustSee(id, tx);
      if (!before.isCustomer) throw new ProblemException(409, 'This company is not an active customer.');
      await this.leads.updateCompany(tx, id, { isCustomer: false });
      await this.audit.record(actor, { action: 'company.customer_ended', entityType: 'company', entityId: id, before: { isCustomer: true }, after: { isCustomer: false } }, tx);
      return toView({ ...before, isCustomer: false });
    });
  }

  /** Admins: the account managers of a customer, replaced as a set. */
  async setAccountManagers(actor: Actor, id: string, dto: AccountManagersDto): Promise<CompanyDetailView> {
    const userIds = [...new Set(dto.userIds)];
    const users = new Map((await this.accounts.usersWithRoles(userIds)).map((u) => [u.id, u]));
    userIds.forEach((userId, i) => {
      const user = users.get(userId);
      if (!user || user.deactivated || !user.roles.includes('account_manager')) throw invalidField(`userIds[${i}]`, 'must be an active user with the account_manager role');
    });
    return this.accounts.transaction(async (tx) => {
      const company = await this.mustSee(id, tx);
      const { added, removed } = await this.accounts.replaceAccountManagers(tx, id, userIds, actor.id);
      const records = [
        ...added.map((userId) => ({ action: 'company.account_manager_assigned', entityType: 'company', entityId: id, after: { userId } })),
        ...removed.map((userId) => ({ action: 'company.account_manager_removed', entityType: 'company', entityId: id, before: { userId } })),
      ];
      await this.audit.recordMany(actor, records, tx);
      return { ...toView(company), accountManagers: await this.accounts.accountManagers(id, tx) };
    });
  }

  async grants(actor: Actor, id: string): Promise<AccessGrantView[]> {
    await this.mustManage(actor, id);
    return (await this.accounts.grants(id)).map(toGrantView);
  }

  /** An account manager of the customer, or an admin, lets an employee concerned see it, for a reason. */
  async grant(actor: Actor, id: string, dto: GrantAccessDto): Promise<AccessGrantView> {
    await this.mustManage(actor, id);
    if (dto.expiresAt && dto.expiresAt.getTime() <= Date.now()) throw invalidField('expiresAt', 'must be in the future');
    const [user] = await this.accounts.usersWithRoles([dto.userId]);
    if (!user || user.deactivated) throw invalidField('userId', 'there is no such active user');
    return this.accounts.transaction(async (tx) => {
      const grant = await this.accounts.insertGrant(tx, { companyId: id, userId: dto.userId, reason: dto.reason, grantedBy: actor.id, expiresAt: dto.expiresAt ?? null });
      await this.audit.record(actor, { action: 'company.access_granted', entityType: 'company', entityId: id, after: { grantId: grant.id, userId: dto.userId, reason: dto.reason, expiresAt: dto.expiresAt ?? null } }, tx);
      return toGrantView({ ...grant, active: true });
    });
  }

  async revoke(actor: Actor, id: string, grantId: string): Promise<void> {
    await this.mustManage(actor, id);
    await this.accounts.transaction(async (tx) => {
      if (!(await this.accounts.revokeGrant(tx, id, grantId, actor.id))) throw new NotFoundException('There is no such unrevoked grant for this company.');
      await this.audit.record(actor, { action: 'company.access_revoked', entityType: 'company', entityId: id, before: { grantId } }, tx);
    });
  }

  /** A company the caller cannot see does not exist for them (404, never 403). */
  private async mustSee(id: string, tx?: EntityManager): Promise<Company> {
    const company = await this.leads.findCompany(id, tx);
    if (!company) throw new NotFoundException('There is no such company.');
    return company;
  }

  private async mustManage(actor: Actor, id: string): Promise<Company> {
    const company = await this.mustSee(id);
    if (!company.isCustomer) throw new ProblemException(409, 'Access grants are for active customers; this company is not one.');
    if (!actor.roles.includes('admin') && !(actor.id && (await this.accounts.isAccountManager(id, actor.id)))) {
      throw new ProblemException(403, 'Only the customer’s account managers and admins manage who may see it.');
    }
    return company;
  }
}
