import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '../../domain/roles';

/** A member of the firm's staff who signs in to the CRM. */
@Entity('staff_user')
@Check('staff_user_roles_check', `roles <@ ARRAY['admin','dpo','sales','account_manager','event_staff']::text[] AND cardinality(roles) > 0`)
export class StaffUser {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored normalised (trimmed, lower-cased), so the unique index is case-insensitive. */
  @Index('staff_user_email_key', { unique: true })
  @Column('text')
  email: string;

  @Column('text')
  name: string;

  /** argon2id hash; the password itself is never stored. */
  @Column('text', { select: false })
  passwordHash: string;

  @Column('text', { array: true })
  roles: Role[];

  @Column('timestamptz', { nullable: true })
  deactivatedAt: Date | null;

  /** Named in every token issued; moved on by a password change, a role change or deactivation, which ends the tokens issued before. */
  @Column('integer', { default: 0 })
  tokenVersion: number;

  @Column('timestamptz', { nullable: true })
  lastLoginAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
