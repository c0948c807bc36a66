/**
 * The personal-data registry: every field that holds personal data, by entity, with its
 * category. Audit masking and log redaction read it (and export, erasure and anonymisation
 * will), so a new personal field is registered once and handled everywhere.
 */
export type PersonalDataCategory = 'identity' | 'contact' | 'free_text' | 'secret' | 'online_identifier';

export const PERSONAL_DATA: Record<string, Record<string, PersonalDataCategory>> = {
  staff_user: { email: 'contact', name: 'identity', passwordHash: 'secret', password: 'secret' },
  person: {
    firstName: 'identity',
    lastName: 'identity',
    position: 'identity',
    email: 'contact',
    phone: 'contact',
    skypeId: 'online_identifier',
    linkedinUrl: 'online_identifier',
    location: 'contact',
    companyName: 'identity',
  },
  capture: { rawBody: 'free_text', payload: 'free_text', mapped: 'free_text', request: 'free_text' },
  activity: { body: 'free_text', details: 'contact' },
  company: { address: 'contact' },
  hubspot_outbox: { email: 'contact' },
  intake_submission: { rawBody: 'free_text', fields: 'free_text', ip: 'online_identifier', senderEmail: 'contact' },
  sender_list_entry: { value: 'contact' },
  // Kept after erasure on purpose, so that the erasure holds in HubSpot (pseudonymous, still personal).
  hubspot_suppression: { emailHash: 'contact' },
  audit_log: { ip: 'online_identifier' },
  // Drift's contact id names a person in Drift; the event key carries it for identified contacts.
  chat_event: { body: 'free_text', contactId: 'online_identifier', eventKey: 'online_identifier' },
  mail_message: { fromAddress: 'contact', subject: 'free_text', raw: 'free_text' },
  mail_attachment: { filename: 'free_text', content: 'free_text' },
  event: { organiserName: 'identity', organiserContact: 'contact' },
  event_registration: { orderRef: 'online_identifier', attendeeRef: 'online_identifier' },
  event_import_chunk: { data: 'free_text' },
  event_import_rejection: { values: 'free_text' },
  // The address or number a data subject's request named (the request itself stays, as proof).
  privacy_request: { identifier: 'contact' },
};

/**
 * Every other column of every table, declared not personal. With PERSONAL_DATA it classifies
 * every column (a test checks), so a new column is a decision, not an accident.
 */
