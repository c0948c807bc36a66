import type { ChannelTerms, PolicyVersion } from '../policy.types';

/**
 * The current English privacy policy (its text in ../texts/en-1.txt, a copy of the firm's
 * published privacy-policy.en.txt), the first version the CRM encodes. The text carries no date or version number of its own, so the id is the
 * language and a sequence number; the SHA-256 pins the exact text it was read from.
 *
 * Quotes are verbatim with the PDF extraction's doubled spaces and line breaks collapsed to
 * single spaces. Never edit this file to follow a new policy text: add a new version beside it.
 */

// Section 5 covers "e-mails, messengers, widgets, and phones" and, in 5.1, anything that comes
// in "via any other means and tools"; all five channels below share its terms.
const SECTION_5_FIELDS = [
  'name',
  'position',
  'phone',
  'email',
  'location',
  'skype_id',
  'company_name',
  'request',
  'communication_history',
  'call_duration',
] as const;
const SECTION_5: ChannelTerms = {
  section: '5',
  retention: { years: 6, anchor: 'collection', section: '5.4' },
  collects: SECTION_5_FIELDS,
};

export const EN_1: PolicyVersion = {
  id: 'en-1',
  language: 'en',
  source: { file: 'privacy-policy.en.txt', sha256: '4fc20efc43e1b15ca850f819a65b376ae8694252d6d0f3f1836129563f1fca64' },

  channels: {
    web_form: {
      section: '3',
      retention: { years: 8, anchor: 'collection', section: '3.4' },
      collects: ['name', 'position', 'phone', 'email', 'location', 'company_name', 'request'],
    },
    chatbot: {
      section: '4',
      retention: { years: 8, anchor: 'collection', section: '4.4' },
      collects: ['name', 'position', 'phone', 'email', 'skype_id', 'location', 'company_name', 'request'],
    },
    email: SECTION_5,
    messenger: SECTION_5,
    widget: SECTION_5,
    // 5.1: a call is kept with "a full call recording ... a voice recording if any available, a
    // phone number, and a call duration"; only a call has those, so only the phone channel collects them.
    phone: { ...SECTION_5, collects: [...SECTION_5_FIELDS, 'call_recording', 'voice_recording'] },
    // Data staff type in by hand falls under section 5: 5.1 covers what reaches the firm "via any
    // other means and tools", and 5.2 says requests are stored in the CRM "by employees of Altoros
    // manually". Customers (6) and event attendees (7) have sources of their own, so a hand-typed
    // record about them is entered as `customer` or `event`, not `manual`.
    manual: SECTION_5,
    customer: {
      section: '6',
      retention: { years: 6, anchor: 'last_service_delivery', section: '6.4' },
      collects: [
        'name', 'position', 'phone', 'email', 'skype_id', 'linkedin_profile',
        'company_name', 'company_address', 'service_delivery_data', 'communication_history',
      ],
    },
    event: {
      section: '7',
      // The text's headings 7.4 and 7.5 are swapped: the retention sentence sits under "7.5. Data
      // recipients". It is cited as 7.5, where the words are.
      retention: { years: 6, anchor: 'last_event_registration', section: '7.5' },
      // 7.1 also lists "any other information you provided to us during service delivery".
      collects: [
        'name', 'position', 'phone', 'email', 'skype_id',
        'company_name', 'company_address', 'service_delivery_data', 'communication_history', 'business_card',
      ],
    },
  },

  // Asking for an expert's take or about the services is a step towards a contract (Art. 6(1)(b));
  // anything else is legitimate interest (Art. 6(1)(f)). White papers and demos are named in
  // 3.3(3); the chatbot and e-mail sections cover them as "any other purpose" (4.3(3), 5.3(3)).
  inquiryTypes: {
    expert_take: { legalBasis: 'contract', clauses: ['3.3(1)', '4.3(1)', '5.3(1)', '6.3(1)', '7.3(1)'] },
    services: { legalBasis: 'contract', clauses: ['3.3(1)', '4.3(1)', '5.3(1)', '6.3(1)', '7.3(1)'] },
    white_paper: { legalBasis: 'legitimate_interest', clauses: ['3.3(3)', '4.3(3)', '5.3(3)'] },
    demo: { legalBasis: 'legitimate_interest', clauses: ['3.3(3)', '4.3(3)', '5.3(3)'] },
    other: { legalBasis: 'legitimate_interest', clauses: ['3.3(3)', '4.3(3)', '5.3(3)'] },
  },

  // Quoted from 3.2 (web forms). 4.2 (chatbot) repeats the three purposes with "To get" capitalised,
  // after a wider introduction, and adds a fourth (CRM maintenance and support) that is not a consent
  // the CRM records. 6.2(9) grants only the third, in other words.
  consent: {
    intro: 'By sharing personal information with us, you are giving consent for us to rightfully use your data for the following business purposes:',
    introQuotedFrom: '3.2',
    purposes: {
      service_updates: {
        wording: 'Send any updates regarding services you have shown interest in or provide further information related to the topic you requested.',
        quotedFrom: '3.2',
        clauses: ['3.2', '4.2'],
      },
      request_contact: {
        wording: 'Contact and communicate with you regarding your initial request.',
        quotedFrom: '3.2',
        clauses: ['3.2', '4.2'],
      },
      other_services_ask: {
        wording: 'to get your consent to further contact you regarding any other services you might be interested in.',
        quotedFrom: '3.2',
        clauses: ['3.2', '4.2', '6.2(9)'],
      },
    },
  },

  minimumAge: { years: 16, section: '12' },
};
