import { ageFromBirthDate, normaliseEmail, normalisePhone, splitName } from './identity';

describe('identity normalisation', () => {
  it('e-mail: trimmed and lower-cased; nonsense refused', () => {
    expect(normaliseEmail('  Kari.Nordmann@Example.NO ')).toBe('kari.nordmann@example.no');
    expect(normaliseEmail('kari@localhost')).toBeNull();
    expect(normaliseEmail('not an email')).toBeNull();
    expect(normaliseEmail('a@b@c.no')).toBeNull();
    expect(normaliseEmail('nul\u0000@probe-mail.example')).toBeNull();
    expect(normaliseEmail('nul\ufffd@probe-mail.example')).toBeNull();
    expect(normaliseEmail('zero\u200bwidth@example.no')).toBeNull();
    expect(normaliseEmail('bell\u0007@example.no')).toBeNull();
  });

  it('phone: to E.164, national numbers read in the default region', () => {
    expect(normalisePhone('912 34 567', 'NO')).toBe('+4791234567');
    expect(normalisePhone('+47 912 34 567', 'US')).toBe('+4791234567');
    expect(normalisePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalisePhone('12', 'NO')).toBeNull();
    expect(normalisePhone('call me', 'NO')).toBeNull();
  });

  it('splits a single name field', () => {
    expect(splitName(' Kari  Nordmann ')).toEqual({ firstName: 'Kari', lastName: 'Nordmann' });
    expect(splitName('Anne Marie van der Berg')).toEqual({ firstName: 'Anne', lastName: 'Marie van der Berg' });
    expect(splitName('Cher')).toEqual({ firstName: 'Cher', lastName: null });
  });

  it('[AGE-16] age from a birth date, counting the birthday itself', () => {
    const today = new Date('2026-11-22T12:00:00Z');
    expect(ageFromBirthDate('2010-11-22', today)).toBe(16);
    expect(ageFromBirthDate('2010-11-23', today)).toBe(15);
    expect(ageFromBirthDate('23.11.2010', today)).toBe(15);
    expect(ageFromBirthDate('2010-02-30', today)).toBeNull();
    expect(ageFromBirthDate('2030-01-01', today)).toBeNull();
    expect(ageFromBirthDate('yesterday', today)).toBeNull();
  });
});
