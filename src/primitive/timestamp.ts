// m2m:timestamp, m2m:absRelTimestamp and xs:duration (TS-0004 6.3.3, ref E1).
// Pure and allocation-light: formatTimestamp runs once per message.
import type { AbsRelTimestamp } from './types.js';

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;

// Two-digit strings 00..99, so formatting is table lookups and concatenation.
const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + String(i));
const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

// The part up to the second changes at most once per second: cache it.
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * `YYYYMMDDThhmmss,ffffff` in UTC, six fraction digits like ACME (ref E1).
 * Millisecond precision, so the last three digits are always `000`.
 * Throws RangeError for an invalid date or a year outside 0..9999.
 */
export function formatTimestamp(date: Date | number): string {
  const ms = typeof date === 'number' ? date : date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('formatTimestamp: invalid date');
  const second = Math.floor(ms / MS_PER_SECOND);
  const fraction = ms - second * MS_PER_SECOND;
  if (second !== cachedSecond) {
    const d = new Date(second * MS_PER_SECOND);
    const year = d.getUTCFullYear();
    if (year < 0 || year > 9999) throw new RangeError('formatTimestamp: year out of range');
    cachedPrefix =
      PAD2[Math.floor(year / 100)]! + PAD2[year % 100]! + PAD2[d.getUTCMonth() + 1]! + PAD2[d.getUTCDate()]! +
      'T' + PAD2[d.getUTCHours()]! + PAD2[d.getUTCMinutes()]! + PAD2[d.getUTCSeconds()]! + ',';
    cachedSecond = second;
  }
  return cachedPrefix + PAD3[Math.floor(fraction)]! + '000';
}

// ISO 8601 basic format, fraction after `,` or `.` with 1-6 digits, optional
// zone designator that is parsed but ignored (ACME overwrites it with UTC, ref E1).
const TIMESTAMP_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:[.,](\d{1,6}))?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** m2m:timestamp → epoch milliseconds (UTC), or undefined when it is not one (ref E1). */
export function parseTimestamp(s: string): number | undefined {
  const m = TIMESTAMP_RE.exec(s);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0..99 literal, Date.UTC does not
  if (d.getUTCMonth() !== month - 1) return undefined; // e.g. 20230230
  const frac = m[7];
  const ms = frac === undefined ? 0 : Number((frac + '00').slice(0, 3));
  return d.getTime() + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * MS_PER_SECOND + ms;
}

/** True when `s` is an m2m:timestamp parseTimestamp accepts (gotcha 5: X-M2M-OT must be valid). */
export function isValidTimestamp(s: unknown): s is string {
  return typeof s === 'string' && parseTimestamp(s) !== undefined;
}

const DURATION_RE =
  /^([+-])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

function num(s: string | undefined): number {
  return s === undefined ? 0 : Number(s.replace(',', '.'));
}

/**
 * xs:duration (ISO 8601, e.g. `PT2S`, `P1Y2M3DT10H1M0S`) → milliseconds,
 * counted from `fromMs` so years and months are calendar-exact (ref E1).
 * Undefined when `s` is not a duration.
 */
export function parseDurationMs(s: string, fromMs = 0): number | undefined {
  const m = DURATION_RE.exec(s);
  if (m === null || s.endsWith('T') || s === 'P' || s === '+P' || s === '-P') return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const years = num(m[2]);
  const months = num(m[3]);
  let ms =
    num(m[4]) * 7 * MS_PER_DAY + num(m[5]) * MS_PER_DAY + num(m[6]) * MS_PER_HOUR +
    num(m[7]) * MS_PER_MINUTE + num(m[8]) * MS_PER_SECOND;
  if (years !== 0 || months !== 0) {
    // Calendar part: whole months from fromMs, fractional months as 30 days.
    const totalMonths = years * 12 + months;
    const whole = Math.trunc(totalMonths);
    const d = new Date(fromMs);
    d.setUTCMonth(d.getUTCMonth() + sign * whole);
    ms += sign * (d.getTime() - fromMs) + (totalMonths - whole) * 30 * MS_PER_DAY;
  }
  return Math.round(sign * ms);
}

const INTEGER_RE = /^[+-]?\d+$/;

/**
 * m2m:absRelTimestamp → absolute epoch ms (ref E1): an m2m:timestamp; a
 * relative offset in ms as a number or numeric string; or, like ACME, an ISO
 * 8601 duration such as `PT2S` relative to `nowMs`. Undefined otherwise.
 */
export function absRelToEpochMs(v: string | number, nowMs: number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? nowMs + v : undefined;
  if (INTEGER_RE.test(v)) return nowMs + Number(v);
  const abs = parseTimestamp(v);
  if (abs !== undefined) return abs;
  const dur = parseDurationMs(v, nowMs);
  return dur === undefined ? undefined : nowMs + dur;
}

/**
 * absRelTimestamp as carried in an HTTP header or query (always text) → the
 * primitive value: a relative offset in ms that is a safe integer becomes a
 * number (JSON carries numeric values as numbers, ref E1); anything else
 * (timestamp, duration) stays the string it was.
 */
export function absRelFromText(s: string): AbsRelTimestamp {
  if (INTEGER_RE.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
  }
  return s;
}
