import { getCountries, type CountryCode } from 'libphonenumber-js';

/** A country as typed, reduced for lookup: lower-case, no dots, one space, no leading "the". */
const countryKey = (text: string) =>
  text.normalize('NFKC').toLowerCase().replace(/\./g, '').replace(/\s+/g, ' ').trim().replace(/^the /, '');

/** Names exports and people use that are neither an ISO code nor the English or Norwegian name. */
const ALIASES: Record<string, CountryCode> = {
  usa: 'US', us: 'US', 'united states of america': 'US', america: 'US',
  uk: 'GB', 'great britain': 'GB', britain: 'GB', england: 'GB', scotland: 'GB', wales: 'GB', 'northern ireland': 'GB', 'storbritannia': 'GB',
  noreg: 'NO', holland: 'NL', deutschland: 'DE', 'south korea': 'KR', 'north korea': 'KP', russia: 'RU', 'czech republic': 'CZ',
};

let byName: Map<string, CountryCode> | null = null;

/** ISO code, English name and Norwegian (bokmål and nynorsk) name of every region libphonenumber knows, built once. */
function names(): Map<string, CountryCode> {
  if (byName) return byName;
  const map = new Map<string, CountryCode>();
  const languages = ['en', 'nb', 'nn'].map((l) => new Intl.DisplayNames([l], { type: 'region', fallback: 'none' }));
  for (const code of getCountries()) {
    map.set(countryKey(code), code);
    for (const language of languages) {
      const name = language.of(code);
      if (name) map.set(countryKey(name), code);
    }
  }
  for (const [alias, code] of Object.entries(ALIASES)) map.set(alias, code);
  byName = map;
  return map;
}

/**
 * The phone region a row's country column names ("US", "United States", "Sverige"), or null when
 * it names none the phone library knows (blank, a typo, "Scandinavia").
 */
export function countryRegion(country: string | null): CountryCode | null {
  if (!country) return null;
  return names().get(countryKey(country)) ?? null;
}
