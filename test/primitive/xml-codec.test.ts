import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { xmlCodec } from '../../src/primitive/xml-codec.js';
import type { JsonObject, JsonValue, RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';

const NS = 'xmlns:m2m="http://www.onem2m.org/xml/protocols"';
const dir = fileURLToPath(new URL('../fixtures/primitives/resources/', import.meta.url));

// Canonical form for comparing XML: namespace declarations dropped, attributes
// sorted, whitespace between elements ignored, empty elements normalised.
const canonParser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
});
type Node = Record<string, unknown>;
function canon(nodes: Node[]): string {
  let s = '';
  for (const node of nodes) {
    if ('#text' in node) {
      const t = String(node['#text']);
      if (t.trim() !== '') s += t;
      continue;
    }
    const name = Object.keys(node).find((k) => k !== ':@')!;
    const attrs = Object.entries((node[':@'] ?? {}) as Record<string, string>)
      .filter(([k]) => !k.startsWith('xmlns'))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
      .join('');
    s += `<${name}${attrs}>${canon(node[name] as Node[])}</${name}>`;
  }
  return s;
}
const canonical = (xml: string): string => canon(canonParser.parse(xml) as Node[]);

function content(xml: string): JsonObject {
  return xmlCodec.decodeContent(Buffer.from(xml));
}
function member(obj: JsonValue, ...path: (string | number)[]): JsonValue {
  let v: JsonValue = obj;
  for (const p of path) v = (v as Record<string | number, JsonValue>)[p];
  return v;
}
function request(xml: string): RequestPrimitive {
  const p = xmlCodec.decode(xml);
  assert.equal(p.kind, 'request');
  return p.primitive as RequestPrimitive;
}
function response(xml: string): ResponsePrimitive {
  const p = xmlCodec.decode(xml);
  assert.equal(p.kind, 'response');
  return p.primitive as ResponsePrimitive;
}
const rqp = (inner: string): string => `<m2m:rqp ${NS}><op>1</op><to>cse-in</to><fr>C1</fr><rqi>x1</rqi>${inner}<rvi>3</rvi></m2m:rqp>`;

