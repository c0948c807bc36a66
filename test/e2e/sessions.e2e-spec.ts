import { sign } from 'jsonwebtoken';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../src/config/config.module';
import type { AppConfig } from '../../src/config/app-config';
import { SessionsService } from '../../src/auth/sessions.service';
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app';

/** The session cookie a response set, as a browser would send it back (name=value). */
function sessionCookie(res: Response): string {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = set.find((c) => c.startsWith('crm_session='));
  if (!cookie) throw new Error('no session cookie was set');
  return cookie.split(';')[0];
}

/** Issue 19, sessions: a staff user working all day signs in once; a copied refresh token ends the sign-in. */
describe('[SEC-ACCESS] sessions: short access tokens renewed through a rotating, HttpOnly refresh cookie', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.owner;
    admin = (await t.userWith('admin')).token;
  });
  afterAll(() => t.close());

  const signIn = async (email: string, password = TEST_PASSWORD) => {
    const res = await t.http().post('/api/auth/login').send({ email, password }).expect(200);
    return { token: res.body.accessToken as string, cookie: sessionCookie(res), res };
  };
  const refresh = (cookie: string) => t.http().post('/api/auth/session/refresh').set('Cookie', cookie);
  const me = (token: string) => t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`);

  it('sign-in sets an HttpOnly, Secure, SameSite=Strict cookie scoped to the session routes; the session outlives the access token', async () => {
    const user = await t.userWith('sales');
    const { cookie, res } = await signIn(user.email);
    const header = ([] as string[]).concat(res.headers['set-cookie']).find((c) => c.startsWith('crm_session='))!;
    expect(header).toMatch(/; HttpOnly/i);
    expect(header).toMatch(/; Secure/i);
    expect(header).toMatch(/; SameSite=Strict/i);
    expect(header).toMatch(/; Path=\/api\/auth\/session/i);
    expect(header).toMatch(/; Max-Age=43200/i);

    // An access token past its lifetime is refused; the cookie gets a new one.
    const config = t.app.get<AppConfig>(APP_CONFIG);
    const [{ token_version: ver }] = await db.query(`SELECT token_version FROM staff_user WHERE id = $1`, [user.id]);
    const expired = sign({ sub: user.id, ver, exp: Math.floor(Date.now() / 1000) - 5 }, config.jwtSecret, { algorithm: 'HS256', issuer: 'lead-intake-crm', audience: 'staff' });
    await me(expired).expect(401);
    const renewed = await refresh(cookie).expect(200);
    await me(renewed.body.accessToken).expect(200);
    expect(sessionCookie(renewed)).not.toBe(cookie); // rotated
  });

  it('a rotated refresh token used again is refused, and the whole sign-in with it', async () => {
    const user = await t.userWith('sales');
    const { cookie: first } = await signIn(user.email);
    const second = sessionCookie(await refresh(first).expect(200));
    await refresh(first).expect(401); // the copy comes back
    await refresh(second).expect(401); // and the rightful holder's is revoked too
    const [audit] = await db.query(`SELECT action FROM audit_log WHERE action = 'user.session_token_reused' AND entity_id = $1`, [user.id]);
    expect(audit).toEqual({ action: 'user.session_token_reused' });
    // Another sign-in of the same user is untouched.
    const other = await signIn(user.email);
    await refresh(other.cookie).expect(200);
  });

  it('sign-out ends the sign-in and clears the cookie', async () => {
    const user = await t.userWith('event_staff');
    const { cookie } = await signIn(user.email);
    const out = await t.http().delete('/api/auth/session').set('Cookie', cookie).expect(204);
    expect(([] as string[]).concat(out.headers['set-cookie']).join()).toMatch(/crm_session=;.*Expires=Thu, 01 Jan 1970/i);
    await refresh(cookie).expect(401);
    await t.http().post('/api/auth/session/refresh').expect(401);
  });

  it('changing one’s own password ends every other sign-in and token; this browser goes on', async () => {
    const user = await t.userWith('sales');
    const laptop = await signIn(user.email);
    const phone = await signIn(user.email);
    await t.http().post('/api/auth/password').set('Authorization', `Bearer ${laptop.token}`).send({ currentPassword: 'not the password', newPassword: 'a brand new passphrase' }).expect(422);
    await t.http().post('/api/auth/password').set('Authorization', `Bearer ${laptop.token}`).send({ currentPassword: TEST_PASSWORD, newPassword: 'short' }).expect(422);
    const changed = await t.http().post('/api/auth/password').set('Authorization', `Bearer ${laptop.token}`).send({ currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase' }).expect(200);
    await me(laptop.token).expect(401);
    await me(changed.body.accessToken).expect(200);
    await refresh(phone.cookie).expect(401);
    await refresh(laptop.cookie).expect(401);
    await refresh(sessionCookie(changed)).expect(200);
    await t.http().post('/api/auth/login').send({ email: user.email, password: TEST_PASSWORD }).expect(401);
    await signIn(user.email, 'a brand new passphrase');
  });

  it('the nightly purge deletes sessions over for a day and keeps live ones', async () => {
    const user = await t.userWith('sales');
    const live = await signIn(user.email);
    await db.query(
      `INSERT INTO staff_session (user_id, family_id, token_hash, token_version, expires_at, revoked_at)
       VALUES ($1, gen_random_uuid(), '\\x00'::bytea, 0, now() - interval '3 days', NULL), ($1, gen_random_uuid(), '\\x01'::bytea, 0, now() + interval '1 hour', now() - interval '2 days')`,
      [user.id],
    );
    expect(await t.app.get(SessionsService).purge()).toBeGreaterThanOrEqual(2);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM staff_session WHERE user_id = $1`, [user.id]);
    expect(n).toBe(2); // the helper's sign-in and this one
    await refresh(live.cookie).expect(200);
  });

  it('a role change, a deactivation or a password reset by an admin ends the user’s sessions', async () => {
    for (const change of [{ roles: ['sales', 'event_staff'] }, { password: 'reset by the admin 1' }, { active: false }]) {
      const user = await t.userWith('sales');
      const { cookie } = await signIn(user.email);
      await t.http().patch(`/api/users/${user.id}`).set('Authorization', `Bearer ${admin}`).send(change).expect(200);
      expect({ change, status: (await refresh(cookie)).status }).toEqual({ change, status: 401 });
    }
  });
});
