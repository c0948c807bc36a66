import type { FieldError } from '../../common/problem-details';
import type { ImportColumn } from '../entities/event-import.entity';
import { CONSENT_PURPOSES, type ConsentPurpose } from '../../domain/purposes';

/**
 * What a column can fill. `city`/`country` make the person's location; `address` columns are
 * recognised and kept with the capture as received; `keep` keeps a column the import does not
 * know with the capture as received (the uploader chose to); `ignore` drops a column. A column
 * neither recognised nor mapped is dropped: policy 7.1 lists what is collected from events, and
 * a custom question (allergies, dietary needs, t-shirt size) is not on it.
 */
export const IMPORT_TARGETS = [
  'firstName', 'lastName', 'fullName', 'email', 'phone', 'companyName', 'position', 'location', 'city', 'country', 'address',
  'skypeId', 'linkedinUrl', 'orderRef', 'orderDate', 'attendeeRef', 'ticketType', 'attendeeStatus', 'age', 'birthDate', 'keep', 'ignore',
] as const;
/**
 * A column holding the attendee's answer to a consent question maps to `consent:<purpose>`: its
 * header is the wording shown, and "yes"/"ja" grants the purpose (issue 16, item 9).
 */
export type ConsentTarget = `consent:${ConsentPurpose}`;
export type ImportTarget = (typeof IMPORT_TARGETS)[number] | ConsentTarget;
const isConsentTarget = (t: string): t is ConsentTarget => t.startsWith('consent:') && (CONSENT_PURPOSES as readonly string[]).includes(t.slice('consent:'.length));

/** Targets several columns may fill, the best-ranked non-empty one winning (Cell Phone before Work Phone). */
const RANKED: ReadonlySet<ImportTarget> = new Set(['phone', 'city', 'country', 'address']);

/** The names the web-form mapping uses for the same fields, accepted in a user mapping too. */
const ALIASES: Record<string, ImportTarget> = { name: 'fullName', company: 'companyName' };

/**
 * A header reduced to letters, digits and `#`, lower-cased: "E-post", "e-post " and "EPost"
 * are one key, as are "Order #" and "order#".
 */
export function headerKey(header: string): string {
  return header.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}#]+/gu, '');
}

type Synonym = [target: ImportTarget, rank: number];

/**
 * Eventbrite's attendee report (English) and the Norwegian headers staff type into sheets.
 * Columns not listed (custom questions, order totals, check-in dates...) are kept with the
 * capture as extra data. Buyer columns ("Buyer Email") are the purchaser, not the attendee, so
 * they are deliberately not here.
 */
const SYNONYMS: Record<string, Synonym> = {};
function add(target: ImportTarget, rank: number, ...headers: string[]): void {
  for (const h of headers) SYNONYMS[headerKey(h)] = [target, rank];
}
add('firstName', 1, 'First Name', 'Firstname', 'Given Name', 'First', 'Fornavn');
add('lastName', 1, 'Last Name', 'Lastname', 'Surname', 'Family Name', 'Last', 'Etternavn');
add('fullName', 1, 'Name', 'Full Name', 'Attendee Name', 'Navn', 'Fullt navn', 'Fullt Navn', 'Deltaker', 'Deltakernavn');
add('email', 1, 'Email', 'E-mail', 'Email Address', 'E-mail Address', 'Mail', 'E-post', 'Epost', 'E-postadresse', 'Epostadresse', 'E-mailadresse');
add('phone', 1, 'Cell Phone', 'Cellphone', 'Mobile', 'Mobile Phone', 'Mobile Number', 'Mobil', 'Mobilnummer', 'Mobiltelefon', 'Mobilnr');
add('phone', 2, 'Phone', 'Phone Number', 'Telephone', 'Telefon', 'Telefonnummer', 'Tlf', 'Tlf.', 'Tlf nr', 'Tlfnr');
add('phone', 3, 'Work Phone', 'Business Phone', 'Jobbtelefon', 'Arbeidstelefon', 'Telefon arbeid');
add('phone', 4, 'Home Phone', 'Hjemmetelefon', 'Privattelefon', 'Telefon privat');
add('companyName', 1, 'Company', 'Company Name', 'Organization', 'Organisation', 'Organisasjon', 'Firma', 'Firmanavn', 'Bedrift', 'Bedriftsnavn', 'Selskap', 'Arbeidsgiver', 'Employer');
add('position', 1, 'Job Title', 'Title', 'Position', 'Role', 'Stilling', 'Tittel', 'Jobbtittel', 'Stillingstittel', 'Rolle');
add('location', 1, 'Location', 'Sted');
add('city', 1, 'Work City');
add('city', 2, 'City', 'By', 'Poststed');
add('city', 3, 'Home City');
add('city', 4, 'Billing City');
add('country', 1, 'Work Country');
add('country', 2, 'Country', 'Land');
add('country', 3, 'Home Country');
add('country', 4, 'Billing Country');
add('address', 1, 'Work Address 1', 'Work Address 2', 'Work State', 'Work Zip', 'Home Address 1', 'Home Address 2', 'Home State', 'Home Zip',
  'Billing Address 1', 'Billing Address 2', 'Billing State', 'Billing Zip', 'Address', 'Address 1', 'Address 2', 'Zip', 'Postal Code', 'State',
  'Adresse', 'Postadresse', 'Gateadresse', 'Besøksadresse', 'Postnummer', 'Postnr', 'Postnr.');
