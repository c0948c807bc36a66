/** What the HubSpot outbox asks HubSpot to do for a person. */
export const OUTBOX_KINDS = ['upsert', 'purge', 'unsubscribe', 'merge'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** Our person fields HubSpot holds, as its contact properties (the policy's 3.2 and 6.2 allow no more). */
export const HUBSPOT_CONTACT_FIELDS = {
  firstName: 'firstname',
  lastName: 'lastname',
  position: 'jobtitle',
  phone: 'phone',
  companyName: 'company',
  location: 'city',
} as const;
export type HubspotContactField = keyof typeof HUBSPOT_CONTACT_FIELDS;

/** Where a person stands with HubSpot. */
export type SyncState = 'pending' | 'synced' | 'failed' | 'suppressed' | 'restricted';
