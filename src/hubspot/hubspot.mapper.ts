import type { ConsentPurpose, LegalBasis } from '../domain/purposes';
import type { PersonForSync } from '../leads/person-sync.repository';
import { CONSENT_PURPOSES } from '../domain/purposes';
import type { LifecycleStatus } from '../domain/lifecycle';

/** Our property group in HubSpot, and the properties in it the sync creates when missing. */
export const PROPERTY_GROUP = { name: 'lead_intake_crm', label: 'Lead-intake CRM' };

export interface CustomProperty {
  name: string;
  label: string;
  type: 'string' | 'enumeration' | 'datetime';
  fieldType: 'text' | 'select' | 'date' | 'booleancheckbox';
  options?: { label: string; value: string }[];
}

const consentProperty = (purpose: ConsentPurpose): CustomProperty[] => [
  {
    name: `crm_consent_${purpose}`,
    label: `Consent: ${purpose.replace(/_/g, ' ')}`,
    type: 'enumeration',
    fieldType: 'select',
    options: [
      { label: 'Granted', value: 'granted' },
      { label: 'Withdrawn', value: 'withdrawn' },
    ],
  },
  { name: `crm_consent_${purpose}_at`, label: `Consent: ${purpose.replace(/_/g, ' ')} (when)`, type: 'datetime', fieldType: 'date' },
];

export const CUSTOM_PROPERTIES: CustomProperty[] = [
  { name: 'crm_source_channel', label: 'Lead source channel', type: 'string', fieldType: 'text' },
  { name: 'crm_policy_version', label: 'Privacy policy version', type: 'string', fieldType: 'text' },
  {
    name: 'crm_restricted',
    label: 'Processing restricted',
    type: 'enumeration',
    fieldType: 'booleancheckbox',
    options: [
      { label: 'Yes', value: 'true' },
      { label: 'No', value: 'false' },
    ],
  },
  ...CONSENT_PURPOSES.flatMap(consentProperty),
];

/** Everything the mapping needs to know about one person: leads' row for the sync, with an address and its lists filled in. */
export type SyncSubject = Omit<PersonForSync, 'id' | 'email' | 'legalBases' | 'consents'> & {
  email: string;
  /** Every legal basis any of the person's captures is processed on. */
  legalBases: LegalBasis[];
  /** The latest consent event per purpose. */
  consents: { purpose: ConsentPurpose; action: 'granted' | 'withdrawn'; at: Date }[];
};

/** HubSpot's lifecycle stages only move forward through the API; ours map onto them in order. */
const LIFECYCLE: Record<LifecycleStatus, string> = {
  new: 'lead',
  contacted: 'lead',
  qualified: 'salesqualifiedlead',
  customer: 'customer',
  disqualified: 'other',
};

/** Labels compare without regard to case, spacing or which dash HubSpot used. */
export const normaliseLabel = (label: string) => label.toLowerCase().replace(/[\u2010-\u2015-]/g, '-').replace(/\s+/g, ' ').trim();

/** The hs_legal_basis options we use, by the label HubSpot shows (as normalised). */
const LEGAL_BASIS_LABELS = {
  consent: 'freely given consent from contact',
  contract: 'performance of a contract',
  prospect: 'legitimate interest - prospect/lead',
  customer: 'legitimate interest - existing customer',
} as const;

export type LegalBasisOptions = Record<keyof typeof LEGAL_BASIS_LABELS, string>;

/**
 * Picks the option values of HubSpot's `hs_legal_basis` from the property definition read at
 * start-up: the values are matched by label, never hard-coded (HubSpot's dashes vary).
 */
export function legalBasisOptions(options: { label: string; value: string }[]): LegalBasisOptions {
  const byLabel = new Map(options.map((o) => [normaliseLabel(o.label), o.value]));
  const picked = {} as LegalBasisOptions;
  for (const [key, label] of Object.entries(LEGAL_BASIS_LABELS) as [keyof LegalBasisOptions, string][]) {
    const value = byLabel.get(label);
    if (value === undefined) throw new Error(`HubSpot's hs_legal_basis has no option labelled like "${label}"`);
    picked[key] = value;
  }
  return picked;
}

/**
 * The contact properties HubSpot receives for a person: what the policy allows it to hold
 * (3.2, 6.2), its legal basis, and the consent state. A restricted person sends only the
 * restriction flag: nothing else of theirs is processed further (9.4).
 */
export function toContactProperties(subject: SyncSubject, options: LegalBasisOptions): Record<string, string> {
  if (subject.restricted) return { email: subject.email, crm_restricted: 'true' };
  const bases = new Set<string>();
  const granted = subject.consents.some((c) => c.action === 'granted');
  if (granted) bases.add(options.consent);
  if (subject.legalBases.includes('contract')) bases.add(options.contract);
  if (subject.legalBases.includes('legitimate_interest')) bases.add(subject.status === 'customer' ? options.customer : options.prospect);
  const properties: Record<string, string> = {
    email: subject.email,
    firstname: subject.firstName ?? '',
    lastname: subject.lastName ?? '',
    jobtitle: subject.position ?? '',
    phone: subject.phone ?? '',
    company: subject.companyName ?? '',
    city: subject.location ?? '',
    lifecyclestage: LIFECYCLE[subject.status],
    hs_legal_basis: [...bases].join(';'),
    crm_source_channel: subject.firstSource ?? '',
    crm_policy_version: subject.policyVersion ?? '',
    crm_restricted: 'false',
  };
  for (const consent of subject.consents) {
    properties[`crm_consent_${consent.purpose}`] = consent.action;
    properties[`crm_consent_${consent.purpose}_at`] = String(consent.at.getTime());
  }
  return properties;
}