add('skypeId', 1, 'Skype', 'Skype ID', 'Skype Name', 'Skypenavn');
add('linkedinUrl', 1, 'LinkedIn', 'LinkedIn URL', 'LinkedIn Profile', 'LinkedIn-profil', 'LinkedIn profil');
add('orderRef', 1, 'Order #', 'Order Number', 'Order No', 'Order ID', 'Ordre', 'Ordre #', 'Ordrenr', 'Ordrenr.', 'Ordrenummer', 'Ordre-ID', 'Bestillingsnummer', 'Bestillingsnr', 'Bestilling #');
add('orderDate', 1, 'Order Date', 'Order Date/Time', 'Date Ordered', 'Registration Date', 'Registered', 'Ordredato', 'Bestillingsdato', 'Kjøpsdato', 'Påmeldingsdato', 'Registreringsdato', 'Påmeldt');
add('attendeeRef', 1, 'Attendee #', 'Attendee Number', 'Attendee ID', 'Ticket #', 'Deltaker #', 'Deltakernr', 'Deltakernr.', 'Deltakernummer', 'Deltaker-ID', 'Billettnummer', 'Billettnr', 'Billett #');
add('ticketType', 1, 'Ticket Type', 'Ticket', 'Billettype', 'Billett', 'Billettkategori');
add('attendeeStatus', 1, 'Attendee Status', 'Status', 'Deltakerstatus', 'Påmeldingsstatus', 'RSVP', 'RSVP Status', 'RSVP Response');
add('age', 1, 'Age', 'Alder');
add('birthDate', 1, 'Date of Birth', 'Birth Date', 'Birthdate', 'Birthday', 'DOB', 'Fødselsdato', 'Født');

/**
 * Whether a record can be the header row: one of its cells is a known e-mail or phone header,
 * or a header the mapping names as the e-mail or phone column. What comes before such a row
 * (a Zoom report's title, date and host block) is a preamble, not the header.
 */
export function namesContact(cells: string[], mapping: Record<string, string> | null): boolean {
  const contact = (t: string | undefined) => t === 'email' || t === 'phone';
  if (cells.some((c) => contact(SYNONYMS[headerKey(c.trim())]?.[0]))) return true;
  const named = Object.entries(mapping ?? {}).filter(([, t]) => contact(t)).map(([name]) => name);
  if (!named.length) return false;
  const headers = uniqueHeaders(cells);
  return named.some((name) => findHeader(headers, name) >= 0);
}

/** Each column's index, header and target (null: not recognised, dropped), with the rank that orders competing columns. */
export interface ColumnPlan {
  index: number;
  header: string;
  target: ImportTarget | null;
  rank: number;
}

/** What the first data lines hold, column by column (index as in the header): how many are filled, and how many hold an e-mail address. */
export interface ColumnSample {
  rows: number;
  filled: number[];
  addresses: number[];
}