describe('XML → JSON → XML loses nothing for every resource type of Appendix 1', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.xml')).sort();
  test('all 15 resource types are covered', () => {
    assert.deepEqual(
      files.map((f) => f.slice(0, -4)),
      ['acp', 'ae', 'cb', 'cin', 'cnt', 'crs', 'csr', 'fcnt', 'grp', 'nod', 'pch', 'sub', 'smd', 'ts', 'tsi'].sort(),
    );
  });
  for (const file of files) {
    test(`${file}: canonical XML survives decodeContent → JSON text → encodeContent`, () => {
      const xml = readFileSync(dir + file, 'utf8');
      const viaJson = JSON.parse(JSON.stringify(content(xml))) as JsonObject;
      const back = xmlCodec.encodeContent(viaJson) as string;
      assert.equal(canonical(back), canonical(xml));
      assert.deepEqual(content(back), viaJson);
    });
  }

  test('acp: pv/acr repeated, acor list, acop number, acco/acip/acod typed', () => {
    const acp = content(readFileSync(dir + 'acp.xml', 'utf8'))['m2m:acp'] as JsonObject;
    const acr = member(acp, 'pv', 'acr') as JsonObject[];
    assert.equal(acr.length, 2);
    assert.deepEqual(acr[0].acor, ['Cmyae', 'Cother']);
    assert.equal(acr[0].acop, 63);
    assert.equal(acr[0].acaf, true);
    assert.deepEqual(member(acr[0], 'acco', 0, 'acip', 'ipv4'), ['192.168.0.1', '10.0.0.1']);
    assert.deepEqual(member(acr[0], 'acco', 0, 'aclr', 'accr'), [52.5, 13.4, 1000]);
    assert.deepEqual(member(acr[0], 'acod', 0), { chty: [3, 4], ty: 3 });
    assert.deepEqual(member(acp, 'pvs', 'acr'), [{ acor: ['CAdmin'], acop: 63 }]);
  });

  test('sub: enc.net is a list, enc.atr a list of names, om repeated, bn/rl complex', () => {
    const sub = content(readFileSync(dir + 'sub.xml', 'utf8'))['m2m:sub'] as JsonObject;
    assert.deepEqual(member(sub, 'enc', 'net'), [1, 3, 4]);
    assert.deepEqual(member(sub, 'enc', 'atr'), ['lbl', 'con']);
    assert.deepEqual(member(sub, 'enc', 'om'), [{ ops: 1, or: 'Cmyae' }, { ops: 3 }]);
    assert.deepEqual(member(sub, 'enc', 'md'), { dur: 'PT1M', num: 3 });
    assert.deepEqual(sub.bn, { num: 5, dur: 'PT5S' });
    assert.deepEqual(sub.rl, { mnn: 10, tww: 'PT1M' });
    assert.deepEqual(sub.nu, ['Cmyae', 'http://x.example/n']);
    assert.equal(sub.ln, true);
    assert.equal(sub.nct, 1);
  });

  test('crs: encs.enc is always a list, srat a list of IDs', () => {
    const crs = content(readFileSync(dir + 'crs.xml', 'utf8'))['m2m:crs'] as JsonObject;
    assert.deepEqual(member(crs, 'encs', 'enc'), [{ net: [1] }, { net: [3, 4], chty: [4] }]);
    assert.deepEqual(crs.srat, ['sub1']);
  });

  test('fcnt: the hd: prefix stays in the JSON key, custom attributes stay strings', () => {
    const fc = content(readFileSync(dir + 'fcnt.xml', 'utf8'));
    assert.deepEqual(Object.keys(fc), ['hd:binarySwitch']);
    const sw = fc['hd:binarySwitch'] as JsonObject;
    assert.equal(sw.rn, 'switch1');
    assert.equal(sw.ty, 28);
    assert.equal(sw.powerSe, 'true');
    assert.equal(sw.fcied, true);
    const back = xmlCodec.encodeContent(fc) as string;
    assert.match(back, /^<hd:binarySwitch xmlns:m2m="[^"]+" xmlns:hd="http:\/\/www\.onem2m\.org\/xml\/protocols\/homedomain" rn="switch1">/);
  });

  test('cb: srt is a number list, empty pi is NULL', () => {
    const cb = content(readFileSync(dir + 'cb.xml', 'utf8'))['m2m:cb'] as JsonObject;
    assert.deepEqual(cb.srt, [1, 2, 3, 4, 5, 9, 14, 15, 16, 23, 28]);
    assert.equal(cb.pi, null);
    assert.equal(cb.cst, 1);
  });
});

