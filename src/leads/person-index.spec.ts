import { PersonIndex, type IdentityRow } from './person-index';

const person = (id: string, email: string | null, phone: string | null, phoneTop = true): IdentityRow => ({ id, email, phone, phoneTop });

describe('the identity rule (PersonIndex)', () => {
  it('finds a person by e-mail before anything else', () => {
    const people = new PersonIndex([person('A', 'a@x.no', '+4791111111'), person('B', null, '+4792222222')]);
    expect(people.match({ email: 'a@x.no', phone: '+4792222222' })?.id).toBe('A');
  });

  it('by phone, finds the phone’s person; with an e-mail given, only someone known by phone alone', () => {
    const people = new PersonIndex([person('A', 'a@x.no', '+4791111111'), person('B', null, '+4792222222')]);
    expect(people.match({ phone: '+4791111111' })?.id).toBe('A');
    expect(people.match({ email: 'new@x.no', phone: '+4791111111' })).toBeNull(); // another address: another person
    expect(people.match({ email: 'new@x.no', phone: '+4792222222' })?.id).toBe('B');
  });

  it('uses only the phone’s chosen person, as the database picked it', () => {
    const people = new PersonIndex([person('A', 'a@x.no', '+4791111111', false), person('B', 'b@x.no', '+4791111111', true)]);
    expect(people.match({ phone: '+4791111111' })?.id).toBe('B');
  });

  it('sees the persons a batch made or filled, as the database then would', () => {
    const people = new PersonIndex<IdentityRow>([]);
    expect(people.match({ email: 'a@x.no' })).toBeNull();
    people.put(person('A', 'a@x.no', '+4791111111'));
    expect(people.match({ email: 'a@x.no' })?.id).toBe('A');
    expect(people.match({ phone: '+4791111111' })?.id).toBe('A');
    // Someone known by phone alone keeps the phone against a later holder with an e-mail.
    people.put(person('B', null, '+4792222222'));
    people.put(person('C', 'c@x.no', '+4792222222'));
    expect(people.match({ phone: '+4792222222' })?.id).toBe('B');
    // A filled-in e-mail moves the person's entry.
    people.put(person('B', 'b@x.no', '+4792222222'));
    expect(people.match({ email: 'b@x.no' })?.id).toBe('B');
    expect(people.byId('B')?.email).toBe('b@x.no');
  });
});
