import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** An organisation people belong to; a customer once the firm delivers services to it. */
@Entity('company')
export class Company {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  /** Lower-cased web domain, e.g. `example.no`; one company per domain. */
  @Index('company_domain_key', { unique: true, where: 'domain IS NOT NULL' })
  @Column('text', { nullable: true })
  domain: string | null;

  @Column('text', { nullable: true })
  address: string | null;

  @Column('boolean', { default: false })
  isCustomer: boolean;

  /** Drives the customer retention clock (policy 6.4). */
  @Column('timestamptz', { nullable: true })
  lastServiceDeliveryAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
