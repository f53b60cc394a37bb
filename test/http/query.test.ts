// Every query parameter of reference B4 and every filterCriteria member of A8,
// both directions (TS-0009 6.2.2.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FC_QUERY_KINDS, toHttpRequest } from '../../src/http/to-http-request.js';
import { fromHttpRequest } from '../../src/http/from-http-request.js';
import { PrimitiveDecodeError } from '../../src/errors.js';
import type { RequestPrimitive } from '../../src/primitive/types.js';
import { json } from './json-content.js';

const contentFor = () => json;

const BASE: RequestPrimitive = { op: 2, to: 'cse-in', fr: 'Cmyae', rqi: 'q1', rvi: '3' };

function parse(query: string, method = 'GET'): RequestPrimitive {
  return fromHttpRequest({ method, path: '/cse-in?' + query, headers: { 'x-m2m-ri': 'q1' }, body: undefined }, 'x', contentFor);
}

interface Row {
  what: string;
  /** members merged into BASE */
  members: Partial<RequestPrimitive>;
  /** the exact query string toHttpRequest must produce */
  query: string;
  /** what fromHttpRequest gives back, when it is not `members` */
  back?: Partial<RequestPrimitive>;
}

/** One table: B4 request parameters, then every A8 member. */
const ROWS: readonly Row[] = [
  // B4
  { what: 'rcn', members: { rcn: 4 }, query: 'rcn=4' },
  { what: 'rcn 0', members: { rcn: 0 }, query: 'rcn=0' },
  { what: 'rt (= rtv)', members: { rt: { rtv: 1 } }, query: 'rt=1' },
  { what: 'rt noResponse', members: { rt: { rtv: 5 } }, query: 'rt=5' },
  { what: 'rp relative ms', members: { rp: 3600000 }, query: 'rp=3600000' },
  { what: 'rp absolute', members: { rp: '20300101T000000' }, query: 'rp=20300101T000000' },
  { what: 'rp duration (TS-0009 example)', members: { rp: 'P1Y2M3DT10H1M0S' }, query: 'rp=P1Y2M3DT10H1M0S' },
  { what: 'da true', members: { da: true }, query: 'da=true' },
  { what: 'da false', members: { da: false }, query: 'da=false' },
  { what: 'drt', members: { drt: 2 }, query: 'drt=2' },
  { what: 'sqi', members: { sqi: true }, query: 'sqi=true' },
  { what: 'rids (one)', members: { rids: ['role1'] }, query: 'rids=role1' },
  { what: 'rids (repeated keys)', members: { rids: ['role1', 'role2'] }, query: 'rids=role1&rids=role2' },
  { what: 'tids', members: { tids: ['tk1', 'tk2'] }, query: 'tids=tk1&tids=tk2' },
  { what: 'ltids', members: { ltids: ['lt1', 'lt2'] }, query: 'ltids=lt1&ltids=lt2' },
  { what: 'tqi', members: { tqi: true }, query: 'tqi=true' },
  { what: 'asi', members: { asi: false }, query: 'asi=false' },
  { what: 'auri', members: { auri: true }, query: 'auri=true' },
  { what: 'ma (ACME)', members: { ma: 'PT10S' }, query: 'ma=PT10S' },
  { what: 'atrl from pc m2m:atrl', members: { pc: { 'm2m:atrl': ['lbl', 'poa'] } }, query: 'atrl=lbl+poa' },
  { what: 'atrl with three names', members: { pc: { 'm2m:atrl': ['ri', 'lbl', 'rr'] } }, query: 'atrl=ri+lbl+rr' },
  { what: 'atrl with one name → to#attr on the way back', members: { pc: { 'm2m:atrl': ['lbl'] } }, query: 'atrl=lbl', back: { to: 'cse-in#lbl' } },
  // A8, every member
  { what: 'fc.crb', members: { fc: { crb: '20200101T000000' } }, query: 'crb=20200101T000000' },
  { what: 'fc.cra', members: { fc: { cra: '20200101T000000' } }, query: 'cra=20200101T000000' },
  { what: 'fc.ms', members: { fc: { ms: '20200101T000000' } }, query: 'ms=20200101T000000' },
  { what: 'fc.us', members: { fc: { us: '20200101T000000' } }, query: 'us=20200101T000000' },
  { what: 'fc.sts', members: { fc: { sts: 3 } }, query: 'sts=3' },
  { what: 'fc.stb', members: { fc: { stb: 1 } }, query: 'stb=1' },
  { what: 'fc.exb', members: { fc: { exb: '20300101T000000' } }, query: 'exb=20300101T000000' },
  { what: 'fc.exa', members: { fc: { exa: '20300101T000000' } }, query: 'exa=20300101T000000' },
  { what: 'fc.lbl', members: { fc: { lbl: ['room1', 'key:val'] } }, query: 'lbl=room1&lbl=key%3Aval' },
  { what: 'fc.clbl', members: { fc: { clbl: ['c1', 'c2'] } }, query: 'clbl=c1&clbl=c2' },
  { what: 'fc.palb', members: { fc: { palb: ['p1'] } }, query: 'palb=p1' },
  { what: 'fc.lbq (spaces kept, not a list)', members: { fc: { lbq: 'a AND b' } }, query: 'lbq=a%20AND%20b' },
  { what: 'fc.ty (repeated keys like ACME)', members: { fc: { ty: [3, 4] } }, query: 'ty=3&ty=4' },
  { what: 'fc.chty', members: { fc: { chty: [4] } }, query: 'chty=4' },
  { what: 'fc.pty', members: { fc: { pty: [2, 3] } }, query: 'pty=2&pty=3' },
  { what: 'fc.sza', members: { fc: { sza: 100 } }, query: 'sza=100' },
  { what: 'fc.szb', members: { fc: { szb: 2000 } }, query: 'szb=2000' },
  { what: 'fc.cty', members: { fc: { cty: ['application/json', 'text/plain:0'] } }, query: 'cty=application%2Fjson&cty=text%2Fplain%3A0' },
  { what: 'fc.atr → <nm>=<val>', members: { fc: { atr: [{ nm: 'cr', val: 'Sam' }] } }, query: 'cr=Sam' },
  { what: 'fc.atr (two)', members: { fc: { atr: [{ nm: 'cr', val: 'Sam' }, { nm: 'rn', val: 'c 1' }] } }, query: 'cr=Sam&rn=c%201' },
  { what: 'fc.catr → c.<nm>=<val>', members: { fc: { catr: [{ nm: 'lbl', val: 'x' }] } }, query: 'c.lbl=x' },
  { what: 'fc.patr → p.<nm>=<val>', members: { fc: { patr: [{ nm: 'rn', val: 'myAE' }] } }, query: 'p.rn=myAE' },
  { what: 'fc.fu', members: { fc: { fu: 1 } }, query: 'fu=1' },
  { what: 'fc.lim', members: { fc: { lim: 20 } }, query: 'lim=20' },
  { what: 'fc.smf (SPARQL, percent-encoded, never split)', members: { fc: { smf: ['SELECT ?s WHERE { ?s a ?t }'] } }, query: 'smf=SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20a%20%3Ft%20%7D' },
  { what: 'fc.fo', members: { fc: { fo: 2 } }, query: 'fo=2' },
  { what: 'fc.cfs', members: { fc: { cfs: 1 } }, query: 'cfs=1' },
  { what: 'fc.cfq (JSONPath)', members: { fc: { cfq: '$.a[?(@.b > 1)]' } }, query: 'cfq=%24.a%5B%3F(%40.b%20%3E%201)%5D' },
  { what: 'fc.lvl', members: { fc: { lvl: 2 } }, query: 'lvl=2' },
  { what: 'fc.ofst', members: { fc: { ofst: 3 } }, query: 'ofst=3' },
  { what: 'fc.arp', members: { fc: { arp: 'la/con' } }, query: 'arp=la%2Fcon' },
  { what: 'fc.gmty, geom, gsf', members: { fc: { gmty: 1, geom: '[1.5, 2.5]', gsf: 2 } }, query: 'gmty=1&geom=%5B1.5%2C%202.5%5D&gsf=2' },
  { what: 'fc.aq (ACME)', members: { fc: { aq: 'lbl=="a"' } }, query: 'aq=lbl%3D%3D%22a%22' },
  // ACME-style plain attribute members of fc (ref A8)
  { what: 'ACME-style fc.cr → cr=<val>', members: { fc: { cr: 'Sam' } }, query: 'cr=Sam', back: { fc: { atr: [{ nm: 'cr', val: 'Sam' }] } } },
  { what: 'ACME-style numeric fc member', members: { fc: { st: 5 } }, query: 'st=5', back: { fc: { atr: [{ nm: 'st', val: '5' }] } } },
  { what: 'ACME-style list fc member → repeated keys', members: { fc: { acpi: ['a1', 'a2'] } }, query: 'acpi=a1&acpi=a2', back: { fc: { atr: [{ nm: 'acpi', val: 'a1' }, { nm: 'acpi', val: 'a2' }] } } },
  // order: B4 parameters, then fc in the primitive's member order
  {
    what: 'several at once keep the documented order',
    members: { rcn: 1, drt: 2, rt: { rtv: 3 }, fc: { lim: 5, fu: 1, ty: [3] } },
    query: 'rcn=1&rt=3&drt=2&lim=5&fu=1&ty=3',
  },
];

