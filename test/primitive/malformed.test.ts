// Malformed input in every encoding → PrimitiveDecodeError, rsc 4000, with the
// rqi whenever it can be read (so the 4000 answer can be matched).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PrimitiveDecodeError } from '../../src/errors.js';
import { codecFor } from '../../src/primitive/codecs.js';
import { referenceCbor } from './cbor-reference.js';

const NS = 'xmlns:m2m="http://www.onem2m.org/xml/protocols"';
const json = codecFor('json');
const xml = codecFor('xml');
const cbor = codecFor('cbor');

function rejects(fn: () => unknown, rqi: string | undefined, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PrimitiveDecodeError, `expected PrimitiveDecodeError, got ${String(caught)}`);
  assert.equal(caught.rsc, 4000);
  assert.equal(caught.code, 'BRIDGE_ERR_BAD_PRIMITIVE');
  assert.equal(caught.rqi, rqi);
  if (message) assert.match(caught.message, message);
}

describe('malformed JSON', () => {
  test('broken JSON containing "rqi":"x" → 4000 carrying rqi x', () => {
    rejects(() => json.decode('{"op":1,"rqi" : "x","to":'), 'x', /malformed JSON/);
  });
  test('broken JSON without rqi → 4000 without rqi', () => {
    rejects(() => json.decode(Buffer.from('{op:1}')), undefined);
  });
  test('a JSON array at top level → 4000', () => {
    rejects(() => json.decode('[{"op":1,"rqi":"a"}]'), undefined, /object/);
  });
  test('neither op nor rsc → 4000 with the rqi', () => {
    rejects(() => json.decode('{"to":"cse-in","rqi":"r9"}'), 'r9', /"op".*"rsc"/);
  });
  test('op 9 → 4000 naming op, with the rqi', () => {
    rejects(() => json.decode('{"op":9,"to":"cse-in","rqi":"r9","rvi":"3"}'), 'r9', /"op"/);
  });
  test('missing rqi → 4000 naming rqi', () => {
    rejects(() => json.decode('{"op":2,"to":"cse-in"}'), undefined, /"rqi"/);
  });
  test('wrapped in m2m:rqp (not JSON style, ref C1) → 4000', () => {
    rejects(() => json.decode('{"m2m:rqp":{"op":2,"to":"cse-in","rqi":"a"}}'), undefined);
  });
  test('content that is not an object → 4000', () => {
    rejects(() => json.decodeContent(Buffer.from('"x"')), undefined);
    rejects(() => json.decodeContent(Buffer.from('')), undefined);
  });
});

describe('malformed XML', () => {
  test('XML without the m2m:rqp/m2m:rsp root → 4000 carrying the rqi', () => {
    rejects(() => xml.decode('<op>1</op><to>cse-in</to><rqi>r1</rqi>'), 'r1');
    rejects(() => xml.decode(`<m2m:cnt ${NS}><rqi>r2</rqi></m2m:cnt>`), 'r2', /root/);
  });
  test('not XML at all → 4000', () => {
    rejects(() => xml.decode('hello'), undefined);
    rejects(() => xml.decode(''), undefined);
  });
  test('XML with a DOCTYPE entity (XXE / billion laughs) → 4000, entity never expanded', () => {
    const evil = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><m2m:rqp ${NS}><op>2</op><to>&b;</to><rqi>r3</rqi></m2m:rqp>`;
    rejects(() => xml.decode(evil), 'r3', /DOCTYPE/);
    const xxe = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><m2m:rqp ${NS}><op>2</op><to>&x;</to><rqi>r4</rqi></m2m:rqp>`;
    rejects(() => xml.decode(xxe), 'r4', /DOCTYPE/);
    rejects(() => xml.decodeContent(Buffer.from(`<!DOCTYPE a><m2m:cnt ${NS}/>`)), undefined);
  });
  test('unbalanced tags → 4000 carrying the rqi', () => {
    rejects(() => xml.decode(`<m2m:rqp ${NS}><op>2</op><rqi>r5</rqi><to>x</fr></m2m:rqp>`), 'r5', /malformed XML/);
    rejects(() => xml.decode(`<m2m:rqp ${NS}><op>2</op><rqi>r6</rqi>`), 'r6');
  });
  test('two roots → 4000', () => {
    rejects(() => xml.decode(`<m2m:rqp ${NS}><rqi>r7</rqi></m2m:rqp><m2m:rqp/>`), 'r7');
  });
  test('an m2m:rqp without op, or with op 9 → 4000 with the rqi', () => {
    rejects(() => xml.decode(`<m2m:rqp ${NS}><to>t</to><rqi>r8</rqi></m2m:rqp>`), 'r8', /"op"/);
    rejects(() => xml.decode(`<m2m:rqp ${NS}><op>9</op><to>t</to><rqi>r9</rqi></m2m:rqp>`), 'r9', /"op"/);
  });
  test('an m2m:rsp with a non-numeric rsc → 4000 naming rsc', () => {
    rejects(() => xml.decode(`<m2m:rsp ${NS}><rsc>OK</rsc><rqi>r10</rqi></m2m:rsp>`), 'r10', /"rsc"/);
  });
  test('an element named __proto__ → 4000', () => {
    rejects(() => xml.decode(`<m2m:rqp ${NS}><op>2</op><to>t</to><rqi>r11</rqi><fc><__proto__>1</__proto__></fc></m2m:rqp>`), 'r11');
  });
});

describe('malformed CBOR', () => {
  test('garbage bytes → 4000', () => {
    rejects(() => cbor.decode(Buffer.from([0xff, 0x00, 0x13])), undefined, /CBOR/);
    rejects(() => cbor.decode(Buffer.alloc(0)), undefined);
  });
  test('truncated map → 4000 carrying the rqi when its bytes are intact', () => {
    const full = referenceCbor({ rqi: 'r12', op: 2, to: 'cse-in/a/b/c', rvi: '3' });
    rejects(() => cbor.decode(full.subarray(0, full.length - 6)), 'r12');
  });
  test('a CBOR array or number at top level → 4000', () => {
    rejects(() => cbor.decode(referenceCbor([1, 2])), undefined);
    rejects(() => cbor.decode(referenceCbor(7)), undefined);
  });
  test('op 9 in CBOR → 4000 with the rqi', () => {
    rejects(() => cbor.decode(referenceCbor({ op: 9, to: 't', rqi: 'r13' })), 'r13', /"op"/);
  });
});
