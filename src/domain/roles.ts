/** Staff roles. `dpo` is the privacy officer. */
export const ROLES = ['admin', 'dpo', 'sales', 'account_manager', 'event_staff'] as const;
export type Role = (typeof ROLES)[number];

/** Intake channels a machine client (API key) can be scoped to; one key, one channel. */
export const API_KEY_CHANNELS = ['web_form', 'chatbot', 'email', 'phone', 'messenger', 'event'] as const;
export type ApiKeyChannel = (typeof API_KEY_CHANNELS)[number];

/** Who may own a lead: the roles that work leads. */
export const OWNER_ROLES: readonly Role[] = ['sales', 'account_manager', 'admin'];
