import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { UsersService } from '../auth/users.service';
import { invalidField } from '../common/problem-details';
import type { Actor } from '../domain/actor';
import type { AssignmentRuleView, SetAssignmentRuleDto } from './dto/assignment-rule.dto';
import { LeadsRepository } from './leads.repository';
import { LeadsService } from './leads.service';

/** The owner rules (issue 16, item 15): set by an admin, per form or per channel, audited. */
@Injectable()
export class AssignmentRulesService {
  constructor(
    private readonly repo: LeadsRepository,
    private readonly leads: LeadsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  list(): Promise<AssignmentRuleView[]> {
    return this.repo.assignmentRules();
  }

  /** Sets the rule of a form or a channel (replacing its earlier one). */
  async set(actor: Actor, dto: SetAssignmentRuleDto): Promise<AssignmentRuleView> {
    if (Boolean(dto.formId) === Boolean(dto.channel)) throw invalidField('formId', 'name either a form (formId) or a channel');
    if (dto.formId && !(await this.repo.formExists(dto.formId))) throw invalidField('formId', 'there is no such form');
    const userIds = [...new Set(dto.userIds)];
    const wanted = { nobody: [0, 0], fixed: [1, 1], round_robin: [1, 100], least_busy: [1, 100] }[dto.mode];
    if (userIds.length < wanted[0] || userIds.length > wanted[1]) {
      throw invalidField('userIds', dto.mode === 'nobody' ? 'must be empty for nobody' : dto.mode === 'fixed' ? 'must name exactly one user for fixed' : `must name at least one user for ${dto.mode}`);
    }
    for (const id of userIds) {
      const user = await this.users.get(id).catch(() => null);
      if (!user || !user.active || !user.roles.includes('sales')) throw invalidField('userIds', `${id} is not an active sales user`);
    }
    const rule = await this.repo.transaction(async (tx) => {
      const saved = await this.repo.saveAssignmentRule(tx, { formId: dto.formId ?? null, channel: dto.channel ?? null, mode: dto.mode, userIds, updatedBy: actor.id });
      await this.audit.record(actor, { action: 'assignment_rule.set', entityType: 'assignment_rule', entityId: saved.id, after: { formId: saved.formId, channel: saved.channel, mode: saved.mode, userIds: saved.userIds } }, tx);
      return saved;
    });
    this.leads.forgetRuleScopes();
    return rule;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.repo.transaction(async (tx) => {
      if (!(await this.repo.deleteAssignmentRule(tx, id))) throw new NotFoundException('There is no such rule.');
      await this.audit.record(actor, { action: 'assignment_rule.removed', entityType: 'assignment_rule', entityId: id }, tx);
    });
    this.leads.forgetRuleScopes();
  }
}
