import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ActorType } from '../../domain/actor';


/** One line of the append-only audit log (a trigger refuses UPDATE, DELETE and TRUNCATE). */
@Entity('audit_log')
@Index('audit_log_entity_idx', ['entityType', 'entityId', 'id'])
@Index('audit_log_actor_idx', ['actorId', 'id'])
export class AuditEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Index('audit_log_occurred_at_idx')
  @Column('timestamptz', { default: () => 'now()' })
  occurredAt: Date;

  @Column('text')
  actorType: ActorType;

  @Column('uuid', { nullable: true })
  actorId: string | null;

  /** e.g. `user.created`, `person.rectified`, `person.read`. */
  @Column('text')
  action: string;

  @Column('text')
  entityType: string;

  @Column('text', { nullable: true })
  entityId: string | null;

  /** Changed fields as `{field: {before, after}}`; personal values are masked. */
  @Column('jsonb', { nullable: true })
  changes: Record<string, { before: unknown; after: unknown }> | null;

  @Column('text', { nullable: true })
  requestId: string | null;

  @Column('inet', { nullable: true })
  ip: string | null;
}