for (const row of ROWS) {
  const primitive: RequestPrimitive = { ...BASE, ...row.members };
  test(`B4/A8 primitive → query: ${row.what} → '${row.query}'`, () => {
    assert.equal(toHttpRequest(primitive, json).path, '/cse-in?' + row.query);
  });
  test(`B4/A8 query → primitive: '${row.query}' → ${row.what}`, () => {
    const got = parse(row.query);
    for (const [k, v] of Object.entries(row.back ?? row.members)) assert.deepEqual(got[k as keyof RequestPrimitive], v, k);
  });
}

test('A8: the test table covers every filterCriteria member of the source table', () => {
  const covered = new Set<string>();
  for (const row of ROWS) for (const k of Object.keys(row.members.fc ?? {})) covered.add(k);
  for (const k of Object.keys(FC_QUERY_KINDS)) assert.ok(covered.has(k), k);
});

/** Query forms only seen on the way in (spec examples, form encoding, ACME). */
const REVERSE_ONLY: ReadonlyArray<readonly [string, string, Partial<RequestPrimitive>]> = [
  ['"+"-joined list (spec example)', 'ty=2+3+4', { fc: { ty: [2, 3, 4] } }],
  ['%20-joined list', 'lbl=a%20b', { fc: { lbl: ['a', 'b'] } }],
  ['repeated and "+"-joined mixed', 'ty=2+3&ty=4', { fc: { ty: [2, 3, 4] } }],
  ['%2B inside a value is a literal +, not a separator', 'lbl=a%2Bb', { fc: { lbl: ['a+b'] } }],
  ['atrl "+"-joined', 'atrl=ri+lbl', { pc: { 'm2m:atrl': ['ri', 'lbl'] } }],
  ['atrl repeated keys', 'atrl=ri&atrl=lbl', { pc: { 'm2m:atrl': ['ri', 'lbl'] } }],
  ['rids "+"-joined', 'rids=r1+r2', { rids: ['r1', 'r2'] }],
  ['boolean 1', 'da=1&tqi=1&asi=1&auri=1&sqi=1', { da: true, tqi: true, asi: true, auri: true, sqi: true }],
  ['boolean 0', 'da=0&tqi=0&asi=0&auri=0&sqi=0', { da: false, tqi: false, asi: false, auri: false, sqi: false }],
  ['boolean TRUE', 'da=TRUE', { da: true }],
  ['c.<nm> → catr, p.<nm> → patr, others → atr', 'c.ty=4&p.rn=x&cr=Sam', { fc: { catr: [{ nm: 'ty', val: '4' }], patr: [{ nm: 'rn', val: 'x' }], atr: [{ nm: 'cr', val: 'Sam' }] } }],
  ['unknown key with "+" keeps the space (attribute values are not split)', 'rn=a+b', { fc: { atr: [{ nm: 'rn', val: 'a b' }] } }],
  ['key without "="', 'cr', { fc: { atr: [{ nm: 'cr', val: '' }] } }],
  ['empty fields are skipped', '&&rcn=1&', { rcn: 1 }],
  ['"c." alone is an ordinary attribute name', 'c.=1', { fc: { atr: [{ nm: 'c.', val: '1' }] } }],
  ['percent-encoded key', 'l%62l=x', { fc: { lbl: ['x'] } }],
  ['ty in the query is the filter, never the CREATE type (gotcha 7)', 'ty=2', { fc: { ty: [2] }, ty: undefined }],
];
for (const [what, query, expected] of REVERSE_ONLY) {
  test(`B4/A8 query → primitive: ${what}: '${query}'`, () => {
    const got = parse(query);
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(got[k as keyof RequestPrimitive], v, k);
  });
}

