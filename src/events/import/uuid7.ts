import { randomBytes } from 'node:crypto';

/**
 * A time-ordered UUID (RFC 9562 version 7). The import inserts hundreds of thousands of rows
 * at a time: ids that grow keep each primary-key index appending to its last page instead of
 * touching (and logging) a random page of it per row.
 */
export function uuid7(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
