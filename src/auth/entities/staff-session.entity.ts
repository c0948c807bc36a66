import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One refresh token of a signed-in browser. Only its SHA-256 is kept. Each use rotates it: the
 * used one is marked, a new one of the same family issued; a marked one used again means it was
 * stolen, and the whole family (the sign-in) is revoked.
 */
@Entity('staff_session')
@Index('staff_session_token_idx', ['tokenHash'], { unique: true })
@Index('staff_session_family_idx', ['familyId'])
@Index('staff_session_user_idx', ['userId'])
export class StaffSession {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  userId: string;

  /** Every token of one sign-in shares its family. */
  @Column('uuid')
  familyId: string;

  @Column('bytea')
  tokenHash: Buffer;

  /** The user's token version when issued: a password, role or activity change ends the session. */
  @Column('integer')
  tokenVersion: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz')
  expiresAt: Date;

  /** Rotated: exchanged for its successor. */
  @Column('timestamptz', { nullable: true })
  usedAt: Date | null;

  @Column('timestamptz', { nullable: true })
  revokedAt: Date | null;
}