const BAD: ReadonlyArray<readonly [string, string]> = [
  ['non-integer rcn', 'rcn=all'],
  ['empty rcn', 'rcn='],
  ['non-integer rt', 'rt=x'],
  ['non-integer drt', 'drt=2.5'],
  ['non-boolean da', 'da=yes'],
  ['non-boolean tqi', 'tqi='],
  ['non-integer fc.lim', 'lim=ten'],
  ['non-integer in fc.ty list', 'ty=3+x'],
  ['malformed percent-encoding', 'lbl=%ZZ'],
];
for (const [what, query] of BAD) {
  test(`B4/A8 query → primitive: ${what} is a PrimitiveDecodeError with the rqi`, () => {
    assert.throws(() => parse(query), (err: unknown) => err instanceof PrimitiveDecodeError && err.rqi === 'q1');
  });
}

test('B9 step 8: the primitive ty never goes into the query, fc.ty does', () => {
  const create = toHttpRequest({ ...BASE, op: 1, ty: 3, pc: { 'm2m:cnt': {} } }, json);
  assert.equal(create.path, '/cse-in');
  const discovery = toHttpRequest({ ...BASE, fc: { fu: 1, ty: [4] } }, json);
  assert.equal(discovery.path, '/cse-in?fu=1&ty=4');
  assert.throws(() => toHttpRequest({ ...BASE, ty: 3, fc: { fu: 1, ty: [4] } }, json), /ty is only allowed in CREATE/); // issue 15: refused, not dropped
});

