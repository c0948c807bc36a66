/** Person fields a capture or a rectification may set. */
export const PERSON_FIELDS = ['firstName', 'lastName', 'position', 'email', 'phone', 'skypeId', 'linkedinUrl', 'location', 'companyName'] as const;
export type PersonField = (typeof PERSON_FIELDS)[number];
export type PersonFields = Partial<Record<PersonField, string | null>>;
