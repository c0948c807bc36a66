import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { ProblemException } from '../common/problem-details';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { LoginDto, TokenView } from './dto/auth.dto';
import type { StaffUser } from './entities/staff-user.entity';
import { LoginThrottle } from './login-throttle';
import { foldEmail } from '../domain/identity';
import { hashPassword } from './users.service';
import { SessionsService } from './sessions.service';
import { UsersRepository } from './users.repository';

const BAD_CREDENTIALS = 'The e-mail or the password is wrong.';

@Injectable()
export class AuthService {
  /** Verified against when the e-mail is unknown, so both failures take the same time. */
  private readonly decoyHash = argon2.hash('decoy password that matches nothing', { type: argon2.argon2id });

  constructor(
    private readonly users: UsersRepository,
    private readonly jwt: JwtService,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    private readonly sessions: SessionsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Signs in: an access token, and the refresh token of a new sign-in (for the session cookie). */
  async login(actor: Actor, dto: LoginDto): Promise<{ view: TokenView; refreshToken: string }> {
    const email = foldEmail(dto.email);
    const ip = actor.ip ?? 'unknown';
    const wait = await this.throttle.attempt(email, ip);
    if (wait > 0) throw new ProblemException(429, 'Too many failed sign-ins. Try again later.', { retryAfterSeconds: wait });

    const user = await this.users.findForLogin(email);
    const ok = await argon2.verify(user?.passwordHash ?? (await this.decoyHash), dto.password).catch(() => false);
    if (!user || !ok || user.deactivatedAt) throw new ProblemException(401, BAD_CREDENTIALS);
    await Promise.all([this.throttle.succeeded(email, ip), this.users.recordLogin(user.id)]);
    await this.audit.record({ ...actor, type: 'user', id: user.id }, { action: 'user.signed_in', entityType: 'staff_user', entityId: user.id });
    return { view: await this.accessTokenFor(user), refreshToken: await this.sessions.issue(user) };
  }

  accessTokenFor(user: Pick<StaffUser, 'id' | 'tokenVersion'>): Promise<TokenView> {
    return this.jwt.signAsync({ sub: user.id, ver: user.tokenVersion }).then((accessToken) => ({ accessToken, tokenType: 'Bearer' as const, expiresIn: this.config.JWT_TTL_SECONDS }));
  }

  /** A new access token and the successor refresh token, from the session cookie's token; 401 for anything else. */
  async refresh(actor: Actor, refreshToken: string | undefined): Promise<{ view: TokenView; refreshToken: string }> {
    const rotated = await this.sessions.rotate(actor, refreshToken);
    if (!rotated) throw new ProblemException(401, 'The session has ended; sign in again.');
    return { view: await this.accessTokenFor(rotated.user), refreshToken: rotated.token };
  }

  signOut(refreshToken: string | undefined): Promise<void> {
    return this.sessions.revoke(refreshToken);
  }

  /**
   * One's own password: the current one checked (throttled like a sign-in), then every token
   * and sign-in of the user ends, and this browser gets a fresh one.
   */
  async changePassword(actor: Actor, current: string, next: string): Promise<{ view: TokenView; refreshToken: string }> {
    const me = await this.users.findById(actor.id!);
    if (!me) throw new ProblemException(401, 'The session has ended; sign in again.');
    const ip = actor.ip ?? 'unknown';
    const wait = await this.throttle.attempt(me.email, ip);
    if (wait > 0) throw new ProblemException(429, 'Too many failed attempts. Try again later.', { retryAfterSeconds: wait });
    const withHash = await this.users.findForLogin(me.email);
    if (!withHash || !(await argon2.verify(withHash.passwordHash, current).catch(() => false))) {
      throw new ProblemException(422, 'The current password is wrong.', { errors: [{ field: 'currentPassword', message: 'is wrong' }] });
    }
    if (current === next) throw new ProblemException(422, 'The new password must differ from the current one.', { errors: [{ field: 'newPassword', message: 'must differ from the current password' }] });
    await this.throttle.succeeded(me.email, ip);
    const passwordHash = await hashPassword(next);
    const user = await this.users.transaction(async (tx) => {
      await this.users.update(tx, me.id, { passwordHash, tokenVersion: me.tokenVersion + 1 });
      await this.sessions.revokeAllOf(tx, me.id);
      await this.audit.record(actor, { action: 'user.password_changed', entityType: 'staff_user', entityId: me.id, after: { password: 'changed' } }, tx);
      return { id: me.id, tokenVersion: me.tokenVersion + 1 };
    });
    return { view: await this.accessTokenFor(user), refreshToken: await this.sessions.issue(user) };
  }

  /**
   * The active user a token names, or null: a token issued before the user's last password
   * change, role change or deactivation (an older token version) stops working at once.
   */
  async userForToken(token: string): Promise<StaffUser | null> {
    let sub: unknown;
    let ver: unknown;
    try {
      ({ sub, ver } = await this.jwt.verifyAsync<{ sub: string; ver: number }>(token));
    } catch {
      return null;
    }
    if (typeof sub !== 'string' || !/^[0-9a-f-]{36}$/i.test(sub) || !Number.isInteger(ver)) return null;
    const user = await this.users.findById(sub);
    return user && !user.deactivatedAt && user.tokenVersion === ver ? user : null;
  }
}
