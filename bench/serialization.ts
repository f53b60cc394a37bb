// Encode/decode cost per primitive for json, cbor and xml: the same NOTIFY
// request and the same 2001 response, timed in one run.
import { codecFor } from '../src/primitive/codecs.js';
import type { RequestPrimitive, ResponsePrimitive, Serialization } from '../src/primitive/types.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20000);

const notify: RequestPrimitive = {
  op: 5, to: 'Cmyae', fr: '/id-in', rqi: '4711', rvi: '3', ot: '20240101T120000,123456',
  pc: { 'm2m:sgn': { nev: { net: 3, rep: { 'm2m:cin': { rn: 'cin_1', ty: 4, ri: 'cin123', pi: 'cnt1', ct: '20240101T120000', lt: '20240101T120000', st: 1, cs: 2, con: '21', lbl: ['room1', 'temp'] } } }, sur: '/id-in/sub123' } },
};
const created: ResponsePrimitive = {
  rsc: 2001, rqi: 'A1000', rvi: '3', ot: '20240101T120000,123456',
  pc: { 'm2m:ae': { rn: 'SmartHomeApplication', ty: 2, ri: 'Cae1', pi: 'id-in', ct: '20160506T153208', lt: '20160506T153208', acpi: ['acp1', 'acp2'], et: '20180506T153208', aei: 'Cae1', api: 'Na56', rr: true, poa: ['http://127.0.0.1:8181/r/key'], srv: ['3'] } },
};

function time(fn: () => void): number {
  for (let i = 0; i < 1000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn();
  return Number(process.hrtime.bigint() - t0) / ITERATIONS / 1000;
}

const rows: string[] = [];
for (const s of ['json', 'cbor', 'xml'] as Serialization[]) {
  const c = codecFor(s);
  const req = c.encodeRequest(notify);
  const rsp = c.encodeResponse(created);
  const encReq = time(() => c.encodeRequest(notify));
  const decReq = time(() => c.decode(req));
  const encRsp = time(() => c.encodeResponse(created));
  const decRsp = time(() => c.decode(rsp));
  const size = (x: Buffer | string) => (typeof x === 'string' ? Buffer.byteLength(x) : x.length);
  rows.push(`${s.padEnd(5)} notify: encode ${encReq.toFixed(2).padStart(6)} µs  decode ${decReq.toFixed(2).padStart(6)} µs  (${size(req)} B)   ae 2001: encode ${encRsp.toFixed(2).padStart(6)} µs  decode ${decRsp.toFixed(2).padStart(6)} µs  (${size(rsp)} B)`);
}
console.log(`serialization, ${ITERATIONS} iterations each`);
for (const r of rows) console.log(r);