describe('XML value types follow the tables', () => {
  test('<lbl>a b</lbl> → ["a","b"], <mni>10</mni> → 10, <rr>true</rr> → true, resource <ty>3</ty> → 3', () => {
    const req = request(rqp('<ty>3</ty><pc><m2m:cnt rn="c"><ty>3</ty><lbl>a b</lbl><mni>10</mni><rr>true</rr></m2m:cnt></pc>'));
    assert.deepEqual(req.pc, { 'm2m:cnt': { rn: 'c', ty: 3, lbl: ['a', 'b'], mni: 10, rr: true } });
    assert.equal(req.ty, 3);
  });

  test('<rvi>3</rvi> → "3" and <con>21</con> stays "21"', () => {
    const req = request(rqp('<pc><m2m:cin><con>21</con></m2m:cin></pc>'));
    assert.equal(req.rvi, '3');
    assert.deepEqual(req.pc, { 'm2m:cin': { con: '21' } });
  });

  test('<fc><ty>2 3</ty></fc> → [2,3], and one value is still a list', () => {
    const two = request(`<m2m:rqp ${NS}><op>2</op><to>cse-in</to><rqi>q</rqi><fc><ty>2 3</ty><fu>1</fu></fc></m2m:rqp>`);
    assert.deepEqual(two.fc, { ty: [2, 3], fu: 1 });
    const one = request(`<m2m:rqp ${NS}><op>2</op><to>cse-in</to><rqi>q</rqi><fc><ty>2</ty><lbl>x</lbl></fc></m2m:rqp>`);
    assert.deepEqual(one.fc, { ty: [2], lbl: ['x'] });
  });

  test('nev.net is one number, enc.net a list; nev.om one object, enc.om a list', () => {
    const sgn = content(`<m2m:sgn ${NS}><nev><net>1</net><om><ops>1</ops><or>C1</or></om></nev><sur>s</sur></m2m:sgn>`);
    assert.deepEqual(sgn, { 'm2m:sgn': { nev: { net: 1, om: { ops: 1, or: 'C1' } }, sur: 's' } });
    const sub = content(`<m2m:sub ${NS}><enc><net>1</net><om><ops>1</ops></om></enc></m2m:sub>`);
    assert.deepEqual(sub, { 'm2m:sub': { enc: { net: [1], om: [{ ops: 1 }] } } });
  });

  test('fc atr is a list of {nm,val}; enc atr a list of names', () => {
    const req = request(`<m2m:rqp ${NS}><op>2</op><to>t</to><rqi>q</rqi><fc><atr><nm>cr</nm><val>Sam</val></atr></fc></m2m:rqp>`);
    assert.deepEqual(req.fc, { atr: [{ nm: 'cr', val: 'Sam' }] });
  });

  test('request parameter lists and booleans: rids, tkns, da, rt.nu', () => {
    const req = request(rqp('<rids>r1 r2</rids><rt><rtv>2</rtv><nu>a b</nu></rt><da>false</da><tkns>t1</tkns>'));
    assert.deepEqual(req.rids, ['r1', 'r2']);
    assert.deepEqual(req.rt, { rtv: 2, nu: ['a', 'b'] });
    assert.equal(req.da, false);
    assert.deepEqual(req.tkns, ['t1']);
  });

  test('an empty <fr/> is an empty originator (AE registration), an empty rt.nu an empty list', () => {
    const req = request(rqp('<rt><rtv>2</rtv><nu/></rt>').replace('<fr>C1</fr>', '<fr></fr>'));
    assert.equal(req.fr, '');
    assert.deepEqual(req.rt, { rtv: 2, nu: [] });
  });

  test('unknown names keep their text as a string, repeated unknown elements become an array', () => {
    const c = content(`<m2m:cnt ${NS}><foo>12</foo><bar>1</bar><bar>2</bar></m2m:cnt>`);
    assert.deepEqual(c, { 'm2m:cnt': { foo: '12', bar: ['1', '2'] } });
    assert.equal(canonical(xmlCodec.encodeContent(c) as string), canonical(`<m2m:cnt><foo>12</foo><bar>1</bar><bar>2</bar></m2m:cnt>`));
  });

  test('inlined child resources become arrays, the pc element and rep stay single objects', () => {
    const rsp = response(
      `<m2m:rsp ${NS}><rsc>2000</rsc><rqi>q</rqi><pc><m2m:cnt rn="c"><m2m:cin rn="i1"><con>1</con></m2m:cin></m2m:cnt></pc></m2m:rsp>`,
    );
    assert.deepEqual(rsp.pc, { 'm2m:cnt': { rn: 'c', 'm2m:cin': [{ rn: 'i1', con: '1' }] } });
  });

  test('m2m:agn holds a list of m2m:sgn, m2m:agr a list of m2m:rsp', () => {
    const agn = content(`<m2m:agn ${NS}><m2m:sgn><sur>s1</sur></m2m:sgn></m2m:agn>`);
    assert.deepEqual(agn, { 'm2m:agn': { 'm2m:sgn': [{ sur: 's1' }] } });
    const agr = content(`<m2m:agr ${NS}><m2m:rsp><rsc>2000</rsc><rqi>a</rqi></m2m:rsp><m2m:rsp><rsc>4004</rsc><rqi>b</rqi></m2m:rsp></m2m:agr>`);
    assert.deepEqual(agr, { 'm2m:agr': { 'm2m:rsp': [{ rsc: 2000, rqi: 'a' }, { rsc: 4004, rqi: 'b' }] } });
  });

  test('numbers that do not parse stay text (nothing is lost)', () => {
    const c = content(`<m2m:cnt ${NS}><mni>lots</mni></m2m:cnt>`);
    assert.deepEqual(c, { 'm2m:cnt': { mni: 'lots' } });
  });

  test('xsi:nil="true" is NULL too', () => {
    const c = content(`<m2m:cnt ${NS} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><lbl xsi:nil="true"/></m2m:cnt>`);
    assert.deepEqual(c, { 'm2m:cnt': { lbl: null } });
  });
});

