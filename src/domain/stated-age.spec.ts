import { ageOn, asciiDigits, parseBirthDate, parseStatedAge } from './stated-age';

describe('[AGE-16] reading a stated age or birth date', () => {
  it('digits of any Unicode decimal script read as ASCII', () => {
    expect(asciiDigits('１５')).toBe('15'); // full-width (NFKC)
    expect(asciiDigits('١٥')).toBe('15'); // Arabic-Indic
    expect(asciiDigits('۱۵')).toBe('15'); // Extended Arabic-Indic
    expect(asciiDigits('१५')).toBe('15'); // Devanagari
    expect(asciiDigits('𝟏𝟓')).toBe('15'); // mathematical bold
  });

  it('an age is a whole number, possibly with a years word; anything else is not understood', () => {
    for (const [raw, years] of [['15', 15], [' 15 ', 15], ['015', 15], ['0', 0], ['15 år', 15], ['15 years', 15], ['15 yrs', 15], ['15 years old', 15], ['15år', 15], ['１５', 15], ['١٥', 15], ['40', 40]] as const) {
      expect([raw, parseStatedAge(raw)]).toEqual([raw, years]);
    }
    for (const raw of ['15.9', '15,5', '15.5', 'fifteen', '-15', '+15', '1.5e1', '0x0F', '15\u0000', '15\ufffd', '15 dogs', '150', '', 'years']) {
      expect([raw, parseStatedAge(raw)]).toEqual([raw, null]);
    }
  });

  it('a birth date in the unambiguous forms is understood; others, and dates that do not exist, are not', () => {
    for (const raw of ['2016-06-01', '2016/06/01', '2016-6-1', '2016-06-01T00:00:00Z', '2016-06-01 10:30', '2016-06-01T23:30:00+02:00', '01.06.2016', '1.6.2016', '20160601', '２０１６-０６-０１']) {
      expect([raw, parseBirthDate(raw)]).toEqual([raw, [2016, 6, 1]]);
    }
    for (const raw of ['06/01/2016', '01/06/2016', 'June 1, 2016', '2016-06-01\u0000', '2016-06-01\ufffd', '2016-02-30', '32.01.2016', '2016-06', 'yesterday', '2016-06/01']) {
      expect([raw, parseBirthDate(raw)]).toEqual([raw, null]);
    }
  });

  it('the age counts the birthday itself; a date after today is no age', () => {
    const today = new Date('2026-11-22T12:00:00Z');
    expect(ageOn([2010, 11, 22], today)).toBe(16);
    expect(ageOn([2010, 11, 23], today)).toBe(15);
    expect(ageOn([2030, 1, 1], today)).toBeNull();
  });
});