/**
 * Reads the header row: the user's mapping first (exact header, then the same key), then the
 * synonyms. When several columns could fill a one-of-a-kind target, the one whose sampled values
 * fit it best wins (for e-mail: the most addresses; otherwise the most filled; a tie: the first):
 * a Microsoft Forms export's own Email column ("anonymous") and empty Name lose to the answers to
 * its "Email address" and "Full name" questions. The others are left unrecognised; the user may
 * not give one target twice. A file must end up with an e-mail or a phone column.
 */
export function planColumns(header: string[], mapping: Record<string, string> | null, sample?: ColumnSample): { columns: ColumnPlan[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const trimmed = header.map((h) => h.trim());
  // The names the dry run shows ("Email (2)" for a second Email column) are the ones a mapping may use.
  const shown = uniqueHeaders(header);
  const userTarget = new Map<number, ImportTarget>();
  const givenTwice = new Set<ImportTarget>();
  for (const [name, rawTarget] of Object.entries(mapping ?? {})) {
    const target = (ALIASES[rawTarget] ?? rawTarget) as ImportTarget;
    if (!(IMPORT_TARGETS as readonly string[]).includes(target) && !isConsentTarget(target)) {
      errors.push({ field: `mapping.${name}`, message: `must be one of: ${IMPORT_TARGETS.join(', ')}, or consent:<purpose> (${CONSENT_PURPOSES.join(', ')}) for a consent question's column` });
      continue;
    }
    const index = findHeader(shown, name);
    if (index < 0) {
      errors.push({ field: `mapping.${name}`, message: 'no column of the file has this header' });
      continue;
    }
    if (!RANKED.has(target) && target !== 'ignore' && target !== 'keep' && [...userTarget.values()].includes(target)) givenTwice.add(target);
    userTarget.set(index, target);
  }
  for (const target of givenTwice) errors.push({ field: 'mapping', message: `maps more than one column to ${target}` });

  const taken = new Set<ImportTarget>(userTarget.values());
  const fit = (target: ImportTarget, index: number) => (target === 'email' ? sample?.addresses[index] : sample?.filled[index]) ?? 0;
  /** The column each one-of-a-kind target the mapping left open goes to. */
  const chosen = new Map<ImportTarget, number>();
  trimmed.forEach((h, index) => {
    const target = h && !userTarget.has(index) ? SYNONYMS[headerKey(h)]?.[0] : undefined;
    if (!target || RANKED.has(target) || taken.has(target)) return;
    const before = chosen.get(target);
    if (before === undefined || fit(target, index) > fit(target, before)) chosen.set(target, index);
  });
  const columns: ColumnPlan[] = trimmed.map((h, index) => {
    const mapped = userTarget.get(index);
    if (mapped) return { index, header: h, target: mapped, rank: 0 };
    const synonym = SYNONYMS[headerKey(h)];
    if (!synonym || !h) return { index, header: h, target: null, rank: 0 };
    const [target, rank] = synonym;
    if (!RANKED.has(target) && chosen.get(target) !== index) return { index, header: h, target: null, rank: 0 };
    return { index, header: h, target, rank };
  });
  if (!columns.some((c) => c.target === 'email' || c.target === 'phone')) {
    errors.push({ field: 'mapping', message: 'the file has no column recognised as e-mail or phone; name one in mapping, e.g. {"Kontakt": "email"}' });
  }
  return { columns: columns.map((c) => ({ ...c, header: shown[c.index] })), errors };
}

/** The column a mapping names: the exact header, else the first with the same key. */
function findHeader(headers: string[], name: string): number {
  const index = headers.indexOf(name.trim());
  return index >= 0 ? index : headers.findIndex((h) => headerKey(h) === headerKey(name));
}

/** Blank headers become "Column N" and repeated ones "Notes (2)", so every cell keeps its own key in the payload. */
function uniqueHeaders(header: string[]): string[] {
  const seen = new Set<string>();
  return header.map((raw, index) => {
    const base = raw.trim() || `Column ${index + 1}`;
    let name = base;
    for (let n = 2; seen.has(name); n++) name = `${base} (${n})`;
    seen.add(name);
    return name;
  });
}

export const describeColumns = (columns: ColumnPlan[]): ImportColumn[] => columns.map((c) => ({ header: c.header, target: c.target }));
