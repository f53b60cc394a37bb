// The same primitives written out in JSON, XML and CBOR (test/fixtures/primitives):
// each decodes to the same primitive, and each codec's output decodes back to it.
// UPDATE_FIXTURES=1 rewrites the .cbor.hex files from the .json files with the
// independent reference encoder.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { codecFor } from '../../src/primitive/codecs.js';
import type { PrimitiveCodec } from '../../src/primitive/codec.js';
import type { Primitive } from '../../src/primitive/types.js';
import { referenceCbor } from './cbor-reference.js';

const dir = fileURLToPath(new URL('../fixtures/primitives/', import.meta.url));
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

function encode(codec: PrimitiveCodec, p: Primitive): Buffer | string {
  return p.kind === 'request' ? codec.encodeRequest(p.primitive) : codec.encodeResponse(p.primitive);
}

const json = codecFor('json');
const xml = codecFor('xml');
const cbor = codecFor('cbor');

test('the fixture set covers the required primitives', () => {
  assert.ok(names.length >= 14, `only ${names.length} fixtures`);
  for (const name of names) {
    for (const ext of ['.xml', '.cbor.hex']) {
      if (ext === '.cbor.hex' && process.env.UPDATE_FIXTURES === '1') continue;
      assert.doesNotThrow(() => readFileSync(dir + name + ext), `${name}${ext} missing`);
    }
  }
});

for (const name of names) {
  describe(`fixture ${name}`, () => {
    const jsonText = readFileSync(dir + name + '.json', 'utf8');
    const raw = JSON.parse(jsonText) as Record<string, unknown>;
    if (process.env.UPDATE_FIXTURES === '1') {
      writeFileSync(dir + name + '.cbor.hex', referenceCbor(raw).toString('hex') + '\n');
    }
    const xmlText = readFileSync(dir + name + '.xml', 'utf8');
    const cborBytes = Buffer.from(readFileSync(dir + name + '.cbor.hex', 'utf8').trim(), 'hex');
    const expected = json.decode(jsonText);

    test('JSON decodes to exactly the fixture (nothing added, nothing dropped)', () => {
      assert.equal(expected.kind, name.endsWith('-response') ? 'response' : 'request');
      assert.deepEqual(expected.primitive, raw);
    });

    test('XML decodes to the same primitive', () => {
      assert.deepEqual(xml.decode(xmlText), expected);
    });

    test('CBOR fixture is the reference encoding of the JSON and decodes to the same primitive', () => {
      assert.equal(cborBytes.toString('hex'), referenceCbor(raw).toString('hex'));
      assert.deepEqual(cbor.decode(cborBytes), expected);
    });

    for (const codec of [json, xml, cbor]) {
      test(`${codec.serialization} output decodes back to the same primitive`, () => {
        const out = encode(codec, expected);
        assert.equal(typeof out === 'string', !codec.binary);
        assert.deepEqual(codec.decode(out), expected);
      });
    }

    test('CBOR output is plain RFC 8949 (byte-identical to the reference encoder, no cbor-x tags)', () => {
      const out = encode(cbor, expected) as Buffer;
      assert.equal(out.toString('hex'), referenceCbor(expected.primitive).toString('hex'));
    });

    test('XML output re-encodes to itself', () => {
      const out = encode(xml, expected) as string;
      assert.equal(encode(xml, xml.decode(out)), out);
      assert.match(out, /^<m2m:(rqp|rsp) xmlns:m2m="http:\/\/www\.onem2m\.org\/xml\/protocols">/);
    });
  });
}
