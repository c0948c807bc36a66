import { plainIp } from './ip';

describe('plainIp: an address inet can store, or none', () => {
  it('keeps plain IPv4 and IPv6 addresses, trimmed', () => {
    expect(plainIp(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(plainIp('2001:db8::1')).toBe('2001:db8::1');
    expect(plainIp('::ffff:203.0.113.7')).toBe('::ffff:203.0.113.7');
  });

  it('drops an IPv6 zone id (inet refuses it)', () => {
    expect(plainIp('fe80::1%eth0')).toBe('fe80::1');
    expect(plainIp('fe80::1%25eth0')).toBe('fe80::1');
  });

  it('anything but one plain address is none', () => {
    for (const raw of ['', '   ', 'fe80::1%', '%eth0', '203.0.113.7%eth0', '[::1]', '203.0.113.7:8080', '203.0.113.7, 10.0.0.1', '999.1.1.1', 'localhost', 'not an ip', null, undefined]) {
      expect([raw, plainIp(raw)]).toEqual([raw, null]);
    }
  });
});
