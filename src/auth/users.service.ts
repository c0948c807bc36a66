import { Injectable, NotFoundException } from '@nestjs/common';
import * as argon2 from 'argon2';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../domain/actor';
import { foldEmail } from '../domain/identity';
import { OWNER_ROLES, type Role } from '../domain/roles';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { ProblemException } from '../common/problem-details';
import type { CreateUserDto, UpdateUserDto, UserView } from './dto/user.dto';
import type { StaffUser } from './entities/staff-user.entity';
import { UsersRepository } from './users.repository';
import { SessionsRepository } from './sessions.repository';


export function toUserView(u: StaffUser): UserView {
  return { id: u.id, email: u.email, name: u.name, roles: u.roles, active: u.deactivatedAt === null, lastLoginAt: u.lastLoginAt, createdAt: u.createdAt, updatedAt: u.updatedAt };
}

/** What the audit log compares: the view, plus a marker when the password changed. */
const auditSnapshot = (u: StaffUser, passwordChanged = false) => ({ ...toUserView(u), ...(passwordChanged ? { password: 'changed' } : {}) });

const sameRoles = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly sessions: SessionsRepository,
  ) {}

  async create(actor: Actor, dto: CreateUserDto): Promise<UserView> {
    const passwordHash = await hashPassword(dto.password);
    return this.users.transaction(async (tx) => {
      const user = await this.users.insert(tx, { email: foldEmail(dto.email), name: dto.name, roles: dto.roles, passwordHash });
      if (!user) throw new ProblemException(409, 'A user with this e-mail already exists.', { errors: [{ field: 'email', message: 'already in use' }] });
      await this.audit.record(actor, { action: 'user.created', entityType: 'staff_user', entityId: user.id, after: auditSnapshot(user) }, tx);
      return toUserView(user);
    });
  }

  /** The addresses of active users with this role (who is told of what concerns the role). */
  activeEmailsWith(role: Role): Promise<string[]> {
    return this.users.activeEmailsWith(role);
  }

  /** Who may own a lead (the rule the owner change applies): active users in sales, account management or admin. */
  assignable(): Promise<{ id: string; name: string }[]> {
    return this.users.activeWithAnyRole(OWNER_ROLES);
  }

  /** Staff users' names by id, for showing who owns what. */
  async namesOf(ids: (string | null)[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids.filter((id): id is string => id !== null))];
    return new Map((await this.users.namesOf(unique)).map((u) => [u.id, u.name]));
  }

  async get(id: string): Promise<UserView> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException('There is no such user.');
    return toUserView(user);
  }

  async list(limit: number, cursor?: string): Promise<Page<UserView>> {
    const [afterEmail] = (decodeCursor(cursor) ?? []) as [string?];
    const rows = await this.users.list(limit + 1, afterEmail);
    const page = toPage(rows, limit, (u) => [u.email]);
    return { items: page.items.map(toUserView), nextCursor: page.nextCursor };
  }

  async update(actor: Actor, id: string, dto: UpdateUserDto): Promise<UserView> {
    const passwordHash = dto.password ? await hashPassword(dto.password) : undefined;
    return this.users.transaction(async (tx) => {
      await this.users.lockAdmins(tx);
      const before = await this.users.findById(id, tx);
      if (!before) throw new NotFoundException('There is no such user.');
      const changes: Partial<StaffUser> = {};
      if (dto.name !== undefined) changes.name = dto.name;
      if (dto.roles !== undefined) changes.roles = dto.roles;
      if (passwordHash) changes.passwordHash = passwordHash;
      if (dto.active !== undefined && dto.active !== (before.deactivatedAt === null)) changes.deactivatedAt = dto.active ? null : new Date();
      if (Object.keys(changes).length === 0) return toUserView(before);
      // Tokens carry no roles and cannot be recalled: the user signs in again under what changed.
      const rolesChanged = changes.roles !== undefined && !sameRoles(changes.roles, before.roles);
      if (passwordHash || rolesChanged || changes.deactivatedAt) changes.tokenVersion = before.tokenVersion + 1;
      await this.users.update(tx, id, changes);
      // Every sign-in ends with its tokens (a refresh would be refused anyway: its version is old).
      if (changes.tokenVersion !== undefined) await this.sessions.revokeAllOf(tx, id);
      if ((await this.users.countActiveAdmins(tx)) === 0) {
        throw new ProblemException(409, 'This change would leave no active admin; make another user admin first.');
      }
      const after = (await this.users.findById(id, tx))!;
      await this.audit.record(actor, { action: 'user.updated', entityType: 'staff_user', entityId: id, before: auditSnapshot(before), after: auditSnapshot(after, Boolean(passwordHash)) }, tx);
      return toUserView(after);
    });
  }
}
