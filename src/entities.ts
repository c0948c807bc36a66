import { AuditEntry } from './audit/entities/audit-entry.entity';
import { ApiKey } from './auth/entities/api-key.entity';
import { StaffUser } from './auth/entities/staff-user.entity';
import { StaffSession } from './auth/entities/staff-session.entity';
import { HubspotOutboxEntry } from './hubspot/entities/hubspot-outbox-entry.entity';
import { HubspotSuppression } from './hubspot/entities/hubspot-suppression.entity';
import { HubspotSyncControl } from './hubspot/entities/hubspot-sync-control.entity';
import { IntakeForm } from './intake/forms/entities/intake-form.entity';
import { Activity } from './leads/entities/activity.entity';
import { Capture } from './leads/entities/capture.entity';
import { Company } from './leads/entities/company.entity';
import { ConsentEvent } from './leads/entities/consent-event.entity';
import { Person } from './leads/entities/person.entity';
import { LegalHold } from './leads/entities/legal-hold.entity';
import { Disclosure } from './privacy/disclosure.entity';
import { PrivacyRequest } from './privacy/entities/privacy-request.entity';
import { PrivacyRequestAction } from './privacy/entities/privacy-request-action.entity';
import { IntakeSubmission } from './screening/entities/intake-submission.entity';
import { ReviewDecision } from './screening/entities/review-decision.entity';
import { ScreeningRule } from './screening/entities/screening-rule.entity';
import { SenderListEntry } from './screening/entities/sender-list-entry.entity';

/** Every entity, for the data source used by the app, the migration commands and the schema-diff test. */
import { AccountManager } from './accounts/entities/account-manager.entity';
import { CustomerAccessGrant } from './accounts/entities/customer-access-grant.entity';
import { CHATBOT_ENTITIES } from './intake/chatbot/entities';
import { MAIL_ENTITIES } from './intake/mail/entities';
import { EVENT_ENTITIES } from './events/entities';
export const ENTITIES = [AccountManager, CustomerAccessGrant, StaffUser, StaffSession, ApiKey, AuditEntry, Company, Person, LegalHold, Capture, ConsentEvent, Activity, IntakeForm, HubspotOutboxEntry, HubspotSuppression, HubspotSyncControl, Disclosure, PrivacyRequest, PrivacyRequestAction, IntakeSubmission, ScreeningRule, SenderListEntry, ReviewDecision, ...CHATBOT_ENTITIES, ...MAIL_ENTITIES, ...EVENT_ENTITIES];
