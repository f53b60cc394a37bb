// The opaque key of a registree's downlink URL `/r/<key>` (DESIGN 3): 96
// random bits from the CSPRNG, base64url. A registration storm makes one per
// registration, so the random bytes are drawn 341 keys at a time instead of
// one call into the CSPRNG (and one Buffer) per key; every byte is used for
// one key only.
import { randomFillSync } from 'node:crypto';

const KEY_BYTES = 12;
const pool = Buffer.alloc(KEY_BYTES * 341);
let at = pool.length;

export function newRegistreeKey(): string {
  if (at + KEY_BYTES > pool.length) {
    randomFillSync(pool);
    at = 0;
  }
  const key = pool.toString('base64url', at, at + KEY_BYTES);
  at += KEY_BYTES;
  return key;
}
