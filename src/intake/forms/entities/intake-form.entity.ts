import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ConsentPurpose, InquiryType } from '../../../domain/purposes';

/** Person fields a form field can map onto. */
export const FORM_TARGETS = ['name', 'firstName', 'lastName', 'email', 'phone', 'position', 'company', 'location', 'skypeId', 'linkedinUrl', 'subject', 'request', 'inquiryType', 'age', 'birthDate'] as const;
export type FormTarget = (typeof FORM_TARGETS)[number];

/** A website form registered by an admin: how its own field names map onto a person. */
@Entity('intake_form')
export class IntakeForm {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The URL key: POST /api/intake/forms/{key}. */
  @Index('intake_form_key_key', { unique: true })
  @Column('text')
  key: string;

  @Column('text')
  name: string;

  /** Browser origins allowed to post (CORS), e.g. https://www.example.com. */
  @Column('text', { array: true, default: () => "'{}'" })
  allowedOrigins: string[];

  /** The form's field name -> person field. */
  @Column('jsonb')
  fieldMapping: Record<string, FormTarget>;

  @Column('text')
  defaultInquiryType: InquiryType;

  /** Values of the field mapped to `inquiryType` -> inquiry type. */
  @Column('jsonb', { default: () => "'{}'" })
  inquiryTypeValues: Record<string, InquiryType>;

  /** The form's checkbox field -> the consent purpose it grants. */
  @Column('jsonb', { default: () => "'{}'" })
  consentFields: Record<string, ConsentPurpose>;

  /** The checkbox field -> the exact text the site shows beside it (what the ledger records as given). */
  @Column('jsonb', { default: () => "'{}'" })
  consentTexts: Record<string, string>;

  /** Where a browser goes (303) after a plain HTML post. */
  @Column('text', { nullable: true })
  thankYouUrl: string | null;

  /** Counted up whenever a checkbox text changes. */
  @Column('integer', { default: 1 })
  consentTextsVersion: number;

  /** HMAC-SHA256 key for server-to-server relays (header X-Signature). Needed in the clear to verify. */
  @Column('text', { select: false })
  signingSecret: string;

  /** Notifications for this form's leads go here when the lead has no owner. */
  @Column('text', { nullable: true })
  notifyEmail: string | null;

  /** A hidden field people never see: filled, or missing, means a bot. */
  @Column('text', { nullable: true })
  honeypotField: string | null;

  /** Submitted sooner than this after the form rendered (its signed render token) means a bot. */
  @Column('integer', { nullable: true })
  minFillSeconds: number | null;

  @Column('timestamptz', { nullable: true })
  archivedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
