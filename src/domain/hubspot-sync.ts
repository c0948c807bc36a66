/** What the HubSpot outbox asks HubSpot to do for a person. */
export const OUTBOX_KINDS = ['upsert', 'purge', 'unsubscribe'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** Where a person stands with HubSpot. */
export type SyncState = 'pending' | 'synced' | 'failed' | 'suppressed' | 'restricted';