describe('XML primitive structure', () => {
  test('partial retrieve: <pc><atrl> and <pc><m2m:atrl> both give m2m:atrl; output uses the prefix', () => {
    const a = request(rqp('<pc><atrl>ri lbl rr</atrl></pc>'));
    const b = request(rqp('<pc><m2m:atrl>ri lbl rr</m2m:atrl></pc>'));
    assert.deepEqual(a.pc, { 'm2m:atrl': ['ri', 'lbl', 'rr'] });
    assert.deepEqual(b, a);
    assert.match(xmlCodec.encodeRequest(a) as string, /<pc><m2m:atrl>ri lbl rr<\/m2m:atrl><\/pc>/);
  });

  test('parameters are written in TS-0004 order whatever the object order', () => {
    const out = xmlCodec.encodeRequest({ rvi: '3', pc: { 'm2m:cnt': {} }, rqi: 'q', to: 't', op: 1, fr: 'C', ty: 3 }) as string;
    assert.equal(out, `<m2m:rqp ${NS}><op>1</op><to>t</to><fr>C</fr><rqi>q</rqi><ty>3</ty><pc><m2m:cnt/></pc><rvi>3</rvi></m2m:rqp>`);
  });

  test('NULL is written as an empty element and read back as null', () => {
    const req: RequestPrimitive = { op: 3, to: 't', rqi: 'q', pc: { 'm2m:cnt': { lbl: null, mni: 3 } }, rvi: '3' };
    const out = xmlCodec.encodeRequest(req) as string;
    assert.match(out, /<m2m:cnt><lbl\/><mni>3<\/mni><\/m2m:cnt>/);
    assert.deepEqual(xmlCodec.decode(out).primitive, req);
  });

  test('text and attributes are XML-escaped and come back unchanged', () => {
    const rsp: ResponsePrimitive = {
      rsc: 2000,
      rqi: 'a<b>&"c"',
      pc: { 'm2m:cnt': { rn: 'x"<&>\'y', lbl: ['a&b', '<c>'], con: 'line1\r\nline2 & "q"' } },
    };
    const out = xmlCodec.encodeResponse(rsp) as string;
    assert.ok(!out.includes('<c>'));
    assert.deepEqual(xmlCodec.decode(out).primitive, rsp);
  });

  test('undefined members are skipped', () => {
    const out = xmlCodec.encodeRequest({ op: 2, to: 't', rqi: 'q', fr: undefined, rvi: '3' }) as string;
    assert.ok(!out.includes('<fr'));
  });

  test('jsonLike con that XML cannot hold is written as JSON text', () => {
    const out = xmlCodec.encodeContent({ 'm2m:cin': { con: { 'a b': [1, [2]] } } }) as string;
    assert.deepEqual(content(out), { 'm2m:cin': { con: '{"a b":[1,[2]]}' } });
  });

  test('a member name that cannot be an XML element name is refused when encoding', () => {
    assert.throws(() => xmlCodec.encodeContent({ 'm2m:cnt': { '1bad': 1 } }), { code: 'BRIDGE_ERR_XML_ENCODE' });
  });

  test('content codec: one element with its namespace, and back', () => {
    const pc = { 'm2m:cnt': { rn: 'c1', mni: 10, lbl: ['a'] } };
    const out = xmlCodec.encodeContent(pc) as string;
    assert.equal(out, `<m2m:cnt ${NS} rn="c1"><mni>10</mni><lbl>a</lbl></m2m:cnt>`);
    assert.deepEqual(content(out), pc);
    assert.equal(xmlCodec.mediaType, 'application/xml');
    assert.equal(xmlCodec.binary, false);
  });

  test('content codec: simple global elements (m2m:uri, m2m:dbg, m2m:uril)', () => {
    const pcs: JsonObject[] = [{ 'm2m:uri': 'cse-in/a' }, { 'm2m:dbg': 'oops' }, { 'm2m:uril': ['a', 'b'] }];
    for (const pc of pcs) {
      assert.deepEqual(content(xmlCodec.encodeContent(pc) as string), pc);
    }
  });

  test('character references and predefined entities are decoded once; CDATA stays literal', () => {
    const req = request(rqp('<pc><m2m:cin rn="a&amp;&#x42;"><con><![CDATA[<x>&amp;]]>&#65;&#x42;&amp;#65;&apos;&quot;</con></m2m:cin></pc>'));
    assert.deepEqual(req.pc, { 'm2m:cin': { rn: 'a&B', con: '<x>&amp;AB&#65;\'"' } });
  });
});
