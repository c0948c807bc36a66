import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const BLOCK_TYPES = ['email', 'email_domain', 'ip', 'cidr', 'phone', 'skype'] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

/**
 * A sender someone decided about: blocked (spam or swindler, blocked at the server) or allowed
 * (released from quarantine: not held again for content).
 */
@Entity('sender_list_entry')
@Index('sender_list_entry_key', ['list', 'type', 'value'], { unique: true })
@Check('sender_list_entry_list_check', `list IN ('block','allow')`)
@Check('sender_list_entry_type_check', `type IN ('email','email_domain','ip','cidr','phone','skype')`)
@Check('sender_list_entry_tag_check', `tag IS NULL OR tag IN ('spam','swindler')`)
export class SenderListEntry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  list: 'block' | 'allow';

  @Column('text')
  type: BlockType;

  /** Normalised: lower-case e-mail or domain, E.164 phone, an IP or CIDR range. */
  @Column('text')
  value: string;

  @Column('text', { nullable: true })
  tag: 'spam' | 'swindler' | null;

  @Column('text', { nullable: true })
  reason: string | null;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;
}
