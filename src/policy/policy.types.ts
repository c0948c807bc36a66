import type { ConsentPurpose, InquiryType, IntakeSource, LegalBasis, RetentionAnchor } from '../domain/purposes';
/**
 * The privacy policy as data: what each version promises, in the shape the CRM reads it.
 * The literal arrays are the single list of allowed values (DTO validators use them with `@IsIn`).
 */


/** The categories of data the policy says a channel collects (sections 3.1 to 7.1). */
export const COLLECTED_FIELDS = [
  'name',
  'position',
  'phone',
  'email',
  'location',
  'skype_id',
  'linkedin_profile',
  'company_name',
  'company_address',
  'request',
  'communication_history',
  'call_duration',
  'call_recording',
  'voice_recording',
  'service_delivery_data',
  'business_card',
] as const;
export type CollectedField = (typeof COLLECTED_FIELDS)[number];

/** How long a record is kept: `years` counted from `anchor`, as the policy clause `section` says (e.g. '3.4'). */
export interface Retention {
  years: number;
  anchor: RetentionAnchor;
  section: string;
}

/** What the policy says about one intake channel. */
export interface ChannelTerms {
  /** The policy section that covers the channel, e.g. '3' for web forms. */
  section: string;
  retention: Retention;
  collects: readonly CollectedField[];
}

/** The legal basis an inquiry type is processed under, and the clauses that say so (e.g. '3.3(1)'). */
export interface InquiryTerms {
  legalBasis: LegalBasis;
  clauses: readonly string[];
}

/** One consent purpose: the wording shown to the person, verbatim from the policy, and where the policy grants it. */
export interface ConsentTerms {
  wording: string;
  /** The clause the wording is quoted from. */
  quotedFrom: string;
  /** Every clause that grants this consent (the wording may differ slightly between them). */
  clauses: readonly string[];
}

/**
 * One version of the privacy policy. A new policy text is a new version file; a stored capture
 * keeps the `id` it was taken under, so an id never changes and a version file is never edited.
 */
export interface PolicyVersion {
  /** Stable id stored on every capture, e.g. 'en-1'. */
  id: string;
  language: string;
  /** The policy text this version encodes, and its SHA-256 so a changed text cannot go unnoticed. */
  source: { file: string; sha256: string };
  channels: Readonly<Record<IntakeSource, ChannelTerms>>;
  inquiryTypes: Readonly<Record<InquiryType, InquiryTerms>>;
  consent: {
    /** The sentence that introduces the purposes, verbatim; with the purposes it is what the person was shown. */
    intro: string;
    introQuotedFrom: string;
    purposes: Readonly<Record<ConsentPurpose, ConsentTerms>>;
  };
  minimumAge: { years: number; section: string };
}
