import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestSmtpServer } from '../helpers/smtp';

/**
 * [ACCESS-AM] A caller learns nothing about an active customer hidden from them: not through a
 * conversion by domain, an address conflict, or the audit log. Each answer is the one for a
 * record that does not exist (or, for an address, the one for any other holder).
 */
describe('[ACCESS-AM] no oracle around the customer rule', () => {
  let t: TestApp;
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  let admin: { id: string; token: string };
  let sales: { id: string; token: string };
  let dpo: { id: string; token: string };
  let am: { id: string; email: string; token: string };
  const smtp = new TestSmtpServer();
  let hidden: { companyId: string; personId: string };
  const HIDDEN_NAME = 'Skjult Kunde AS';
  const HIDDEN_DOMAIN = 'skjult-kunde-as.example';
  const HIDDEN_EMAIL = `hedda@${HIDDEN_DOMAIN}`;

  /** The problem body without what differs per request. */
  const problem = (body: Record<string, unknown>) => {
    const { instance: _instance, ...rest } = body;
    return rest;
  };

  beforeAll(async () => {
    const { url } = await smtp.start();
    t = await startTestApp({ env: { SMTP_URL: url } });
    [admin, sales, dpo, am] = await Promise.all([t.userWith('admin'), t.userWith('sales'), t.userWith('dpo'), t.userWith('account_manager')]);
    hidden = await t.make.customer({ name: HIDDEN_NAME, accountManagerIds: [am.id], person: { firstName: 'Hedda', lastName: 'Skjult', email: HIDDEN_EMAIL } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.stop();
  });

  describe('converting with a company domain', () => {
    it('a domain of a customer hidden from the caller answers as a domain no one has, and the lead stays out of that customer', async () => {
      const { personId: leadA } = await t.make.person({ firstName: 'Lars', email: 'lars@open-lead.example' });
      const { personId: leadB } = await t.make.person({ firstName: 'Liv', email: 'liv@open-lead.example' });

      const intoHidden = await t.http().post(`/api/persons/${leadA}/convert`).set(as(sales.token)).send({ company: { name: 'Lars Consulting', domain: `https://www.${HIDDEN_DOMAIN.toUpperCase()}/about` }, accountManagerIds: [am.id] });
      const intoNothing = await t.http().post(`/api/persons/${leadB}/convert`).set(as(sales.token)).send({ company: { name: 'Liv Consulting', domain: 'nobody-has-this.example' }, accountManagerIds: [am.id] });
      expect(intoHidden.status).toBe(200);
      expect(intoNothing.status).toBe(200);
      expect(Object.keys(intoHidden.body).sort()).toEqual(Object.keys(intoNothing.body).sort());
      expect(intoHidden.body).toMatchObject({ status: 'customer', companyName: 'Lars Consulting' });
      expect(intoHidden.body.companyId).not.toBe(hidden.companyId);
      expect(JSON.stringify(intoHidden.body)).not.toMatch(new RegExp(`${hidden.companyId}|${HIDDEN_NAME}`, 'i'));

      // Nothing moved into the hidden customer: it still has only its own person, and its domain.
      const members = await t.owner.query(`SELECT id FROM person WHERE company_id = $1`, [hidden.companyId]);
      expect(members.map((r: { id: string }) => r.id)).toEqual([hidden.personId]);
      const [lead] = await t.owner.query(`SELECT company_id FROM person WHERE id = $1`, [leadA]);
      expect(lead.company_id).toBe(intoHidden.body.companyId);
      const [hiddenCompany] = await t.owner.query(`SELECT domain FROM company WHERE id = $1`, [hidden.companyId]);
      expect(hiddenCompany.domain).toBe(HIDDEN_DOMAIN);
    });

    it('a caller who sees the customer (its account manager, an admin) joins it by domain', async () => {
      const { personId: lead } = await t.make.person({ firstName: 'Hans', email: 'hans@elsewhere.example' });
      const res = await t.http().post(`/api/persons/${lead}/convert`).set(as(am.token)).send({ company: { name: 'Anything', domain: HIDDEN_DOMAIN } }).expect(200);
      expect(res.body).toMatchObject({ companyId: hidden.companyId, companyName: HIDDEN_NAME });
    });
  });

  describe('changing a lead’s e-mail to an address another record has', () => {
    it('answers the same 409 whether a visible person or a hidden customer’s person holds it, and changes nothing', async () => {
      const { personId: lead } = await t.make.person({ firstName: 'Lena', email: 'lena@open-lead.example' });
      await t.make.person({ firstName: 'Vera', email: 'vera@open-lead.example' });

      const visible = await t.http().patch(`/api/persons/${lead}`).set(as(sales.token)).send({ email: 'vera@open-lead.example' });
      const hiddenHolder = await t.http().patch(`/api/persons/${lead}`).set(as(sales.token)).send({ email: HIDDEN_EMAIL.toUpperCase() });
      expect(visible.status).toBe(409);
      expect(hiddenHolder.status).toBe(409);
      expect(problem(hiddenHolder.body)).toEqual(problem(visible.body));
      expect(hiddenHolder.body.errors).toEqual([{ field: 'email', message: 'belongs to another record' }]);
      expect(hiddenHolder.body.detail).toMatch(/belongs to another record; an admin can merge/);

      const [row] = await t.owner.query(`SELECT email FROM person WHERE id = $1`, [lead]);
      expect(row.email).toBe('lena@open-lead.example');
      // A free address is taken, as before.
      await t.http().patch(`/api/persons/${lead}`).set(as(sales.token)).send({ email: 'lena.new@open-lead.example' }).expect(200);
    });

    it('answers the same 409 for a phone number only a hidden customer’s person is known by', async () => {
      const phoneOnly = await t.make.customer({ name: 'Telefon Kunde AS', person: { firstName: 'Tor', email: null, phone: '+4791599001', source: 'phone', inquiryType: null } });
      const { personId: visibleHolder } = await t.make.person({ firstName: 'Pia', email: null, phone: '+4791599002', source: 'phone', inquiryType: null });
      const { personId: lead } = await t.make.person({ firstName: 'Per', email: null, phone: '+4791599003', source: 'phone', inquiryType: null });
      expect(phoneOnly.personId).not.toBe(visibleHolder);

      const visible = await t.http().patch(`/api/persons/${lead}`).set(as(sales.token)).send({ phone: '+4791599002' });
      const hiddenHolder = await t.http().patch(`/api/persons/${lead}`).set(as(sales.token)).send({ phone: '+4791599001' });
      expect(visible.status).toBe(409);
      expect(hiddenHolder.status).toBe(409);
      expect(problem(hiddenHolder.body)).toEqual(problem(visible.body));
      expect(hiddenHolder.body.errors).toEqual([{ field: 'phone', message: 'belongs to another record' }]);
    });
  });

  describe('entering a lead by hand with an address a hidden customer’s person has', () => {
    const enter = (token: string, body: Record<string, unknown>) => t.http().post('/api/persons').set(as(token)).send({ source: 'phone', inquiryType: 'other', ...body });
    const capturesOf = async (personId: string) => (await t.owner.query(`SELECT id FROM capture WHERE person_id = $1`, [personId])).map((r: { id: string }) => r.id);
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    // A customer of its own, with its own account manager: the audit-log test below counts the first one's reads.
    const CUSTOMER_EMAIL = 'kaja@skjult-kunde-to.example';
    let customer: { companyId: string; personId: string };
    let manager: { id: string; email: string; token: string };
    beforeAll(async () => {
      manager = await t.userWith('account_manager');
      customer = await t.make.customer({ name: 'Skjult Kunde To AS', accountManagerIds: [manager.id], person: { firstName: 'Kaja', lastName: 'Skjult', email: CUSTOMER_EMAIL } });
    });

    it('is answered as for an address no one has (never a 500); the inquiry lands on the customer’s person and its account manager is told', async () => {
      smtp.clear();
      const before = await capturesOf(customer.personId);
      const toHidden = await enter(sales.token, { email: CUSTOMER_EMAIL.toUpperCase(), firstName: 'Oracle', request: 'Wants a quote for the next phase' });
      const toNobody = await enter(sales.token, { email: 'oracle.nobody@unheld-address.example', firstName: 'Oracle', request: 'Wants a quote for the next phase' });
      expect(toHidden.status).toBe(201);
      expect(toNobody.status).toBe(201);
      expect(toHidden.headers['content-type']).toBe(toNobody.headers['content-type']);
      expect(Object.keys(toHidden.body).sort()).toEqual(Object.keys(toNobody.body).sort());
      expect(toHidden.body).toEqual({ id: expect.stringMatching(UUID), captureId: expect.stringMatching(UUID), created: true });
      expect(toNobody.body.created).toBe(true);
      // The answer holds no handle to the hidden record.
      expect(JSON.stringify(toHidden.body)).not.toContain(customer.personId);

      // Stored on the customer's person, not as a new one, its owner unchanged; audited with the sales user as the actor.
      expect(await capturesOf(customer.personId)).toEqual(expect.arrayContaining([...before, toHidden.body.captureId]));
      expect(await t.owner.query(`SELECT id FROM person WHERE email = $1`, [CUSTOMER_EMAIL])).toEqual([{ id: customer.personId }]);
      expect(await t.owner.query(`SELECT id FROM person WHERE id = $1`, [toHidden.body.id])).toEqual([]);
      const [{ owner_id: ownerId }] = await t.owner.query(`SELECT owner_id FROM person WHERE id = $1`, [customer.personId]);
      expect(ownerId).not.toBe(sales.id);
      expect(await t.owner.query(`SELECT action FROM audit_log WHERE entity_id = $1 AND actor_id = $2`, [customer.personId, sales.id])).toEqual([{ action: 'person.captured' }]);

      // The account manager finds it on their customer's record, entered by the sales user.
      const record = await t.http().get(`/api/persons/${customer.personId}`).set(as(manager.token)).expect(200);
      expect(record.body.captures.map((c: { id: string }) => c.id)).toContain(toHidden.body.captureId);
      expect(record.body.timeline).toEqual(expect.arrayContaining([expect.objectContaining({ captureId: toHidden.body.captureId, actorId: sales.id })]));
      // ... and is told, as for a web form's lead on their customer: only the account manager.
      const [mail] = await smtp.waitForMessages(1);
      expect(smtp.messages).toHaveLength(1);
      expect(mail.to).toEqual([manager.email]);
      expect(mail.text).toContain(customer.personId);

      // What sales can still see of it is what they see of any record they may not: nothing.
      const missing = await t.http().get(`/api/persons/${toHidden.body.id}`).set(as(sales.token));
      const random = await t.http().get(`/api/persons/${randomUUID()}`).set(as(sales.token));
      expect(missing.status).toBe(404);
      expect(problem(missing.body)).toEqual(problem(random.body));
    });

    it('a known person the caller sees gets the capture, as before', async () => {
      const { personId } = await t.make.person({ firstName: 'Synne', email: 'synne@open-lead.example' });
      const res = await enter(sales.token, { email: 'SYNNE@open-lead.example', firstName: 'Synne' }).expect(201);
      expect(res.body).toMatchObject({ id: personId, created: false });
    });

    it('a number only a hidden customer’s person is known by: the same, never a 500', async () => {
      const phoneOnly = await t.make.customer({ name: 'Nummer Kunde AS', accountManagerIds: [manager.id], person: { firstName: 'Nils', email: null, phone: '+4791599101', source: 'phone', inquiryType: null } });
      const res = await enter(sales.token, { phone: '915 99 101', firstName: 'Oracle' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.stringMatching(UUID), captureId: expect.stringMatching(UUID), created: true });
      expect(await capturesOf(phoneOnly.personId)).toContain(res.body.captureId);
      expect(await t.owner.query(`SELECT id FROM person WHERE phone = '+4791599101'`)).toEqual([{ id: phoneOnly.personId }]);
    });

    it('the hidden customer’s address with the number of a person the caller sees: no 500, and the visible person does not take the address', async () => {
      const { personId: visible } = await t.make.person({ firstName: 'Vidar', email: null, phone: '+4791599102', source: 'phone', inquiryType: null });
      const res = await enter(sales.token, { email: CUSTOMER_EMAIL, phone: '+4791599102', firstName: 'Oracle' });
      expect(res.status).toBe(201);
      expect(res.body.created).toBe(true);
      expect(await capturesOf(customer.personId)).toContain(res.body.captureId);
      const [row] = await t.owner.query(`SELECT email FROM person WHERE id = $1`, [visible]);
      expect(row.email).toBeNull();
    });

    it('an account manager who sees the customer gets the capture on it as a known person', async () => {
      const res = await enter(manager.token, { email: CUSTOMER_EMAIL, firstName: 'Hedda' }).expect(201);
      expect(res.body).toMatchObject({ id: customer.personId, created: false });
    });
  });

  describe('merging', () => {
    it('a hidden customer’s person answers a merge exactly as an id no one has', async () => {
      const { personId: lead } = await t.make.person({ firstName: 'Mona', email: 'mona@open-lead.example' });
      for (const dryRun of [true, false]) {
        const intoHidden = await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId: lead, loserId: hidden.personId, dryRun });
        const intoNothing = await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId: lead, loserId: randomUUID(), dryRun });
        expect(intoHidden.status).toBe(404);
        expect(problem(intoHidden.body)).toEqual(problem(intoNothing.body));
        const fromHidden = await t.http().post('/api/persons/merge').set(as(sales.token)).send({ winnerId: hidden.personId, loserId: lead, dryRun });
        expect(fromHidden.status).toBe(404);
        expect(problem(fromHidden.body)).toEqual(problem(intoNothing.body));
      }
      expect(await t.owner.query(`SELECT id FROM person WHERE id = ANY($1::uuid[]) ORDER BY id`, [[lead, hidden.personId].sort()])).toEqual([lead, hidden.personId].sort().map((id) => ({ id })));
    });
  });

  describe('the audit log', () => {
    it('hides lines about a hidden customer’s person whatever the case of the id it was opened by', async () => {
      const upper = hidden.personId.toUpperCase();
      await t.http().get(`/api/persons/${upper}`).set(as(am.token)).expect(200);
      // Stored in the one spelling.
      const stored = await t.owner.query(`SELECT entity_id FROM audit_log WHERE actor_id = $1 AND action = 'person.read'`, [am.id]);
      expect(stored.map((r: { entity_id: string }) => r.entity_id)).toEqual([hidden.personId]);
      // A line written in another spelling (as before this fix) is hidden too.
      await t.owner.query(`INSERT INTO audit_log (actor_type, actor_id, action, entity_type, entity_id) VALUES ('user', $1, 'person.read', 'person', $2)`, [am.id, upper]);

      const seenBy = async (token: string, query: string) => {
        const res = await t.http().get(`/api/audit?${query}`).set(as(token)).expect(200);
        return (res.body.items as { entityId: string | null }[]).filter((e) => e.entityId?.toLowerCase() === hidden.personId);
      };
      for (const query of [`actorId=${am.id}`, `entityType=person&entityId=${hidden.personId}`, `entityType=person&entityId=${upper}`]) {
        expect({ query, lines: await seenBy(dpo.token, query) }).toEqual({ query, lines: [] });
      }
      // An admin sees both lines, found by either spelling of the id.
      expect(await seenBy(admin.token, `entityType=person&entityId=${upper}&actorId=${am.id}`)).toHaveLength(2);
      expect(await seenBy(admin.token, `entityType=person&entityId=${hidden.personId}&actorId=${am.id}`)).toHaveLength(2);
    });
  });
});
