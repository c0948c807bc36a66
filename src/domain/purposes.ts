/**
 * The words of the policy the whole CRM speaks: where data comes in, why it is processed, on
 * what legal basis, and what its retention clock counts from. The literal arrays are the single
 * list of allowed values (DTO validators use them with `@IsIn`); the policy versions say what
 * each means (src/policy/versions/).
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

/** Purposes the firm processes a capture for, beyond the consent purposes. */
export type ProcessingPurpose = 'handle_request' | 'communication_history' | 'spam_prevention' | ConsentPurpose;
