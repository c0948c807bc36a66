import type { ConsentPurpose, LegalBasis } from '../domain/purposes';
import type { PersonForSync } from '../leads/person-sync.repository';
import { CONSENT_PURPOSES } from '../domain/purposes';
import { HUBSPOT_CONTACT_FIELDS, type HubspotContactField } from '../domain/hubspot-sync';
import { LIFECYCLE_STATUSES, type LifecycleStatus } from '../domain/lifecycle';

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

/** Everything the mapping needs to know about one person: leads' row for the sync, with its lists filled in. */
export type SyncSubject = Omit<PersonForSync, 'id' | 'legalBases' | 'consents'> & {
  /** Every legal basis any of the person's captures is processed on. */
  legalBases: LegalBasis[];
  /** The latest consent event per purpose. */
  consents: { purpose: ConsentPurpose; action: 'granted' | 'withdrawn'; at: Date }[];
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

interface PortalOption {
  label: string;
  value: string;
  displayOrder?: number;
  hidden?: boolean;
}

/** The option of a portal's property that a configured name means: its value, or its label as normalised. */
function findOption(options: PortalOption[], wanted: string): PortalOption | undefined {
  return options.find((o) => o.value === wanted) ?? options.find((o) => normaliseLabel(o.label) === normaliseLabel(wanted));
}

/**
 * Picks the option values of HubSpot's `hs_legal_basis` from the property definition read at
 * start-up: the values are matched by label, never hard-coded (HubSpot's dashes vary).
 */
export function legalBasisOptions(options: PortalOption[]): LegalBasisOptions {
  const picked = {} as LegalBasisOptions;
  for (const [key, label] of Object.entries(LEGAL_BASIS_LABELS) as [keyof LegalBasisOptions, string][]) {
    const option = options.find((o) => normaliseLabel(o.label) === label);
    if (!option) throw new Error(`HubSpot's hs_legal_basis has no option labelled like "${label}"`);
    picked[key] = option.value;
  }
  return picked;
}

/** `status:option,status:option`, as HUBSPOT_LEAD_STATUS_MAP and HUBSPOT_LIFECYCLE_MAP are written. */
export function parseStatusMap(text: string): Partial<Record<LifecycleStatus, string>> {
  const map: Partial<Record<LifecycleStatus, string>> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.indexOf(':');
    const status = entry.slice(0, at).trim() as LifecycleStatus;
    if (at < 1 || !LIFECYCLE_STATUSES.includes(status)) throw new Error(`"${entry}" must be one of ${LIFECYCLE_STATUSES.join(', ')}, a colon, and an option`);
    map[status] = entry.slice(at + 1).trim();
  }
  return map;
}

/** What the portal offers, read at start: the options our statuses map to, and its lifecycle stages in order. */
export interface PortalOptions {
  legalBasis: LegalBasisOptions;
  /** Our status -> the `hs_lead_status` option; a status the portal has no option for is not sent. */
  leadStatus: Partial<Record<LifecycleStatus, string>>;
  /** Our status -> the `lifecyclestage` option; disqualified never maps (it would overwrite an opportunity or a customer). */
  lifecycle: Partial<Record<LifecycleStatus, string>>;
  /** Each lifecycle stage's place in the portal's order. */
  stageOrder: Record<string, number>;
  /** Configured names the portal has no option for, for one warning at start. */
  missing: string[];
  /** Our properties the portal already has with another type: never sent (each contact would be refused for them). */
  unusable?: string[];
}

