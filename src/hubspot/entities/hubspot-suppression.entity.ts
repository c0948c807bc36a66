import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An erased person's address, as a SHA-256 hash only: the sync never re-creates that contact
 * from data the firm already held, until the person gives new data themselves.
 */
@Entity('hubspot_suppression')
export class HubspotSuppression {
  @PrimaryColumn('text')
  emailHash: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
