/** The rights of policy section 9, as a request the DPO handles. */
export const PRIVACY_REQUEST_TYPES = ['access', 'rectification', 'erasure', 'restriction', 'objection', 'portability', 'consent_withdrawal'] as const;
export type PrivacyRequestType = (typeof PRIVACY_REQUEST_TYPES)[number];

export const PRIVACY_REQUEST_CHANNELS = ['email', 'letter', 'phone', 'web', 'in_person', 'other'] as const;
export type PrivacyRequestChannel = (typeof PRIVACY_REQUEST_CHANNELS)[number];

/** received -> identity_pending -> in_progress -> completed | refused (refusal possible at any open step). */
export const PRIVACY_REQUEST_STATUSES = ['received', 'identity_pending', 'in_progress', 'completed', 'refused'] as const;
export type PrivacyRequestStatus = (typeof PRIVACY_REQUEST_STATUSES)[number];

/** Identity documents checked, by type only: copies are never kept. */
export const IDENTITY_DOCUMENTS = ['passport', 'national_id_card', 'driving_licence', 'bank_id', 'residence_permit', 'other_photo_id', 'utility_bill', 'employer_letter', 'known_email_reply'] as const;
export type IdentityDocument = (typeof IDENTITY_DOCUMENTS)[number];