/** Matches the configured maps against the portal's `hs_lead_status` and `lifecyclestage` options. */
export function portalOptions(
  legalBasis: PortalOption[],
  leadStatus: PortalOption[],
  stages: PortalOption[],
  maps: { leadStatus: Partial<Record<LifecycleStatus, string>>; lifecycle: Partial<Record<LifecycleStatus, string>> },
): PortalOptions {
  const missing: string[] = [];
  const pick = (options: PortalOption[], map: Partial<Record<LifecycleStatus, string>>, property: string) => {
    const picked: Partial<Record<LifecycleStatus, string>> = {};
    for (const [status, wanted] of Object.entries(map) as [LifecycleStatus, string][]) {
      const option = findOption(options, wanted);
      if (option) picked[status] = option.value;
      else missing.push(`${property} has no option "${wanted}" (for ${status})`);
    }
    return picked;
  };
  const lifecycle = pick(stages, maps.lifecycle, 'lifecyclestage');
  delete lifecycle.disqualified;
  const ordered = [...stages].sort((a, b) => (a.displayOrder ?? 0) - (b.displayOrder ?? 0));
  return {
    legalBasis: legalBasisOptions(legalBasis),
    leadStatus: pick(leadStatus, maps.leadStatus, 'hs_lead_status'),
    lifecycle,
    stageOrder: Object.fromEntries(ordered.map((o, i) => [o.value, i])),
    missing,
  };
}

/** What one person's send carries, and what it settles once HubSpot confirms it. */
export interface ContactChange {
  properties: Record<string, string>;
  /** The lifecycle stage sent, if any (recorded as the furthest sent once confirmed). */
  stage: string | null;
  /** Fields sent as an explicit clear (forgotten once confirmed). */
  clears: string[];
}

const held = (value: string | null | undefined): value is string => value !== null && value !== undefined && value.trim() !== '';

/**
 * The contact properties HubSpot receives for a person: only what we hold a value for (what
 * sales typed in HubSpot stays), an explicit clear only for a field staff cleared on purpose,
 * the legal basis and consent state, the lead status, and the lifecycle stage only when it moves
 * forward. A restricted person sends only the restriction flag: nothing else of theirs is
 * processed further (9.4). Never free text: requests, messages and notes stay here.
 */
export function toContactChange(subject: SyncSubject, portal: PortalOptions): ContactChange {
  const change = contactChange(subject, portal);
  for (const name of portal.unusable ?? []) delete change.properties[name];
  return change;
}

function contactChange(subject: SyncSubject, portal: PortalOptions): ContactChange {
  if (subject.restricted) return { properties: { crm_restricted: 'true' }, stage: null, clears: [] };
  const properties: Record<string, string> = {};
  const clears: string[] = [];
  if (held(subject.email)) properties.email = subject.email;
  for (const [field, property] of Object.entries(HUBSPOT_CONTACT_FIELDS) as [HubspotContactField, string][]) {
    const value = subject[field];
    if (held(value)) properties[property] = value;
    else if (subject.clears.includes(field)) {
      properties[property] = '';
      clears.push(field);
    }
  }
  const stage = portal.lifecycle[subject.status] ?? null;
  const forward = stage !== null && (portal.stageOrder[stage] ?? -1) > (subject.stage ? (portal.stageOrder[subject.stage] ?? -1) : -1);
  if (forward) properties.lifecyclestage = stage;
  const leadStatus = portal.leadStatus[subject.status];
  if (leadStatus) properties.hs_lead_status = leadStatus;

  const options = portal.legalBasis;
  const bases = new Set<string>();
  if (subject.consents.some((c) => c.action === 'granted')) bases.add(options.consent);
  if (subject.legalBases.includes('contract')) bases.add(options.contract);
  if (subject.legalBases.includes('legitimate_interest')) bases.add(subject.status === 'customer' ? options.customer : options.prospect);
  // Our bases replace the last we sent; with none left (every consent withdrawn) the property is cleared, not left claiming one.
  if (bases.size || subject.consents.length) properties.hs_legal_basis = [...bases].join(';');
  if (held(subject.firstSource)) properties.crm_source_channel = subject.firstSource;
  if (held(subject.policyVersion)) properties.crm_policy_version = subject.policyVersion;
  properties.crm_restricted = 'false';
  for (const consent of subject.consents) {
    properties[`crm_consent_${consent.purpose}`] = consent.action;
    properties[`crm_consent_${consent.purpose}_at`] = String(consent.at.getTime());
  }
  return { properties, stage: forward ? stage : null, clears };
}
