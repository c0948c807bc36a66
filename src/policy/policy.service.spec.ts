import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { PolicyModule } from './policy.module';
import { PolicyService } from './policy.service';
import { COLLECTED_FIELDS, type CollectedField } from './policy.types';
import { CONSENT_PURPOSES, INQUIRY_TYPES, INTAKE_SOURCES, LEGAL_BASES, type ConsentPurpose, type IntakeSource } from '../domain/purposes';
import { POLICY_VERSIONS } from './versions';

/*
 * The version file is checked against the policy text itself, so a number typed wrong here, or
 * a policy text changed without a new version, fails the suite. The text is a PDF extraction:
 * words are separated by runs of spaces and line breaks, so it is compared with whitespace collapsed.
 */
/**
 * Each version's text is kept in the repository beside its data, so the suite runs in a clone with
 * nothing beside it. The firm publishes the current text in ../shared/policy beside the repository
 * (CI has it); where that folder exists, the repository's copy must equal it.
 */
const POLICY_TEXT_PATH = path.join(__dirname, 'texts', 'en-1.txt');
const PUBLISHED_TEXT_PATH = path.join(__dirname, '..', '..', '..', 'shared', 'policy', 'privacy-policy.en.txt');
const PUBLISHED_TEXT_PRESENT = existsSync(PUBLISHED_TEXT_PATH);
const rawText = readFileSync(POLICY_TEXT_PATH, 'utf8');
const lines = rawText.split('\n');
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

// A heading line: "3.4. Data retention period", "12. General description". Items such as "1)" are not headings.
const HEADING = /^\s*(\d+(?:\.\d+)*)\.\s+\S/;

/** The text of a numbered section (e.g. '3.4'), from its heading to the next heading. */
function section(num: string): string {
  const start = lines.findIndex((line) => HEADING.exec(line)?.[1] === num);
  if (start < 0) throw new Error(`section ${num} is not in the policy text`);
  let end = start + 1;
  while (end < lines.length && !HEADING.test(lines[end])) end++;
  return flat(lines.slice(start, end).join('\n'));
}

/** A clause: a section ('6.4') or a numbered item in it ('3.3(1)', '6.2(9)'). */
function clause(ref: string): string {
  const m = /^(\d+(?:\.\d+)*)(?:\((\d+)\))?$/.exec(ref);
  if (!m) throw new Error(`not a clause reference: ${ref}`);
  const text = section(m[1]);
  if (!m[2]) return text;
  const item = text.split(/ (?=\d+\) )/).find((part) => part.startsWith(`${m[2]}) `));
  if (!item) throw new Error(`clause ${ref} is not in the policy text`);
  return item;
}

const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
/** Every "N years" a passage states, as numbers ("8 years" and "eight years" alike). */
function yearsStated(text: string): number[] {
  return [...text.matchAll(/\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?\b/gi)].map(([, n]) => NUMBER_WORDS[n.toLowerCase()] ?? Number(n));
}

/** How each collected field is worded in the "We collect the following categories of data" lists (x.1). */
const FIELD_WORDING: Record<CollectedField, RegExp> = {
  name: /Names?\/surnames?/,
  position: /\bPositions?\b/,
  phone: /\bphone numbers?/i,
  email: /\bE-mails?\b/,
  location: /\bLocation\b/,
  skype_id: /\bSkype IDs?\b/,
  linkedin_profile: /\bLinkedIn profile links\b/,
  // The text spells "Company" with a Cyrillic "С".
  company_name: /[CС]ompany name/,
  company_address: /[CС]ompany name\/address/,
  request: /Any other information you provided to us from your request/,
  service_delivery_data: /Any other information you provided to us during service delivery/,
  communication_history: /History of our communication/,
  call_duration: /call duration/,
  call_recording: /full call recording/,
  voice_recording: /voice recording/,
  business_card: /Business cards/,
};

const policy = new PolicyService();
const current = policy.current();
const utc = (iso: string) => new Date(iso);

/** The current version's retention for a source agrees with the clause it cites: one period, that many years, that clock. */
function expectTextStatesRetention(source: IntakeSource) {
  const { years, anchor, section: ref } = policy.retentionFor(source);
  const text = clause(ref);
  expect(text).toMatch(/retention period/);
  expect(yearsStated(text)).toEqual([years]);
  if (anchor === 'collection') expect(text).not.toMatch(/\bfrom last\b/i);
  if (anchor === 'last_service_delivery') expect(text).toMatch(/\bfrom last Service delivery\b/i);
  if (anchor === 'last_event_registration') expect(text).toMatch(/\bfrom last event you have been registered\b/i);
}

