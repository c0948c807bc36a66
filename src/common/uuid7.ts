import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Random bytes drawn 10 per id from a pool refilled 4 KiB at a time: one call into the CSPRNG per ~400 ids, not one per id. */
const POOL = Buffer.alloc(4096);
let taken = POOL.length;

/**
 * A time-ordered UUID (RFC 9562 version 7). The import inserts hundreds of thousands of rows
 * at a time: ids that grow keep each primary-key index appending to its last page instead of
 * touching (and logging) a random page of it per row.
 */
export function uuid7(now = Date.now()): string {
  if (taken + 10 > POOL.length) {
    randomFillSync(POOL);
    taken = 0;
  }
  const r = taken;
  taken += 10;
  // 48 bits of milliseconds, then 4 version bits and 12 random, 2 variant bits and 62 random.
  const high = Math.floor(now / 0x1000000);
  const low = now % 0x1000000;
  return (
    HEX[(high >>> 16) & 0xff] + HEX[(high >>> 8) & 0xff] + HEX[high & 0xff] + HEX[(low >>> 16) & 0xff] + '-' +
    HEX[(low >>> 8) & 0xff] + HEX[low & 0xff] + '-' +
    HEX[(POOL[r] & 0x0f) | 0x70] + HEX[POOL[r + 1]] + '-' +
    HEX[(POOL[r + 2] & 0x3f) | 0x80] + HEX[POOL[r + 3]] + '-' +
    HEX[POOL[r + 4]] + HEX[POOL[r + 5]] + HEX[POOL[r + 6]] + HEX[POOL[r + 7]] + HEX[POOL[r + 8]] + HEX[POOL[r + 9]]
  );
}
