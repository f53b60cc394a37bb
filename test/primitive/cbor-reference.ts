// A minimal RFC 8949 encoder, independent of cbor-x, used by the tests to write
// the .cbor.hex fixtures and to check that the codec emits nothing but plain
// maps/arrays/text/ints/floats/bools/null (ref C3). `byteStrings` writes keys and
// string values as byte strings, like the examples of TS-0004 8.5.2.

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  if (n < 0x100000000) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = (major << 5) | 27;
  b.writeBigUInt64BE(BigInt(n), 1);
  return b;
}

export function referenceCbor(value: unknown, byteStrings = false): Buffer {
  if (value === null) return Buffer.from([0xf6]);
  if (value === true) return Buffer.from([0xf5]);
  if (value === false) return Buffer.from([0xf4]);
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value >= 0 ? head(0, value) : head(1, -1 - value);
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(value, 1);
    return b;
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(byteStrings ? 2 : 3, bytes.length), bytes]);
  }
  if (Array.isArray(value)) {
    return Buffer.concat([head(4, value.length), ...value.map((v) => referenceCbor(v, byteStrings))]);
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const parts = [head(5, entries.length)];
    for (const [k, v] of entries) parts.push(referenceCbor(k, byteStrings), referenceCbor(v, byteStrings));
    return Buffer.concat(parts);
  }
  throw new Error(`cannot encode ${typeof value}`);
}
