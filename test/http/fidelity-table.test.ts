// Issue 15, "nothing is dropped": every operation × every primitive parameter
// through the TS-0009 mapping is either carried (it comes back equal from the
// reverse mapping) or refused with 4000 naming it — never lost. Both
// directions: request primitive → HTTP request → request primitive (uplink,
// and the downlink's HTTP → primitive), response primitive → HTTP answer →
// response primitive (the downlink's answer, and the uplink's CSE answer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHttpRequest } from '../../src/http/from-http-request.js';
import { fromHttpResponse } from '../../src/http/from-http-response.js';
import { toHttpRequest } from '../../src/http/to-http-request.js';
import { toHttpResponse } from '../../src/http/to-http-response.js';
import { REQUEST_PARAMETER_ORDER, RESPONSE_PARAMETER_ORDER } from '../../src/primitive/types.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/primitive/types.js';
import { json } from './json-content.js';

const OPS = { 1: 'CREATE', 2: 'RETRIEVE', 3: 'UPDATE', 4: 'DELETE', 5: 'NOTIFY' } as const;
type Op = keyof typeof OPS;

/** What each op needs anyway: CREATE its ty and content. */
function base(op: Op): RequestPrimitive {
  const req: RequestPrimitive = { op, to: 'cse-in/ae1', rqi: 'tbl' };
  if (op === 1) {
    req.ty = 3;
    req.pc = { 'm2m:cnt': { rn: 'c1' } };
  }
  return req;
}

/** One sample per request parameter (ref A1), in its JSON type. */
const REQUEST_SAMPLES: Readonly<Record<string, unknown>> = {
  op: undefined, // every row of the table
  to: 'cse-in/ae1/cnt1',
  fr: 'Cae1',
  rqi: 'r-42',
  ty: 3,
  pc: { 'm2m:cnt': { lbl: ['a'], mni: 5 } },
  rids: ['role1', 'role2'],
  ot: '20260101T120000,000000',
  rqet: '20991231T000000,000000',
  rset: 60000,
  oet: '20991231T000100,000000',
  rt: { rtv: 2, nu: ['/id-in/Cae1'] },
  rp: 'PT1H',
  rcn: 1,
  ec: 2,
  da: true,
  gid: 'g-1',
  fc: { lbl: ['x', 'y'], lim: 5, ty: [3, 4] },
  drt: 2,
  tkns: ['tok1', 'tok2'],
  tids: ['tid1'],
  ltids: ['lt1'],
  tqi: true,
  grtm: ['/id-in/m1'],
  asi: true,
  aus: ['sig1'],
  auri: false,
  sqi: true,
  rvi: '3',
  vsi: 'vendor-x',
  ma: 'PT1M',
};

/** `refused` rows (with why); every other op × parameter must be carried. */
function expected(op: Op, name: string): 'carried' | 'refused' {
  if (name === 'grtm') return 'refused'; // no mapping in TS-0009 (gotcha 19)
  if (name === 'ty' && op !== 1) return 'refused'; // only in the CREATE Content-Type
  if (name === 'pc' && (op === 2 || op === 4)) return 'refused'; // GET/DELETE have no body (only m2m:atrl)
  return 'carried';
}

test('the tables name every request and response parameter the bridge knows (a new one must be added here)', () => {
  assert.deepEqual(Object.keys(REQUEST_SAMPLES).sort(), [...REQUEST_PARAMETER_ORDER].sort());
  assert.deepEqual(Object.keys(RESPONSE_SAMPLES).sort(), [...RESPONSE_PARAMETER_ORDER].sort());
});

/** The HTTP request as the downlink door would receive it: path after `/r/<key>`, lower-case headers, Buffer body. */
function backToPrimitive(req: RequestPrimitive): RequestPrimitive {
  const http = toHttpRequest(req, json);
  const body = http.body === undefined ? undefined : Buffer.from(http.body);
  return fromHttpRequest({ method: http.method, path: http.path, headers: http.headers, body }, 'unused', () => json);
}