/** The fields a section's x.1 list names, and the fields the current version gives that section's channels: the same set. */
function expectCollectsWhatSectionLists(sectionNumber: string) {
  const listed = COLLECTED_FIELDS.filter((field) => FIELD_WORDING[field].test(section(`${sectionNumber}.1`)));
  const encoded = new Set(INTAKE_SOURCES.filter((s) => current.channels[s].section === sectionNumber).flatMap((s) => current.channels[s].collects));
  expect([...encoded].sort()).toEqual([...listed].sort());
}

describe('PolicyService', () => {
  it('is provided everywhere by the global PolicyModule', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [PolicyModule] }).compile();
    expect(moduleRef.get(PolicyService).current().id).toBe('en-1');
  });

  describe('versions', () => {
    it('the current version is en-1 and encodes exactly privacy-policy.en.txt (a changed text needs a new version file)', () => {
      expect(current.id).toBe('en-1');
      expect(current.source.file).toBe('privacy-policy.en.txt');
      expect(createHash('sha256').update(rawText).digest('hex')).toBe(current.source.sha256);
    });

    // Skipped, and said so, where the published policy is not beside the repository (a clone on its own).
    if (!PUBLISHED_TEXT_PRESENT) console.warn(`Skipping the published-policy comparison: ${PUBLISHED_TEXT_PATH} does not exist (no ../shared beside this clone).`);
    (PUBLISHED_TEXT_PRESENT ? it : it.skip)('the policy the firm publishes (../shared/policy) is the one the current version encodes', () => {
      expect(createHash('sha256').update(readFileSync(PUBLISHED_TEXT_PATH)).digest('hex')).toBe(current.source.sha256);
    });

    it('an unknown version id throws, naming the id, wherever a version id is accepted', () => {
      expect(() => policy.version('en-0')).toThrow("Unknown privacy policy version 'en-0'; known versions: en-1");
      expect(() => policy.retentionFor('web_form', 'en-0')).toThrow(/Unknown privacy policy version 'en-0'/);
      expect(() => policy.retentionDue('web_form', utc('2024-01-01T00:00:00Z'), 'no-1')).toThrow(/Unknown privacy policy version 'no-1'/);
      expect(() => policy.legalBasisFor('demo', '')).toThrow(/Unknown privacy policy version ''/);
      expect(() => policy.consentWording('service_updates', 'EN-1')).toThrow(/Unknown privacy policy version 'EN-1'/);
      expect(() => policy.minimumAge('2024-en-1')).toThrow(/Unknown privacy policy version/);
    });

    it('unknown sources, inquiry types and purposes throw rather than fall through to inherited properties', () => {
      expect(() => policy.retentionFor('fax' as IntakeSource)).toThrow("Unknown intake source 'fax'");
      expect(() => policy.retentionFor('toString' as IntakeSource)).toThrow("Unknown intake source 'toString'");
      expect(() => policy.legalBasisFor('__proto__' as never)).toThrow("Unknown inquiry type '__proto__'");
      expect(() => policy.consentWording('newsletter' as ConsentPurpose)).toThrow("Unknown consent purpose 'newsletter'");
    });

    it('every version covers every source, inquiry type and consent purpose, and cannot be changed at run time', () => {
      for (const version of POLICY_VERSIONS) {
        expect(Object.keys(version.channels).sort()).toEqual([...INTAKE_SOURCES].sort());
        expect(Object.keys(version.inquiryTypes).sort()).toEqual([...INQUIRY_TYPES].sort());
        expect(Object.keys(version.consent.purposes).sort()).toEqual([...CONSENT_PURPOSES].sort());
        for (const terms of Object.values(version.inquiryTypes)) expect(LEGAL_BASES).toContain(terms.legalBasis);
        expect(Object.isFrozen(version.channels.web_form.retention)).toBe(true);
        expect(() => {
          (version.channels.web_form.retention as { years: number }).years = 99;
        }).toThrow(TypeError);
      }
      expect(policy.retentionFor('web_form').years).toBe(8);
    });
  });

  describe('retention, checked against the policy text', () => {
    it('[RET-FORM] a web-form capture is due eight years after collection (3.4)', () => {
      expect(policy.retentionFor('web_form', 'en-1')).toEqual({ years: 8, anchor: 'collection', section: '3.4' });
      expect(policy.retentionDue('web_form', utc('2024-03-15T10:00:00Z'), 'en-1')).toEqual(utc('2032-03-15T10:00:00Z'));
      expectTextStatesRetention('web_form');
    });

    it('[RET-CHAT] a chatbot capture is due eight years after collection (4.4)', () => {
      expect(policy.retentionFor('chatbot', 'en-1')).toEqual({ years: 8, anchor: 'collection', section: '4.4' });
      expect(policy.retentionDue('chatbot', utc('2025-11-01T08:00:00Z'))).toEqual(utc('2033-11-01T08:00:00Z'));
      expectTextStatesRetention('chatbot');
    });

    it('[RET-MAIL] e-mail, messenger, phone, widget and hand-typed captures are due six years after collection (5.4)', () => {
      for (const source of ['email', 'messenger', 'phone', 'widget', 'manual'] as const) {
        expect(policy.retentionFor(source, 'en-1')).toEqual({ years: 6, anchor: 'collection', section: '5.4' });
        expect(policy.retentionDue(source, utc('2025-06-30T00:00:00Z'))).toEqual(utc('2031-06-30T00:00:00Z'));
        expectTextStatesRetention(source);
      }
    });

    it('[RET-CUST] a customer record is due six years after the last service delivery (6.4)', () => {
      expect(policy.retentionFor('customer', 'en-1')).toEqual({ years: 6, anchor: 'last_service_delivery', section: '6.4' });
      const lastDelivery = utc('2026-01-31T17:45:00Z');
      expect(policy.retentionDue('customer', lastDelivery)).toEqual(utc('2032-01-31T17:45:00Z'));
      expectTextStatesRetention('customer');
    });

    it('[RET-EVENT] an attendee record is due six years after the last event the person registered for (7.5)', () => {
      expect(policy.retentionFor('event', 'en-1')).toEqual({ years: 6, anchor: 'last_event_registration', section: '7.5' });
      const lastRegistration = utc('2025-09-18T09:00:00Z');
      expect(policy.retentionDue('event', lastRegistration)).toEqual(utc('2031-09-18T09:00:00Z'));
      expectTextStatesRetention('event');
      // The text's headings are swapped: "7.4. Data retention period" names the organiser as recipient and
      // states no period; "7.5. Data recipients" holds the retention sentence.
      expect(yearsStated(clause('7.4'))).toEqual([]);
      expect(clause('7.4')).toMatch(/provide a list of registrars to the organizer of the event/);
    });
  });

  describe('retentionDue', () => {
    it('adds calendar years: a 29 February anchor falls due on 28 February of a common year', () => {
      expect(policy.retentionDue('customer', utc('2024-02-29T12:00:00Z'))).toEqual(utc('2030-02-28T12:00:00Z'));
      expect(policy.retentionDue('email', utc('2028-02-29T00:00:00Z'))).toEqual(utc('2034-02-28T00:00:00Z'));
    });

    it('keeps 29 February when the due year is a leap year too', () => {
      expect(policy.retentionDue('web_form', utc('2024-02-29T06:30:00Z'))).toEqual(utc('2032-02-29T06:30:00Z'));
    });

    it('counts in UTC, keeping the time of day, so a late-evening anchor does not move a day', () => {
      expect(policy.retentionDue('event', utc('2023-12-31T23:30:00.123Z'))).toEqual(utc('2029-12-31T23:30:00.123Z'));
      expect(policy.retentionDue('chatbot', utc('2024-01-01T00:00:00Z'))).toEqual(utc('2032-01-01T00:00:00Z'));
    });

    it('counts from the anchor it is given and leaves that date untouched', () => {
      const anchor = utc('2020-05-10T10:00:00Z');
      expect(policy.retentionDue('customer', anchor)).toEqual(utc('2026-05-10T10:00:00Z'));
      expect(policy.retentionDue('web_form', anchor)).toEqual(utc('2028-05-10T10:00:00Z'));
      expect(anchor).toEqual(utc('2020-05-10T10:00:00Z'));
    });

    it('refuses an invalid anchor date', () => {
      expect(() => policy.retentionDue('web_form', new Date('not a date'))).toThrow('retentionDue needs a valid anchor date');
    });
  });

  describe('what each channel collects, checked against the x.1 lists', () => {
    it('[SRC-FORM] a web form collects what 3.1 lists, no Skype ID', () => {
      expect(current.channels.web_form.section).toBe('3');
      expect(current.channels.web_form.collects).not.toContain('skype_id');
      expectCollectsWhatSectionLists('3');
    });

    it('[SRC-CHAT] the chatbot collects what 4.1 lists: the web form fields and a Skype ID', () => {
      expect(current.channels.chatbot.section).toBe('4');
      expect(current.channels.chatbot.collects).toEqual(expect.arrayContaining([...current.channels.web_form.collects, 'skype_id']));
      expectCollectsWhatSectionLists('4');
    });

    it('[SRC-MAIL] e-mail, messengers, widgets, phones and hand-typed data fall under section 5; only a call holds recordings', () => {
      for (const source of ['email', 'messenger', 'phone', 'widget', 'manual'] as const) expect(current.channels[source].section).toBe('5');
      expect(current.channels.phone.collects).toEqual(expect.arrayContaining(['phone', 'call_duration', 'call_recording', 'voice_recording']));
      expect(current.channels.email.collects).not.toContain('call_recording');
      // Why `manual` is section 5: 5.2 is where the policy says staff enter requests by hand.
      expect(section('5.2')).toMatch(/stored in internal CRM either by employees of Altoros manually or automatically/);
      expectCollectsWhatSectionLists('5');
    });

    it('[SRC-CUST] a customer record collects what 6.1 lists, LinkedIn profile links included', () => {
      expect(current.channels.customer.collects).toContain('linkedin_profile');
      expectCollectsWhatSectionLists('6');
    });

    it('[SRC-EVENT] an attendee record collects what 7.1 lists, business cards included', () => {
      expect(current.channels.event.collects).toContain('business_card');
      expectCollectsWhatSectionLists('7');
    });
  });

  describe('legal basis and consent, checked against the policy text', () => {
    it("[LB-CONTRACT] a request for an expert's take or about the services is processed to enter into a contract", () => {
      expect(policy.legalBasisFor('expert_take')).toBe('contract');
      expect(policy.legalBasisFor('services', 'en-1')).toBe('contract');
      expect(current.inquiryTypes.expert_take.clauses).toEqual(['3.3(1)', '4.3(1)', '5.3(1)', '6.3(1)', '7.3(1)']);
      for (const ref of current.inquiryTypes.expert_take.clauses) expect(clause(ref)).toMatch(/contractual obligations/);
      for (const ref of ['3.3(1)', '4.3(1)', '5.3(1)']) expect(clause(ref)).toMatch(/expert’s take on your project/);
      expect(clause('3.3(1)')).toMatch(/services our company delivers, we process your data in order to enter into a contract/);
    });

    it('[LB-LEGIT] a white-paper download, a demo request or anything else is processed under legitimate interest', () => {
      for (const type of ['white_paper', 'demo', 'other'] as const) {
        expect(policy.legalBasisFor(type)).toBe('legitimate_interest');
        expect(current.inquiryTypes[type].clauses).toEqual(['3.3(3)', '4.3(3)', '5.3(3)']);
        for (const ref of current.inquiryTypes[type].clauses) expect(clause(ref)).toMatch(/for any other purpose.* legitimate interest to prevent spam/);
      }
      expect(clause('3.3(3)')).toMatch(/including the download of white papers or to request a demo/);
    });

    it('[LB-CONSENT] sharing data gives consent to three purposes: service updates, contact about the request, being asked about other services', () => {
      expect(Object.keys(current.consent.purposes)).toEqual(['service_updates', 'request_contact', 'other_services_ask']);
      expect(current.consent.purposes.other_services_ask.clauses).toEqual(['3.2', '4.2', '6.2(9)']);
      for (const purpose of CONSENT_PURPOSES) {
        for (const ref of current.consent.purposes[purpose].clauses) {
          expect(clause(ref)).toMatch(/you are giving consent/);
          // 4.2 capitalises "To get"; 6.2(9) words the third purpose its own way but ends the same.
          const wording = policy.consentWording(purpose).toLowerCase();
          expect(clause(ref).toLowerCase()).toContain(ref === '6.2(9)' ? 'regarding any other services you might be interested in.' : wording);
        }
      }
    });

    it('[CONSENT-PROOF] the consent wording is kept per version, verbatim from the policy text', () => {
      expect(policy.consentWording('service_updates', 'en-1')).toBe(
        'Send any updates regarding services you have shown interest in or provide further information related to the topic you requested.',
      );
      expect(policy.consentWording('request_contact', 'en-1')).toBe('Contact and communicate with you regarding your initial request.');
      expect(policy.consentWording('other_services_ask', 'en-1')).toBe(
        'to get your consent to further contact you regarding any other services you might be interested in.',
      );
      expect(clause(current.consent.introQuotedFrom)).toContain(current.consent.intro);
      for (const purpose of CONSENT_PURPOSES) {
        const { wording, quotedFrom } = current.consent.purposes[purpose];
        expect(clause(quotedFrom)).toContain(wording);
        expect(policy.consentWording(purpose)).toBe(policy.consentWording(purpose, current.id));
      }
    });
  });

  it('[AGE-16] nobody under 16: the minimum age is the one section 12 states', () => {
    expect(policy.minimumAge()).toBe(16);
    expect(policy.minimumAge('en-1')).toBe(16);
    expect(current.minimumAge.section).toBe('12');
    const ages = [...section('12').matchAll(/\bunder (\d+)\b/g)].map(([, n]) => Number(n));
    expect(ages.length).toBeGreaterThan(0);
    expect(new Set(ages)).toEqual(new Set([policy.minimumAge()]));
    expect(section('12')).toMatch(/we will take measures to delete such information/);
  });
});
