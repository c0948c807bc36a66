/**
 * The privacy policy as data: what each version promises, in the shape the CRM reads it.
 * The literal arrays are the single list of allowed values (DTO validators use them with `@IsIn`).
 */

/**
 * Where an inquiry came in. `manual` is data staff type in by hand; see the version file for
 * the policy section it falls under.
 */
export const INTAKE_SOURCES = ['web_form', 'chatbot', 'email', 'messenger', 'phone', 'widget', 'customer', 'event', 'manual'] as const;

/**
 * Channels where the person sends their data themselves (the public can post to them): these
 * are screened for spam (3.3(3), 4.3(3), 5.3(3)), and new data through them lifts an erasure's
 * suppression. The rest is typed in by staff.
 */
export const SELF_SERVICE_SOURCES = ['web_form', 'chatbot', 'email', 'widget'] as const;
export type IntakeSource = (typeof INTAKE_SOURCES)[number];

/** The GDPR Art. 6(1) bases the policy relies on: (b) contract, (f) legitimate interest, (a) consent. */
export const LEGAL_BASES = ['contract', 'legitimate_interest', 'consent'] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

/** What a retention clock counts from: the capture itself, the last service delivered, or the last event registered for. */
export const RETENTION_ANCHORS = ['collection', 'last_service_delivery', 'last_event_registration'] as const;
export type RetentionAnchor = (typeof RETENTION_ANCHORS)[number];

/** What the person asked for; it decides the legal basis the request is processed under. */
export const INQUIRY_TYPES = ['expert_take', 'services', 'white_paper', 'demo', 'other'] as const;
export type InquiryType = (typeof INQUIRY_TYPES)[number];

/** The three things a person consents to by sharing their data (3.2, 4.2, 6.2(9)). */
export const CONSENT_PURPOSES = ['service_updates', 'request_contact', 'other_services_ask'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

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