for (const opKey of Object.keys(OPS)) {
  const op = Number(opKey) as Op;
  for (const name of REQUEST_PARAMETER_ORDER) {
    if (name === 'op') continue;
    const outcome = expected(op, name);
    test(`${OPS[op]} × ${name}: ${outcome}`, () => {
      const req = { ...base(op), [name]: REQUEST_SAMPLES[name] } as RequestPrimitive;
      if (outcome === 'refused') {
        assert.throws(
          () => toHttpRequest(req, json),
          (err: Error & { rsc?: number; rqi?: string }) => err.rsc === 4000 && err.rqi === req.rqi && new RegExp(`\\b${name}\\b`).test(err.message),
        );
        return;
      }
      const back = backToPrimitive(req);
      assert.deepEqual((back as unknown as Record<string, unknown>)[name], REQUEST_SAMPLES[name], `${name} lost or changed: ${JSON.stringify(back)}`);
      assert.equal(back.op, op);
    });
  }
}

test('pc m2m:atrl is the atrl query on every operation, beside the body where there is one', () => {
  for (const opKey of Object.keys(OPS)) {
    const op = Number(opKey) as Op;
    const atrl = { 'm2m:atrl': ['lbl', 'rr'] };
    const req = { ...base(op), pc: op === 1 || op === 3 || op === 5 ? { 'm2m:cnt': { lbl: ['a'] }, ...atrl } : atrl };
    const http = toHttpRequest(req, json);
    assert.match(http.path, /\?atrl=lbl\+rr$/, OPS[op]);
    assert.deepEqual(backToPrimitive(req).pc, req.pc, OPS[op]);
  }
});

/** One sample per response parameter (ref A2). */
const RESPONSE_SAMPLES: Readonly<Record<string, unknown>> = {
  rsc: 2000,
  rqi: 'r-42',
  pc: { 'm2m:cnt': { rn: 'c1', mni: 5, lbl: ['a'] } },
  to: 'Cae1',
  fr: '/id-in',
  ot: '20260101T120000,000000',
  rset: '20991231T000000,000000',
  ec: 3,
  cnst: 2,
  cnot: 7,
  ati: { ltia: [{ lti: 'l1', tkid: 't1' }, { lti: 'l2', tkid: 't2' }] },
  tqf: { 'm2m:tqf': { dasi: ['x'] } },
  asri: true,
  rvi: '3',
  vsi: 'vendor-x',
};

/**
 * Not carried, and why: TS-0009 gives the response `to` no header (the HTTP
 * exchange itself says whom the answer is for); `tqf` is the body of a 4103
 * answer only, so it arrives as that answer's content. Anything else lost fails.
 */
const RESPONSE_NOT_CARRIED: Readonly<Record<string, string>> = {
  to: 'no HTTP header in TS-0009 (ref B3)',
  tqf: 'only as the body of a 4103 answer (TS-0009 6.5); arrives as pc',
};

for (const name of RESPONSE_PARAMETER_ORDER) {
  const why = RESPONSE_NOT_CARRIED[name];
  test(`response × ${name}: ${why === undefined ? 'carried' : `not carried — ${why}`}`, () => {
    const rsp = { rsc: 2000, rqi: 'r-42', rvi: '3', [name]: RESPONSE_SAMPLES[name] } as ResponsePrimitive;
    if (name === 'tqf') rsp.rsc = 4103;
    const http = toHttpResponse(rsp, json, rsp.rqi);
    const back = fromHttpResponse(
      { op: 2, to: 'x', rqi: rsp.rqi },
      { status: http.status, headers: http.headers, body: http.body === undefined ? undefined : Buffer.from(http.body) },
      () => json,
    );
    assert.notEqual(back, null);
    const value = (back as unknown as Record<string, unknown>)[name];
    if (name === 'tqf') {
      assert.deepEqual(back!.pc, RESPONSE_SAMPLES.tqf, 'the 4103 body arrives whole');
      return;
    }
    if (why !== undefined) {
      assert.equal(value, undefined);
      return;
    }
    assert.deepEqual(value, RESPONSE_SAMPLES[name], `${name} lost or changed: ${JSON.stringify(back)}`);
  });
}