test('A8: undefined fc members and null list items are skipped', () => {
  assert.equal(toHttpRequest({ ...BASE, fc: { lim: undefined, lbl: ['a', null as unknown as string] } }, json).path, '/cse-in?lbl=a');
});

test('A8: malformed atr/catr/patr are a PrimitiveDecodeError', () => {
  assert.throws(() => toHttpRequest({ ...BASE, fc: { atr: 'cr' as never } }, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ ...BASE, fc: { catr: [{ val: 1 }] as never } }, json), PrimitiveDecodeError);
});

test('A8: an object attribute value is sent as JSON text', () => {
  assert.equal(toHttpRequest({ ...BASE, fc: { atr: [{ nm: 'loc', val: { a: 1 } }] } }, json).path, '/cse-in?loc=%7B%22a%22%3A1%7D');
});

test('A1 note 2: RETRIEVE content other than m2m:atrl is a PrimitiveDecodeError', () => {
  assert.throws(() => toHttpRequest({ ...BASE, pc: { 'm2m:cnt': {} } }, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ ...BASE, pc: { 'm2m:atrl': 'lbl' } }, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ ...BASE, pc: { 'm2m:atrl': [1] } }, json), PrimitiveDecodeError);
  assert.throws(() => toHttpRequest({ ...BASE, pc: { 'm2m:atrl': ['a'], x: 1 } }, json), PrimitiveDecodeError);
});

test('B2 notes: several atrl with a body already present keep the body and the list beside it (issue 15: nothing dropped)', () => {
  const got = fromHttpRequest(
    { method: 'PUT', path: '/cse-in?atrl=a+b', headers: { 'x-m2m-ri': '1', 'content-type': 'application/json' }, body: Buffer.from('{"m2m:cnt":{}}') },
    'x',
    contentFor,
  );
  assert.deepEqual(got.pc, { 'm2m:cnt': {}, 'm2m:atrl': ['a', 'b'] });
});
