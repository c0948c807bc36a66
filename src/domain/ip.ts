import { isIP } from 'node:net';

/**
 * An address as PostgreSQL's inet takes it, or null. Node's isIP accepts an IPv6 zone id
 * ("fe80::1%eth0") that inet refuses, so the zone is dropped (it names an interface of the
 * sender's machine, nothing of the visitor); anything else that is not one plain address (a list,
 * a port, brackets) is no address at all.
 */
export function plainIp(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const text = raw.trim();
  const zoned = /^([0-9a-f:.]+:[0-9a-f:.]*)%[\w.-]+$/i.exec(text); // an IPv6 address (it has a colon) and a named zone
  const ip = zoned ? zoned[1] : text;
  return ip.length <= 45 && !ip.includes('%') && isIP(ip) ? ip : null;
}
