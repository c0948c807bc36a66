import { Injectable, NotFoundException } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { invalidField } from '../common/problem-details';
import type { Actor } from '../domain/actor';
import { ApiKeysRepository } from './api-keys.repository';
import type { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from './dto/api-key.dto';
import type { ApiKey } from './entities/api-key.entity';

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const KEY_FORMAT = /^crm_([a-f0-9]{12})_[A-Za-z0-9_-]{43}$/;

const toView = ({ id, name, channel, formId, prefix, createdBy, createdAt, revokedAt, lastUsedAt }: ApiKey): ApiKeyView => ({ id, name, channel, formId, prefix, createdBy, createdAt, revokedAt, lastUsedAt });

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    if (dto.formId && dto.channel !== 'web_form') throw invalidField('formId', 'only a web_form key is for a form');
    if (dto.formId && !(await this.keys.formExists(dto.formId))) throw invalidField('formId', 'there is no such form');
    const prefix = randomBytes(6).toString('hex');
    const key = `crm_${prefix}_${randomBytes(32).toString('base64url')}`;
    return this.keys.transaction(async (tx) => {
      const row = await this.keys.insert(tx, { name: dto.name, channel: dto.channel, formId: dto.formId ?? null, prefix, secretHash: sha256(key).toString('hex'), createdBy: actor.id });
      await this.audit.record(actor, { action: 'api_key.created', entityType: 'api_key', entityId: row.id, after: { name: row.name, channel: row.channel, formId: row.formId, prefix } }, tx);
      return { ...toView(row), key };
    });
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.keys.list()).map(toView);
  }

  async revoke(actor: Actor, id: string): Promise<ApiKeyView> {
    return this.keys.transaction(async (tx) => {
      const before = await this.keys.findById(id, tx);
      if (!before) throw new NotFoundException('There is no such API key.');
      await this.keys.revoke(tx, id);
      const after = (await this.keys.findById(id, tx))!;
      await this.audit.record(actor, { action: 'api_key.revoked', entityType: 'api_key', entityId: id, before: { revokedAt: before.revokedAt }, after: { revokedAt: after.revokedAt } }, tx);
      return toView(after);
    });
  }

  /** The live key this secret belongs to, or null. Compared in constant time. */
  async authenticate(presented: string): Promise<ApiKey | null> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return null;
    const row = await this.keys.findByPrefixWithHash(match[1]);
    if (!row || row.revokedAt) return null;
    if (!timingSafeEqual(Buffer.from(row.secretHash, 'hex'), sha256(presented))) return null;
    await this.keys.touch(row.id);
    return row;
  }
}
