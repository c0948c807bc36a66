/** Where a person stands with the firm. */
export const LIFECYCLE_STATUSES = ['new', 'contacted', 'qualified', 'customer', 'disqualified'] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

/** Timeline entry kinds. */
export const ACTIVITY_TYPES = ['capture', 'note', 'email', 'call', 'chat', 'meeting', 'event_registration', 'status_change', 'owner_change', 'conversion', 'rectification', 'merge'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];
