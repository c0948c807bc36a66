/** Who may see an active customer (policy 6.2(8)): AccountsService and PersonsService on a real database, without HTTP. */
import { runAsStaff } from '../../src/access/access-context';
import { AccountsService } from '../../src/accounts/accounts.service';
import type { Actor } from '../../src/domain/actor';
import type { Role } from '../../src/domain/roles';
import { PersonsService } from '../../src/leads/persons.service';
import { startServices, type ServiceContext } from './harness';

let t: ServiceContext;
beforeAll(async () => (t = await startServices()));
afterAll(() => t.close());

const actorOf = (user: { id: string; roles: readonly Role[] }): Actor => ({ type: 'user', id: user.id, roles: user.roles, requestId: null, ip: null });
/** Runs `work` as this staff user, as the guard would: row-level security shows what their roles and accounts allow. */
const as = <T>(user: { id: string; roles: readonly Role[] }, work: (actor: Actor) => Promise<T>) => runAsStaff(user.id, user.roles, () => work(actorOf(user)));

describe('access to an active customer', () => {
  it('[ACCESS-AM] an account manager grants an employee access for a reason; revoked, the customer is gone for them again', async () => {
    const manager = await t.make.staff('account_manager');
    const seller = await t.make.staff('sales');
    const { companyId, personId } = await t.make.customer({ accountManagerIds: [manager.id] });
    const accounts = t.app.get(AccountsService);
    const persons = t.app.get(PersonsService);

    await expect(as(seller, (actor) => persons.get(actor, personId))).rejects.toMatchObject({ status: 404 });
    const grant = await as(manager, (actor) => accounts.grant(actor, companyId, { userId: seller.id, reason: 'Covering a holiday' }));
    await expect(as(seller, (actor) => persons.get(actor, personId))).resolves.toMatchObject({ id: personId });

    await as(manager, (actor) => accounts.revoke(actor, companyId, grant.id));
    await expect(as(seller, (actor) => persons.get(actor, personId))).rejects.toMatchObject({ status: 404 });
    const audit = await t.owner.query(`SELECT action FROM audit_log WHERE entity_type = 'company' AND entity_id = $1 ORDER BY id`, [companyId]);
    expect(audit.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(['company.access_granted', 'company.access_revoked']));
  });

  it('[ACCESS-AM] only its account managers and admins manage access; a grant that ends in the past is refused', async () => {
    const manager = await t.make.staff('account_manager');
    const otherManager = await t.make.staff('account_manager');
    const seller = await t.make.staff('sales');
    const { companyId } = await t.make.customer({ accountManagerIds: [manager.id] });
    const accounts = t.app.get(AccountsService);

    // Another customer's account manager does not see this one at all.
    await expect(as(otherManager, (actor) => accounts.grant(actor, companyId, { userId: seller.id, reason: 'Curious' }))).rejects.toMatchObject({ status: 404 });
    await expect(as(manager, (actor) => accounts.grant(actor, companyId, { userId: seller.id, reason: 'Late', expiresAt: new Date(Date.now() - 60_000) }))).rejects.toMatchObject({ status: 422 });
    expect(await t.owner.query(`SELECT id FROM customer_access_grant WHERE company_id = $1`, [companyId])).toEqual([]);
  });
});
