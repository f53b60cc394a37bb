// primitive → toHttpRequest → fromHttpRequest gives back the primitive, for a
// large table of primitives (every op × every `to` form × every parameter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHttpRequest } from '../../src/http/to-http-request.js';
import { fromHttpRequest } from '../../src/http/from-http-request.js';
import { toHttpResponse } from '../../src/http/to-http-response.js';
import { fromHttpResponse } from '../../src/http/from-http-response.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { json } from './json-content.js';

const contentFor = () => json;

function roundTrip(req: RequestPrimitive): RequestPrimitive {
  const out = toHttpRequest(req, json);
  const body = out.body === undefined ? undefined : Buffer.from(out.body);
  return fromHttpRequest({ method: out.method, path: out.path, headers: out.headers, body }, 'unused-default', contentFor);
}

const TO_FORMS = [
  'cse-in/myAE',
  'Cmyae',
  '-/myAE/c1',
  '/id-in/cse-in/myAE',
  '/id-in',
  '//sp.example.com/id-in/cse-in/myAE',
  'cse-in/my AE/ä?%&=+',
] as const;

/** The body-carrying part of each op: what a valid primitive of that op has. */
const OPS: ReadonlyArray<readonly [string, Pick<RequestPrimitive, 'op' | 'ty' | 'pc'>]> = [
  ['CREATE', { op: 1, ty: 3, pc: { 'm2m:cnt': { rn: 'c1', lbl: ['a', 'b'], mni: 10 } } }],
  ['RETRIEVE', { op: 2 }],
  ['partial RETRIEVE', { op: 2, pc: { 'm2m:atrl': ['lbl', 'rn', 'ct'] } }],
  ['UPDATE', { op: 3, pc: { 'm2m:cnt': { lbl: null, mni: 5 } } }],
  ['DELETE', { op: 4 }],
  ['NOTIFY', { op: 5, pc: { 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { con: '21' } } }, sur: '/id-in/sub1' } } }],
];

const VARIANTS: ReadonlyArray<readonly [string, Partial<RequestPrimitive>]> = [
  ['minimal', {}],
  ['CSE-relative fr', { fr: 'Cmyae' }],
  ['SP-relative fr', { fr: '/id-in' }],
  ['absolute fr', { fr: '//sp.example.com/id-in/Cmyae' }],
  ['rvi 3', { rvi: '3' }],
  ['rvi 2a', { rvi: '2a' }],
  ['ot', { ot: '20240101T120000,123456' }],
  ['absolute rqet', { rqet: '20300101T000000' }],
  ['relative rqet', { rqet: 3600000 }],
  ['duration rqet', { rqet: 'PT2S' }],
  ['absolute rset', { rset: '20300101T000000,5' }],
  ['relative rset', { rset: 10000 }],
  ['oet', { oet: '20290101T000000' }],
  ['relative oet', { oet: 100 }],
  ['rt nonBlockingRequestSynch', { rt: { rtv: 1 } }],
  ['rt nonBlockingRequestAsynch with nu', { rt: { rtv: 2, nu: ['/id-in/Cmyae', 'http://n.example/x?y=1'] } }],
  ['rt blocking', { rt: { rtv: 3 } }],
  ['rt noResponse', { rt: { rtv: 5 } }],
  ['relative rp', { rp: 86400000 }],
  ['absolute rp', { rp: '20300101T000000' }],
  ['duration rp', { rp: 'P1Y2M3DT10H1M0S' }],
  ['rcn 0', { rcn: 0 }],
  ['rcn 1', { rcn: 1 }],
  ['rcn 4', { rcn: 4 }],
  ['rcn 12', { rcn: 12 }],
  ['ec immediate', { ec: 2 }],
  ['ec user-defined', { ec: 100 }],
  ['da true', { da: true }],
  ['da false', { da: false }],
  ['gid', { gid: 'grp-req-1' }],
  ['drt', { drt: 2 }],
  ['tkns', { tkns: ['eyJh.eyJi.c2ln', 'eyJj.eyJk.c2lo'] }],
  ['tids', { tids: ['tk-1', 'tk-2'] }],
  ['ltids', { ltids: ['lt1'] }],
  ['tqi', { tqi: true }],
  ['asi', { asi: false }],
  ['aus', { aus: ['c2ln', 'c2lo'] }],
  ['auri', { auri: true }],
  ['sqi', { sqi: true }],
  ['vsi', { vsi: 'vendor:x' }],
  ['ma', { ma: 'PT10S' }],
  ['rids', { rids: ['role-1', 'role-2'] }],
  ['discovery fc', { fc: { fu: 1, ty: [2, 3], lbl: ['room1', 'floor 2'.replace(' ', '-')], lim: 10, ofst: 2, lvl: 1 } }],
  ['time and size fc', { fc: { crb: '20250101T000000', cra: '20200101T000000', ms: '20210101T000000', us: '20260101T000000', exb: '20300101T000000', exa: '20240101T000000', sts: 5, stb: 1, sza: 10, szb: 1000 } }],
  ['content type fc', { fc: { cty: ['application/json', 'text/plain:1'] } }],
  ['attribute filters', { fc: { atr: [{ nm: 'cr', val: 'Sam' }, { nm: 'rn', val: 'a b+c' }], catr: [{ nm: 'lbl', val: 'x' }], patr: [{ nm: 'ty', val: '2' }] } }],
  ['semantic filter', { fc: { smf: ['SELECT ?s WHERE { ?s ?p ?o }', 'ASK { ?x a ?y }'] } }],
  ['content filter', { fc: { cfs: 1, cfq: '$.m2m:cin[?(@.con > 20)]' } }],
  ['label query and relatives', { fc: { lbq: 'lbl = a & lbl = b', clbl: ['c1'], palb: ['p1', 'p2'], chty: [4], pty: [3], arp: 'la', aq: 'x == 1', fo: 2 } }],
  ['geo query', { fc: { gmty: 1, geom: '[[1.0, 2.0], [3.0, 4.0]]', gsf: 2 } }],
  ['everything at once', {
    fr: 'Cmyae', rvi: '3', ot: '20240101T000000', rqet: 5000, rset: '20300101T000000', oet: 'PT1S',
    rt: { rtv: 2, nu: ['Cmyae'] }, rp: 'PT1H', rcn: 1, ec: 3, da: true, gid: 'g', drt: 1,
    tkns: ['a.b.c'], tids: ['t'], ltids: ['l'], tqi: false, aus: ['s'], asi: true, auri: false,
    sqi: false, vsi: 'v', ma: 'PT1M', rids: ['r'],
    fc: { fu: 2, ty: [4], lbl: ['x'], atr: [{ nm: 'con', val: '21' }], lim: 1 },
  }],
];

