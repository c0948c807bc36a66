import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ApiKeyChannel } from '../../domain/roles';

/** A machine client's key (the website, the chatbot, the mail relay), scoped to one intake channel. */
@Entity('api_key')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  channel: ApiKeyChannel;

  /** The public part of the key, used to find it; the secret part is kept only as a hash. */
  @Index('api_key_prefix_key', { unique: true })
  @Column('text')
  prefix: string;

  /** SHA-256 of the whole key (keys are 256-bit random, so a slow hash adds nothing). */
  @Column('text', { select: false })
  secretHash: string;

  /** A `web_form` key for one form's server-side relay (a WordPress hook, a forwarder): it posts to that form only. */
  @Column('uuid', { nullable: true })
  formId: string | null;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  lastUsedAt: Date | null;
}
