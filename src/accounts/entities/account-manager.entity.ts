import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A staff user with the `account_manager` role who looks after one active customer (policy 6.2(8)). */
@Entity('account_manager')
@Index('account_manager_user_idx', ['userId'])
export class AccountManager {
  @PrimaryColumn('uuid')
  companyId: string;

  @PrimaryColumn('uuid')
  userId: string;

  @Column('uuid', { nullable: true })
  assignedBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  assignedAt: Date;
}