let count = 0;
for (const [variant, members] of VARIANTS) {
  for (const [opName, opPart] of OPS) {
    test(`round trip primitive → HTTP → primitive: ${opName} with ${variant}, every to form`, () => {
      for (const to of TO_FORMS) {
        const req: RequestPrimitive = { to, rqi: `rt-${++count}`, ...opPart, ...members };
        assert.deepEqual(roundTrip(req), req, `to = ${to}`);
      }
    });
  }
}

test('round trip: to#attr on RETRIEVE comes back as to#attr', () => {
  for (const to of TO_FORMS.filter((t) => !t.includes('#'))) {
    const req: RequestPrimitive = { op: 2, to: `${to}#lbl`, rqi: 'x', fr: 'C' };
    assert.deepEqual(roundTrip(req), req, to);
  }
});

test('round trip: rqi with spaces, slashes and non-token characters survives the X-M2M-RI header', () => {
  for (const rqi of ['a b', 'req/1?x=y', '"quoted"', '0', 'ünï'.normalize('NFC').replace(/[^\x00-\xff]/g, '')]) {
    const req: RequestPrimitive = { op: 2, to: 'cse-in', rqi };
    assert.deepEqual(roundTrip(req), req, rqi);
  }
});

// Responses: toHttpResponse → fromHttpResponse keeps every member that has an HTTP carrier.
const RESPONSES: ReadonlyArray<readonly [string, ResponsePrimitive]> = [
  ['minimal OK', { rsc: 2000, rqi: 'q', ot: '20240101T000000' }],
  ['CREATED with resource', { rsc: 2001, rqi: 'q', rvi: '3', ot: '20240101T000000', pc: { 'm2m:cnt': { rn: 'c1', ri: 'cnt1' } } }],
  ['CREATED with m2m:uri', { rsc: 2001, rqi: 'q', rvi: '3', ot: '20240101T000000', pc: { 'm2m:uri': 'cse-in/c1' } }],
  ['partial content', { rsc: 2000, rqi: 'q', ot: '20240101T000000', cnst: 1, cnot: 5, pc: { 'm2m:cin': { con: 'abc' } } }],
  ['all headers', {
    rsc: 2000, rqi: 'q', rvi: '5', fr: '/id-in', ot: '20240101T000000,123456', rset: 60000, ec: 4, vsi: 'v',
    cnst: 2, cnot: 1, ati: { ltia: [{ lti: 'l', tkid: 't' }] }, asri: true,
  }],
  ['error with dbg', { rsc: 4004, rqi: 'q', rvi: '3', ot: '20240101T000000', pc: { 'm2m:dbg': 'not found' } }],
  ['accepted async', { rsc: 1002, rqi: 'q', rvi: '3', ot: '20240101T000000', pc: { 'm2m:uri': 'cse-in/req1' } }],
];
for (const [what, rsp] of RESPONSES) {
  test(`round trip response primitive → HTTP → response primitive: ${what}`, () => {
    const out = toHttpResponse(rsp, json, rsp.rqi);
    const body = out.body === undefined ? undefined : Buffer.from(out.body);
    const back = fromHttpResponse({ op: 2, to: 'x', rqi: 'other' }, { status: out.status, headers: out.headers, body }, contentFor);
    assert.deepEqual(back, rsp);
  });
}
