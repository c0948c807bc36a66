import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A word, phrase or regular expression: a weighted signal toward holding a submission for review. */
@Entity('screening_rule')
@Check('screening_rule_kind_check', `kind IN ('word','phrase','regex')`)
@Check('screening_rule_tag_check', `tag IN ('spam','misleading')`)
export class ScreeningRule {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  kind: 'word' | 'phrase' | 'regex';

  @Column('text')
  pattern: string;

  @Column('text')
  tag: 'spam' | 'misleading';

  /** What a match adds to the score; one everyday phrase alone should not reach the threshold. */
  @Column('real', { default: () => '0.5' })
  weight: number;

  @Column('uuid', { nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
