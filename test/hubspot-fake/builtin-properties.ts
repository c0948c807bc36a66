/**
 * The contact properties and property groups the fake HubSpot portal starts with: a small subset of
 * HubSpot's built-in contact properties, shaped like `GET /crm/v3/properties/contacts` answers.
 *
 * `hs_legal_basis` carries HubSpot's real option values. Note the punctuation: the first two options use an
 * EN DASH (U+2013) while "Legitimate interest - other" uses a plain hyphen-minus, exactly as HubSpot defines them.
 * The property is a multiple-checkbox enumeration: several values are sent joined with ";".
 */

export interface FakePropertyOption {
  label: string;
  value: string;
  description?: string;
  displayOrder?: number;
  hidden: boolean;
}

/** A property definition as HubSpot's properties API returns it (dates as ISO strings on the wire). */
export interface FakePropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool';
  fieldType: string;
  groupName: string;
  description: string;
  options: FakePropertyOption[];
  displayOrder?: number;
  hasUniqueValue?: boolean;
  hidden?: boolean;
  formField?: boolean;
  calculated?: boolean;
  externalOptions?: boolean;
  hubspotDefined?: boolean;
  archived?: boolean;
  createdAt?: string;
  updatedAt?: string;
  modificationMetadata?: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean; readOnlyOptions?: boolean };
}

export interface FakePropertyGroup {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

/** The legal-basis values HubSpot accepts in `hs_legal_basis` (value === label for every option). */
export const HS_LEGAL_BASIS_VALUES = [
  'Legitimate interest – prospect/lead',
  'Legitimate interest – existing customer',
  'Legitimate interest - other',
  'Performance of a contract',
  'Freely given consent from contact',
  'Not applicable',
] as const;

const options = (values: readonly string[] | readonly [string, string][]): FakePropertyOption[] =>
  values.map((v, displayOrder) => {
    const [value, label] = Array.isArray(v) ? v : [v, v];
    return { label, value, description: '', displayOrder, hidden: false };
  });

const BUILTIN_TIMESTAMP = '2019-08-06T02:43:01.103Z';

function hubspotDefined(
  name: string,
  label: string,
  type: FakePropertyDefinition['type'],
  fieldType: string,
  extra: Partial<FakePropertyDefinition> = {},
): FakePropertyDefinition {
  const readOnlyValue = extra.modificationMetadata?.readOnlyValue ?? false;
  return {
    name,
    label,
    type,
    fieldType,
    groupName: 'contactinformation',
    description: '',
    options: [],
    displayOrder: -1,
    hasUniqueValue: false,
    hidden: false,
    formField: !readOnlyValue,
    calculated: false,
    externalOptions: false,
    hubspotDefined: true,
    archived: false,
    createdAt: BUILTIN_TIMESTAMP,
    updatedAt: BUILTIN_TIMESTAMP,
    ...extra,
    modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue, ...extra.modificationMetadata },
  };
}

const readOnly = { modificationMetadata: { archivable: false, readOnlyDefinition: true, readOnlyValue: true } };

export function builtinProperties(): FakePropertyDefinition[] {
  return [
    hubspotDefined('email', 'Email', 'string', 'text', { description: "A contact's email address" }),
    hubspotDefined('firstname', 'First Name', 'string', 'text', { description: "A contact's first name" }),
    hubspotDefined('lastname', 'Last Name', 'string', 'text', { description: "A contact's last name" }),
    hubspotDefined('phone', 'Phone Number', 'string', 'phonenumber', { description: "A contact's primary phone number" }),
    hubspotDefined('mobilephone', 'Mobile Phone Number', 'string', 'phonenumber'),
    hubspotDefined('company', 'Company Name', 'string', 'text'),
    hubspotDefined('jobtitle', 'Job Title', 'string', 'text'),
    hubspotDefined('website', 'Website URL', 'string', 'text'),
    hubspotDefined('city', 'City', 'string', 'text'),
    hubspotDefined('country', 'Country/Region', 'string', 'text'),
    hubspotDefined('message', 'Message', 'string', 'textarea'),
    hubspotDefined('hs_language', 'Preferred language', 'enumeration', 'select', {
      options: options([
        ['en', 'English'],
        ['nb', 'Norwegian'],
        ['sv', 'Swedish'],
        ['da', 'Danish'],
        ['de', 'German'],
      ]),
    }),
    hubspotDefined('lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', {
      description: 'The qualification of contacts to sales readiness.',
      options: options([
        ['subscriber', 'Subscriber'],
        ['lead', 'Lead'],
        ['marketingqualifiedlead', 'Marketing Qualified Lead'],
        ['salesqualifiedlead', 'Sales Qualified Lead'],
        ['opportunity', 'Opportunity'],
        ['customer', 'Customer'],
        ['evangelist', 'Evangelist'],
        ['other', 'Other'],
      ]),
    }),
    hubspotDefined('hs_lead_status', 'Lead Status', 'enumeration', 'radio', {
      groupName: 'sales_properties',
      options: options([
        ['NEW', 'New'],
        ['OPEN', 'Open'],
        ['IN_PROGRESS', 'In Progress'],
        ['OPEN_DEAL', 'Open Deal'],
        ['UNQUALIFIED', 'Unqualified'],
        ['ATTEMPTED_TO_CONTACT', 'Attempted to Contact'],
        ['CONNECTED', 'Connected'],
        ['BAD_TIMING', 'Bad Timing'],
      ]),
    }),
    hubspotDefined('hs_legal_basis', "Legal basis for processing contact's data", 'enumeration', 'checkbox', {
      description: "Legal basis for processing contact's data; 'Not applicable' will exempt the contact from GDPR protections",
      options: options(HS_LEGAL_BASIS_VALUES),
    }),
    hubspotDefined('hs_object_id', 'Record ID', 'number', 'number', { description: 'The unique ID for this record. This value is set automatically by HubSpot.', ...readOnly }),
    hubspotDefined('createdate', 'Create Date', 'datetime', 'date', { description: 'The date that a contact entered the system', ...readOnly }),
    hubspotDefined('lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { description: 'Most recent timestamp of any property update for a contact.', ...readOnly }),
  ];
}

export function builtinGroups(): FakePropertyGroup[] {
  return [
    { name: 'contactinformation', label: 'Contact information', displayOrder: 0, archived: false },
    { name: 'conversioninformation', label: 'Conversion information', displayOrder: 1, archived: false },
    { name: 'emailinformation', label: 'Email information', displayOrder: 2, archived: false },
    { name: 'sales_properties', label: 'Sales properties', displayOrder: 3, archived: false },
  ];
}

/** Properties HubSpot maintains itself: sending them in a write is a per-input READ_ONLY_VALUE error. */
export const READ_ONLY_PROPERTIES = new Set(['hs_object_id', 'createdate', 'lastmodifieddate']);

/** What `GET /crm/v3/objects/contacts/{id}` and search return when no `properties` are asked for. */
export const DEFAULT_READ_PROPERTIES = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];
