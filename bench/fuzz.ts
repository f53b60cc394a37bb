// Long-running fuzzer: the codec, TS-0009 mapping and config properties of
// test/fuzz/properties.ts with a large number of inputs.
//
//   npx tsx bench/fuzz.ts                 # 1,000,000 inputs in total
//   FUZZ_RUNS=100000 npx tsx bench/fuzz.ts
//   FUZZ_SEED=42 FUZZ_ONLY=cbor npx tsx bench/fuzz.ts
//
// Prints inputs/s per property and overall, and every counterexample (with
// the seed and path to replay it). Exit code 1 when a property failed that is
// not a known bug (those are listed as "known").
import fc from 'fast-check';
import { allPureProperties } from '../test/fuzz/properties.js';

// the yaml parser warns (process warnings) about odd tags in random input: noise here
process.removeAllListeners('warning');

const TOTAL = Number(process.env.FUZZ_RUNS ?? 1_000_000);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(process.env.FUZZ_SEED);
const ONLY = process.env.FUZZ_ONLY;

const props = allPureProperties().filter((p) => ONLY === undefined || p.name.includes(ONLY));
const weightSum = props.reduce((s, p) => s + (p.weight ?? 1), 0);

console.log(`fuzzing ${props.length} properties with ${TOTAL.toLocaleString('en')} inputs in total (seed ${SEED})`);
let inputs = 0;
let failures = 0;
let known = 0;
const startAll = process.hrtime.bigint();
for (const p of props) {
  const numRuns = Math.max(1, Math.round((TOTAL * (p.weight ?? 1)) / weightSum));
  const start = process.hrtime.bigint();
  const details = fc.check(p.property, { numRuns, seed: SEED, endOnFailure: false });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const ran = details.numRuns;
  inputs += ran;
  const rate = ran / seconds;
  const status = details.failed ? (p.bug !== undefined ? 'KNOWN BUG' : 'FAILED') : 'ok';
  console.log(`${status.padEnd(9)} ${String(ran).padStart(9)} inputs ${seconds.toFixed(1).padStart(7)} s ${rate.toFixed(0).padStart(8)}/s  [${p.area}] ${p.name}`);
  if (details.failed) {
    if (p.bug !== undefined) known++;
    else failures++;
    const ce = JSON.stringify(details.counterexample, (_k, v: unknown) => (typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}…(${v.length} chars)` : v));
    console.log(`          counterexample (seed ${details.seed}, path "${details.counterexamplePath ?? ''}"): ${(ce ?? 'undefined').slice(0, 2000)}`);
    const err = details.errorInstance;
    console.log(`          ${err instanceof Error ? err.message.split('\n').slice(0, 3).join(' | ') : String(err)}`);
    if (p.bug !== undefined) console.log(`          ${p.bug}`);
  }
}
const total = Number(process.hrtime.bigint() - startAll) / 1e9;
console.log(`\n${inputs.toLocaleString('en')} inputs in ${total.toFixed(1)} s: ${(inputs / total).toFixed(0)} inputs/s; ${failures} failed, ${known} known bugs`);
process.exitCode = failures > 0 ? 1 : 0;
