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
import { normaliseEmail } from './users.service';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(actor: Actor, dto: LoginDto): Promise<TokenView> {
    const email = normaliseEmail(dto.email);
    const ip = actor.ip ?? 'unknown';
    const wait = await this.throttle.attempt(email, ip);
    if (wait > 0) throw new ProblemException(429, 'Too many failed sign-ins. Try again later.', { retryAfterSeconds: wait });

    const user = await this.users.findForLogin(email);
    const ok = await argon2.verify(user?.passwordHash ?? (await this.decoyHash), dto.password).catch(() => false);
    if (!user || !ok || user.deactivatedAt) throw new ProblemException(401, BAD_CREDENTIALS);
    await Promise.all([this.throttle.succeeded(email, ip), this.users.recordLogin(user.id)]);
    await this.audit.record({ ...actor, type: 'user', id: user.id }, { action: 'user.signed_in', entityType: 'staff_user', entityId: user.id });
    return { accessToken: await this.jwt.signAsync({ sub: user.id, ver: user.tokenVersion }), tokenType: 'Bearer', expiresIn: this.config.JWT_TTL_SECONDS };
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