export const NOT_PERSONAL_DATA: Record<string, readonly string[]> = {
  staff_user: ['id', 'roles', 'deactivatedAt', 'tokenVersion', 'lastLoginAt', 'createdAt', 'updatedAt'],
  // A refresh token's hash and its sign-in: about a staff user's session, not a lead.
  staff_session: ['id', 'userId', 'familyId', 'tokenHash', 'tokenVersion', 'createdAt', 'expiresAt', 'usedAt', 'revokedAt'],
  api_key: ['id', 'name', 'channel', 'formId', 'prefix', 'secretHash', 'createdBy', 'createdAt', 'revokedAt', 'lastUsedAt'],
  audit_log: ['id', 'occurredAt', 'actorType', 'actorId', 'action', 'entityType', 'entityId', 'changes', 'requestId'],
  person: ['id', 'companyId', 'customerCompanyId', 'status', 'ownerId', 'restrictedAt', 'marketingObjectionAt', 'erasedAt', 'hubspotId', 'hubspotIds', 'hubspotClears', 'hubspotStage', 'syncState', 'syncedAt', 'syncError', 'createdAt', 'updatedAt'],
  capture: [
    'id', 'personId', 'source', 'sourceRef', 'formId', 'receivedAt', 'contentType', 'inquiryType', 'legalBases', 'consentsGiven',
    'policyVersion', 'retentionAnchor', 'retentionAnchorAt', 'retentionDueAt', 'actorType', 'actorId',
    // Field names and what was wrong with them; the values stay in the payload.
    'warnings',
  ],
  consent_event: ['id', 'personId', 'purpose', 'action', 'occurredAt', 'source', 'captureId', 'policyVersion', 'wording', 'actorType', 'actorId'],
  activity: ['id', 'personId', 'type', 'occurredAt', 'captureId', 'actorType', 'actorId', 'createdAt'],
  company: ['id', 'name', 'domain', 'isCustomer', 'lastServiceDeliveryAt', 'createdAt', 'updatedAt'],
  hubspot_outbox: ['id', 'personId', 'kind', 'createdAt', 'availableAt', 'attempts', 'lastError', 'doneAt', 'hubspotId', 'mergedHubspotId', 'failedAt'],
  hubspot_suppression: ['createdAt'],
  hubspot_sync_control: ['id', 'pausedUntil', 'pauseReason', 'lastError', 'lastErrorAt', 'syncedCount', 'rateLimitedCount', 'accessFailures'],
  assignment_rule: ['id', 'formId', 'channel', 'mode', 'userIds', 'nextIndex', 'updatedBy', 'updatedAt'],
  // The legal ground of a hold, written without naming the person (the API says so).
  legal_hold: ['id', 'personId', 'companyId', 'reason', 'until', 'createdBy', 'createdAt', 'endedAt', 'endedBy'],
  privacy_request: [
    'id', 'type', 'personId', 'candidates', 'channel', 'receivedAt', 'dueAt', 'extensionReason', 'extensionToldAt', 'status', 'identityMethod', 'identityDocuments',
    'identityVerifiedBy', 'identityVerifiedAt', 'scope', 'refusalReason', 'refusalOptions', 'outcome', 'remindedAt', 'createdBy', 'createdAt', 'updatedAt', 'completedAt',
  ],
  // Counts, document types and reasons: never the person's values.
  privacy_request_action: ['id', 'requestId', 'action', 'details', 'actorId', 'at'],
  disclosure: ['id', 'occurredAt', 'recipient', 'kind', 'personId', 'details', 'actorType', 'actorId'],
  intake_submission: ['id', 'channel', 'formId', 'receivedAt', 'contentType', 'textFingerprint', 'status', 'verdict', 'decidedAt'],
  screening_rule: ['id', 'kind', 'pattern', 'tag', 'weight', 'createdBy', 'createdAt', 'updatedAt'],
  sender_list_entry: ['id', 'list', 'type', 'tag', 'reason', 'createdBy', 'createdAt', 'expiresAt'],
  review_decision: ['id', 'submissionId', 'fromStatus', 'toStatus', 'comment', 'decidedBy', 'decidedAt'],
  account_manager: ['companyId', 'userId', 'assignedBy', 'assignedAt'],
  // The reason is about staff access to an account ("covers Maria's leave"), not about a lead.
  customer_access_grant: ['id', 'companyId', 'userId', 'reason', 'grantedBy', 'grantedAt', 'expiresAt', 'revokedAt', 'revokedBy'],
  intake_form: [
    'id', 'key', 'name', 'allowedOrigins', 'fieldMapping', 'defaultInquiryType', 'inquiryTypeValues', 'consentFields', 'consentTexts', 'consentTextsVersion', 'thankYouUrl', 'signingSecret',
    'notifyEmail', 'honeypotField', 'minFillSeconds', 'archivedAt', 'createdAt', 'updatedAt',
  ],
  // Conversation and message ids, like a capture's source reference, identify the exchange, not the person.
  chat_event: ['id', 'type', 'orgId', 'conversationId', 'messageId', 'authorType', 'messageType', 'sentAt', 'status', 'captureId', 'activityId', 'submissionId', 'receivedAt'],
  mail_message: ['id', 'messageId', 'via', 'status', 'skipReason', 'captureId', 'activityId', 'submissionId', 'receivedAt'],
  mail_attachment: ['id', 'mailMessageId', 'captureId', 'activityId', 'contentType', 'size', 'sha256', 'inline', 'skippedReason', 'createdAt'],
  event: ['id', 'name', 'date', 'place', 'createdBy', 'createdAt', 'updatedAt'],
  event_registration: ['id', 'eventId', 'personId', 'captureId', 'importId', 'line', 'ticketType', 'registeredAt'],
  event_import: [
    'id', 'eventId', 'status', 'fileSha256', 'fileBytes', 'format', 'encoding', 'delimiter', 'columns', 'mapping', 'totalRows',
    'processedRows', 'doneThroughLine', 'headerLine', 'analysis', 'outcome', 'attempts', 'jobId', 'runnerToken', 'error', 'createdBy',
    'startedBy', 'requestId', 'startedAt', 'finishedAt', 'fileDeletedAt', 'createdAt', 'updatedAt',
  ],
  event_import_chunk: ['importId', 'seq'],
  event_import_rejection: ['importId', 'line', 'reason', 'message'],
};

/**
 * Field names that must never reach a log line whatever object they sit in: the registry's
 * fields plus the names request bodies, headers and third parties use for the same things.
 */
export const REDACTED_FIELD_NAMES: readonly string[] = [
  ...new Set([
    ...Object.values(PERSONAL_DATA).flatMap((fields) => Object.keys(fields)),
    'firstName', 'lastName', 'first_name', 'last_name', 'fullName', 'surname',
    'phone', 'mobile', 'telephone', 'message', 'comment', 'request', 'text', 'body',
    'token', 'accessToken', 'access_token', 'apiKey', 'secret', 'authorization', 'cookie', 'x-api-key',
  ]),
];

export function isPersonalField(entityType: string, field: string): boolean {
  return Boolean(PERSONAL_DATA[entityType]?.[field]);
}
