import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An "employee concerned" (policy 6.2(8)): someone other than the account managers who may see
 * one customer's data, for a reason, until it expires or is revoked. Never deleted: revoked and
 * expired grants stay as the record of who could see what, when.
 */
@Entity('customer_access_grant')
@Index('customer_access_grant_user_idx', ['userId', 'companyId'])
@Index('customer_access_grant_company_idx', ['companyId', 'grantedAt'])
export class CustomerAccessGrant {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  companyId: string;

  @Column('uuid')
  userId: string;

  @Column('text')
  reason: string;

  @Column('uuid', { nullable: true })
  grantedBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  grantedAt: Date;

  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;

  @Column('uuid', { nullable: true })
  revokedBy: string | null;
}
