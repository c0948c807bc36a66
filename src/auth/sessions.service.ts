import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { runAsSystem } from '../access/access-context';
import { AuditService } from '../audit/audit.service';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { Actor } from '../domain/actor';
import type { StaffUser } from './entities/staff-user.entity';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/**
 * A signed-in browser's refresh tokens: issued at sign-in, rotated on every use (the used one
 * marked, a successor issued in the same family), revoked on sign-out and on any password, role
 * or activity change (the user's token version moves). A rotated token used again was copied:
 * the whole family is revoked, and the audit log says so.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new sign-in's first refresh token (a new family), or a successor in `familyId`. */
  async issue(user: Pick<StaffUser, 'id' | 'tokenVersion'>, familyId: string = randomUUID(), tx?: EntityManager): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const row = { userId: user.id, familyId, tokenHash: hashOf(token), tokenVersion: user.tokenVersion, expiresAt: new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000) };
    await (tx ? this.sessions.insert(tx, row) : this.sessions.transaction((t) => this.sessions.insert(t, row)));
    return token;
  }

  /** The user and a successor token for a valid refresh token; null for anything else (the same answer whatever was wrong). */
  async rotate(actor: Actor, token: string | undefined): Promise<{ user: StaffUser; token: string } | null> {
    if (!token || token.length > 100) return null;
    const outcome = await this.sessions.transaction(async (tx) => {
      const row = await this.sessions.findForUpdate(tx, hashOf(token));
      if (!row || row.revokedAt) return null;
      if (row.usedAt) {
        await this.sessions.revokeFamily(tx, row.familyId);
        await this.audit.record({ ...actor, type: 'user', id: row.userId }, { action: 'user.session_token_reused', entityType: 'staff_user', entityId: row.userId, after: { revoked: 'the whole sign-in' } }, tx);
        return null;
      }
      if (row.expiresAt.getTime() <= Date.now()) return null;
      const user = await this.users.findById(row.userId, tx);
      if (!user || user.deactivatedAt || user.tokenVersion !== row.tokenVersion) {
        await this.sessions.revokeFamily(tx, row.familyId);
        return null;
      }
      await this.sessions.markUsed(tx, row.id);
      return { user, token: await this.issue(user, row.familyId, tx) };
    });
    return outcome;
  }

  /** Sign-out: the token's whole sign-in ends. */
  async revoke(token: string | undefined): Promise<void> {
    if (!token || token.length > 100) return;
    await this.sessions.transaction(async (tx) => {
      const row = await this.sessions.findForUpdate(tx, hashOf(token));
      if (row) await this.sessions.revokeFamily(tx, row.familyId);
    });
  }

  /** Sessions over for a day (expired or revoked) deleted; how many. */
  purge(): Promise<number> {
    return runAsSystem('sessions purge', () => this.sessions.purge());
  }

  /** Every sign-in of the user ends (a password change signs out every other browser). */
  revokeAllOf(tx: EntityManager, userId: string): Promise<void> {
    return this.sessions.revokeAllOf(tx, userId);
  }
}
