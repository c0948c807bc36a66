import { ApiKeysService } from '../../src/auth/api-keys.service';
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app';

describe('[SEC-ACCESS] staff sign-in, accounts and machine clients', () => {
  let t: TestApp;
  let admin: { id: string; email: string; token: string };
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await startTestApp({ env: { LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '3', LOGIN_MAX_FAILURES_PER_ACCOUNT: '6', LOGIN_MAX_FAILURES_PER_IP: '8' } });
    admin = await t.userWith('admin');
  });
  afterAll(() => t.close());

  describe('login', () => {
    it('returns a short-lived bearer token that identifies the user', async () => {
      const res = await t.http().post('/api/auth/login').send({ email: admin.email.toUpperCase(), password: TEST_PASSWORD }).expect(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      const me = await t.http().get('/api/auth/me').set(as(res.body.accessToken)).expect(200);
      expect(me.body).toMatchObject({ id: admin.id, email: admin.email, roles: ['admin'] });
    });

    it('answers the same for an unknown e-mail and a wrong password', async () => {
      const unknown = await t.http().post('/api/auth/login').send({ email: 'nobody@example.test', password: 'whatever-password' });
      const wrong = await t.http().post('/api/auth/login').send({ email: admin.email, password: 'wrong-password-123' });
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      const { instance: _a, ...a } = unknown.body;
      const { instance: _b, ...b } = wrong.body;
      expect(a).toEqual(b);
    });

    it('is rate-limited per account and address: after too many failures even the right password waits there, with Retry-After', async () => {
      const victim = await t.userWith('sales');
      for (let i = 0; i < 3; i++) await t.http().post('/api/auth/login').send({ email: victim.email, password: 'guess-number-' + i }).expect(401);
      const res = await t.http().post('/api/auth/login').send({ email: victim.email, password: TEST_PASSWORD });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    });

    it('is rate-limited per IP across accounts, and the counters live in PostgreSQL, not in the e-mail', async () => {
      let status = 0;
      for (let i = 0; i < 12 && status !== 429; i++) {
        status = (await t.http().post('/api/auth/login').send({ email: `spray${i}@example.test`, password: 'spray-password' })).status;
      }
      expect(status).toBe(429);
      const rows = await t.owner.query(`SELECT key FROM rate_limit`);
      expect(rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(rows)).not.toMatch(/example\.test|127\.0\.0\.1/);
      await t.owner.query(`DELETE FROM rate_limit`); // this address must sign in again below
    });
  });

  /**
   * Sign-ins from other client addresses. The app derives the address from the connection (no
   * proxy is trusted here, so X-Forwarded-For cannot choose it): Fastify's inject sets the peer
   * address, as a connection from 127.0.0.2 would.
   */
  describe('a stranger cannot lock a user out', () => {
    const loginFrom = async (ip: string, email: string, password: string) => {
      const res = await t.app.getHttpAdapter().getInstance().inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, payload: { email, password } });
      return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: res.json() as Record<string, unknown> };
    };
    /** A problem body without what differs per request or by the second. */
    const problem = ({ instance: _i, retryAfterSeconds: _r, ...rest }: Record<string, unknown>) => rest;

    it('failures from one address lock only that address out of the account: the user signs in from another, the guesser stays throttled', async () => {
      const victim = await t.userWith('admin');
      for (let i = 0; i < 3; i++) expect((await loginFrom('127.0.0.2', victim.email, `guess-${i}`)).status).toBe(401);
      const locked = await loginFrom('127.0.0.2', victim.email, TEST_PASSWORD);
      expect(locked.status).toBe(429);
      expect(Number(locked.retryAfter)).toBeGreaterThan(0);

      // The user, elsewhere, signs in with the right password, and the token works.
      const mine = await loginFrom('127.0.0.3', victim.email, TEST_PASSWORD);
      expect(mine.status).toBe(200);
      await t.http().get('/api/auth/me').set(as(mine.body.accessToken as string)).expect(200);
      // Their sign-in does not free the guesser: it is still refused, right password or not.
      expect((await loginFrom('127.0.0.2', victim.email, 'guess-again')).status).toBe(429);
      expect((await loginFrom('127.0.0.2', victim.email, TEST_PASSWORD)).status).toBe(429);
    });

    it('a guess spread over many addresses meets the account-wide ceiling', async () => {
      const victim = await t.userWith('sales');
      // Six failures in all (the ceiling here), from two addresses, each under its own limit.
      for (const ip of ['127.0.0.4', '127.0.0.5']) for (let i = 0; i < 3; i++) expect((await loginFrom(ip, victim.email, `spread-${i}`)).status).toBe(401);
      expect((await loginFrom('127.0.0.6', victim.email, 'spread-x')).status).toBe(429);
    });

    it('an unknown address answers exactly as a known one, failure for failure, lockout included', async () => {
      const known = await t.userWith('admin');
      const run = async (ip: string, email: string) => {
        const answers = [];
        for (let i = 0; i < 5; i++) answers.push(await loginFrom(ip, email, `guess-${i}`));
        return answers;
      };
      const forKnown = await run('127.0.0.7', known.email);
      const forUnknown = await run('127.0.0.8', 'no-such-user@example.test');
      expect(forUnknown.map((a) => a.status)).toEqual([401, 401, 401, 429, 429]);
      expect(forKnown.map((a) => a.status)).toEqual(forUnknown.map((a) => a.status));
      forKnown.forEach((a, i) => {
        expect(problem(a.body)).toEqual(problem(forUnknown[i].body));
        expect(a.retryAfter === undefined).toBe(forUnknown[i].retryAfter === undefined);
      });
      for (const a of [...forKnown, ...forUnknown].filter((x) => x.status === 429)) expect(a.body.retryAfterSeconds).toEqual(expect.any(Number));
    });
  });

  describe('users (admins only)', () => {
    it('an admin creates a user who can sign in; the password is stored as an argon2id hash', async () => {
      const res = await t.http().post('/api/users').set(as(admin.token)).send({ email: ' Ola.Nordmann@Example.test ', name: 'Ola Nordmann', roles: ['sales', 'event_staff'], password: 'a-long-enough-password' }).expect(201);
      expect(res.body).toMatchObject({ email: 'ola.nordmann@example.test', roles: ['sales', 'event_staff'], active: true });
      expect(res.body).not.toHaveProperty('passwordHash');
      const [row] = await t.owner.query(`SELECT password_hash FROM staff_user WHERE id = $1`, [res.body.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      // A second account with the same address, in any case, is a conflict.
      await t.http().post('/api/users').set(as(admin.token)).send({ email: 'OLA.nordmann@example.test', name: 'Twin', roles: ['sales'], password: 'a-long-enough-password' }).expect(409);
    });

    it('a deactivated user is refused at once, even with a token issued before', async () => {
      const user = await t.userWith('sales');
      await t.http().get('/api/auth/me').set(as(user.token)).expect(200);
      await t.http().patch(`/api/users/${user.id}`).set(as(admin.token)).send({ active: false }).expect(200);
      await t.http().get('/api/auth/me').set(as(user.token)).expect(401);
      await t.http().post('/api/auth/login').send({ email: user.email, password: TEST_PASSWORD }).expect(401);
    });

    it('a role change ends the user\'s tokens; signed in again, the new roles apply', async () => {
      const user = await t.userWith('sales');
      await t.http().get('/api/users').set(as(user.token)).expect(403);
      await t.http().patch(`/api/users/${user.id}`).set(as(admin.token)).send({ roles: ['admin'] }).expect(200);
      await t.http().get('/api/auth/me').set(as(user.token)).expect(401);
      const again = await t.http().post('/api/auth/login').send({ email: user.email, password: TEST_PASSWORD }).expect(200);
      await t.http().get('/api/users').set(as(again.body.accessToken)).expect(200);
    });

    it('a demotion ends the tokens that carried the higher role', async () => {
      const user = await t.userWith('admin', 'sales');
      await t.http().get('/api/users').set(as(user.token)).expect(200);
      await t.http().patch(`/api/users/${user.id}`).set(as(admin.token)).send({ roles: ['sales'] }).expect(200);
      await t.http().get('/api/users').set(as(user.token)).expect(401);
      await t.http().get('/api/auth/me').set(as(user.token)).expect(401);
    });

    it('the same roles in another order, or a new name, leave the tokens alone', async () => {
      const user = await t.userWith('sales', 'event_staff');
      await t.http().patch(`/api/users/${user.id}`).set(as(admin.token)).send({ roles: ['event_staff', 'sales'], name: 'Renamed' }).expect(200);
      await t.http().get('/api/auth/me').set(as(user.token)).expect(200);
    });

    it('a password reset ends every token issued before it, and only the new password signs in', async () => {
      const user = await t.userWith('sales');
      const second = (await t.http().post('/api/auth/login').send({ email: user.email, password: TEST_PASSWORD }).expect(200)).body.accessToken;
      await t.http().patch(`/api/users/${user.id}`).set(as(admin.token)).send({ password: 'a-brand-new-password' }).expect(200);
      for (const token of [user.token, second]) await t.http().get('/api/auth/me').set(as(token)).expect(401);
      await t.http().post('/api/auth/login').send({ email: user.email, password: TEST_PASSWORD }).expect(401);
      const fresh = await t.http().post('/api/auth/login').send({ email: user.email, password: 'a-brand-new-password' }).expect(200);
      await t.http().get('/api/auth/me').set(as(fresh.body.accessToken)).expect(200);
    });

    it('an admin who changes their own password signs in again', async () => {
      const other = await t.userWith('admin');
      await t.http().patch(`/api/users/${other.id}`).set(as(other.token)).send({ password: 'another-long-password' }).expect(200);
      await t.http().get('/api/auth/me').set(as(other.token)).expect(401);
    });

    it('a token issued before deactivation stays dead after the user is reactivated', async () => {
      const user = await t.userWith('sales');
      await t.http().patch(`/api/users/${user.id}`).set(as(admin.token)).send({ active: false }).expect(200);
      await t.http().patch(`/api/users/${user.id}`).set(as(admin.token)).send({ active: true }).expect(200);
      await t.http().get('/api/auth/me').set(as(user.token)).expect(401);
      const again = await t.http().post('/api/auth/login').send({ email: user.email, password: TEST_PASSWORD }).expect(200);
      await t.http().get('/api/auth/me').set(as(again.body.accessToken)).expect(200);
    });

    it('refuses to remove the last active admin', async () => {
      const db = t.owner;
      await db.query(`UPDATE staff_user SET deactivated_at = now() WHERE 'admin' = ANY(roles) AND id <> $1`, [admin.id]);
      const res = await t.http().patch(`/api/users/${admin.id}`).set(as(admin.token)).send({ roles: ['sales'] });
      expect(res.status).toBe(409);
      const [row] = await db.query(`SELECT roles FROM staff_user WHERE id = $1`, [admin.id]);
      expect(row.roles).toEqual(['admin']);
    });

    it('lists users a page at a time', async () => {
      const first = await t.http().get('/api/users?limit=2').set(as(admin.token)).expect(200);
      expect(first.body.items).toHaveLength(2);
      const second = await t.http().get(`/api/users?limit=2&cursor=${first.body.nextCursor}`).set(as(admin.token)).expect(200);
      expect(second.body.items[0].email > first.body.items[1].email).toBe(true);
    });
  });

  describe('API keys for machine clients', () => {
    it('are shown once, stored only as a hash, scoped to a channel, revocable, with last-used time', async () => {
      const created = await t.http().post('/api/api-keys').set(as(admin.token)).send({ name: 'Website forms', channel: 'web_form' }).expect(201);
      const key: string = created.body.key;
      expect(key).toMatch(/^crm_[a-f0-9]{12}_/);

      const listed = await t.http().get('/api/api-keys').set(as(admin.token)).expect(200);
      expect(JSON.stringify(listed.body)).not.toContain(key);
      const [row] = await t.owner.query(`SELECT * FROM api_key WHERE id = $1`, [created.body.id]);
      expect(JSON.stringify(row)).not.toContain(key.slice('crm_'.length + 12 + 1)); // the secret (base64url: it may hold '_' itself)
      expect(row.last_used_at).toBeNull();

      const whoami = await t.http().get('/api/auth/key').set('X-Api-Key', key).expect(200);
      expect(whoami.body).toEqual({ id: created.body.id, channel: 'web_form' });
      const service = t.app.get(ApiKeysService);
      expect((await service.authenticate(key))?.channel).toBe('web_form');
      expect(await service.authenticate(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'))).toBeNull();
      const [used] = await t.owner.query(`SELECT last_used_at FROM api_key WHERE id = $1`, [created.body.id]);
      expect(used.last_used_at).not.toBeNull();

      await t.http().delete(`/api/api-keys/${created.body.id}`).set(as(admin.token)).expect(200);
      expect(await service.authenticate(key)).toBeNull();
    });

    it('refuse an unknown channel with a clear message', async () => {
      const res = await t.http().post('/api/api-keys').set(as(admin.token)).send({ name: 'x', channel: 'fax' }).expect(422);
      expect(res.body.errors[0]).toMatchObject({ field: 'channel', message: expect.stringContaining('web_form') });
    });
  });
});
