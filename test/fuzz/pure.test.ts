// Fuzzing the pure parts (codecs, TS-0009 mapping, config files) with
// fast-check, bounded so the suite stays fast. bench/fuzz.ts runs the same
// properties with a million inputs.
import { describe, test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { encode as cborEncode } from 'cbor-x';
import { PrimitiveDecodeError } from '../../src/errors.js';
import { codecFor } from '../../src/primitive/codecs.js';
import { codecProperties, configProperties, mappingProperties } from './properties.js';
import type { NamedProperty } from './properties.js';

/** Runs per property in the regular suite (scaled by its weight). */
const BASE_RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 300);

function run(props: NamedProperty[]): void {
  for (const p of props) {
    test(p.name, () => {
      fc.assert(p.property, { numRuns: Math.max(5, Math.round(BASE_RUNS * (p.weight ?? 1))) });
    });
  }
}

describe('fuzz: codecs', () => run(codecProperties()));
describe('fuzz: TS-0009 mapping', () => run(mappingProperties()));
describe('fuzz: config files', () => run(configProperties()));

describe('fuzz: counterexamples kept as regression tests', () => {
  test('cbor: a deeply nested array is refused with PrimitiveDecodeError, not a stack overflow, also once the decoder is warm', () => {
    const cbor = codecFor('cbor');
    // Warm up: an optimized cbor-x decoder nests deeper than the recursive normalize() can follow.
    const warm = Buffer.from(cborEncode({ op: 1, to: 'cse-in', rqi: 'w', pc: { 'm2m:cin': { con: [[[1, { a: [2] }]]] } } }));
    for (let i = 0; i < 20000; i++) cbor.decode(warm);
    // The window where cbor-x still decodes but normalize() overflows moves with the free stack: scan depths at several stack heights.
    const escaped: string[] = [];
    const scan = (framesLeft: number): void => {
      if (framesLeft > 0) return scan(framesLeft - 1);
      for (let depth = 500; depth <= 20000; depth += 50) {
        const wire = Buffer.concat([Buffer.alloc(depth, 0x81), Buffer.from([0x00])]);
        try {
          cbor.decode(wire);
        } catch (err) {
          if (!(err instanceof PrimitiveDecodeError)) escaped.push(`depth ${depth}: ${String(err)}`);
        }
      }
    };
    for (const frames of [0, 100, 500, 1000, 2000, 4000]) scan(frames);
    assert.deepEqual(escaped.slice(0, 3), []);
  });
});
