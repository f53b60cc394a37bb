// m2m:timestamp, absRelTimestamp, xs:duration (reference E1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  absRelFromText,
  absRelToEpochMs,
  formatTimestamp,
  isValidTimestamp,
  parseDurationMs,
  parseTimestamp,
} from '../../src/primitive/timestamp.js';

const FORMAT: ReadonlyArray<readonly [string, number, string]> = [
  ['epoch', 0, '19700101T000000,000000'],
  ['milliseconds become the first three of six fraction digits', Date.UTC(2023, 10, 5, 14, 18, 43, 152), '20231105T141843,152000'],
  ['single-digit fields are zero-padded', Date.UTC(2024, 0, 2, 3, 4, 5, 6), '20240102T030405,006000'],
  ['end of a leap day', Date.UTC(2024, 1, 29, 23, 59, 59, 999), '20240229T235959,999000'],
  ['far future', Date.UTC(9999, 11, 31, 23, 59, 59, 0), '99991231T235959,000000'],
  ['before the epoch', Date.UTC(1969, 11, 31, 23, 59, 59, 500), '19691231T235959,500000'],
];
for (const [what, ms, expected] of FORMAT) {
  test(`formatTimestamp: ${what} → ${expected}`, () => {
    assert.equal(formatTimestamp(ms), expected);
    assert.equal(formatTimestamp(new Date(ms)), expected);
  });
}

test('formatTimestamp is UTC whatever the local zone, and changes with the second (cache)', () => {
  const a = Date.UTC(2030, 5, 15, 12, 0, 0, 1);
  assert.equal(formatTimestamp(a), '20300615T120000,001000');
  assert.equal(formatTimestamp(a + 1000), '20300615T120001,001000');
  assert.equal(formatTimestamp(a), '20300615T120000,001000');
});

test('formatTimestamp of an invalid date throws RangeError', () => {
  assert.throws(() => formatTimestamp(Number.NaN), RangeError);
  assert.throws(() => formatTimestamp(new Date('nope')), RangeError);
});

test('formatTimestamp output always parses back to the same millisecond', () => {
  for (let ms = Date.UTC(2000, 0, 1); ms < Date.UTC(2001, 0, 1); ms += 7_777_777_777 / 1000) {
    const t = Math.floor(ms);
    assert.equal(parseTimestamp(formatTimestamp(t)), t);
  }
});

const PARSE: ReadonlyArray<readonly [string, number | undefined]> = [
  ['20160506T153208', Date.UTC(2016, 4, 6, 15, 32, 8)],
  ['20231105T141843,152179', Date.UTC(2023, 10, 5, 14, 18, 43, 152)],
  ['20231105T141843.152179', Date.UTC(2023, 10, 5, 14, 18, 43, 152)],
  ['20231105T141843,1', Date.UTC(2023, 10, 5, 14, 18, 43, 100)],
  ['20231105T141843,12', Date.UTC(2023, 10, 5, 14, 18, 43, 120)],
  ['20231105T141843,123456', Date.UTC(2023, 10, 5, 14, 18, 43, 123)],
  ['20231105T141843Z', Date.UTC(2023, 10, 5, 14, 18, 43)],
  ['20231105T141843,5Z', Date.UTC(2023, 10, 5, 14, 18, 43, 500)],
  ['20231105T141843+02:00', Date.UTC(2023, 10, 5, 14, 18, 43)], // offset ignored like ACME
  ['20231105T141843-0530', Date.UTC(2023, 10, 5, 14, 18, 43)],
  ['20231105T141843+02', Date.UTC(2023, 10, 5, 14, 18, 43)],
  ['20240229T000000', Date.UTC(2024, 1, 29)],
  ['00500101T000000', new Date('0050-01-01T00:00:00Z').getTime()],
  // not m2m:timestamps
  ['', undefined],
  ['20231105', undefined],
  ['20231105T1418', undefined],
  ['2023-11-05T14:18:43', undefined],
  ['20231105 141843', undefined],
  ['20231105T141843,', undefined],
  ['20231105T141843,1234567', undefined],
  ['20231305T141843', undefined],
  ['20231100T141843', undefined],
  ['20230230T000000', undefined],
  ['20230229T000000', undefined],
  ['20231105T241843', undefined],
  ['20231105T146043', undefined],
  ['20231105T141860', undefined],
  ['20231105t141843', undefined],
  ['3600000', undefined],
  ['PT2S', undefined],
];
for (const [input, expected] of PARSE) {
  test(`parseTimestamp('${input}') → ${expected === undefined ? 'undefined' : new Date(expected).toISOString()}`, () => {
    assert.equal(parseTimestamp(input), expected);
    assert.equal(isValidTimestamp(input), expected !== undefined);
  });
}

test('isValidTimestamp is false for non-strings', () => {
  for (const v of [undefined, null, 20231105, {}, []]) assert.equal(isValidTimestamp(v), false);
});

const NOW = Date.UTC(2024, 0, 31, 12, 0, 0);
const ABSREL: ReadonlyArray<readonly [string, string | number, number | undefined]> = [
  ['relative ms as a number', 3_600_000, NOW + 3_600_000],
  ['relative 0 ms', 0, NOW],
  ['negative relative ms', -1000, NOW - 1000],
  ['relative ms as a numeric string', '3600000', NOW + 3_600_000],
  ['negative relative ms as a string', '-5000', NOW - 5000],
  ['absolute timestamp', '20300101T000000', Date.UTC(2030, 0, 1)],
  ['absolute timestamp with fraction', '20300101T000000,250000', Date.UTC(2030, 0, 1, 0, 0, 0, 250)],
  ['duration PT2S (ACME)', 'PT2S', NOW + 2000],
  ['duration PT1.5S', 'PT1.5S', NOW + 1500],
  ['duration PT10M', 'PT10M', NOW + 600_000],
  ['duration P1D', 'P1D', NOW + 86_400_000],
  ['duration P1W', 'P1W', NOW + 7 * 86_400_000],
  ['duration P1M counts calendar months from now', 'P1M', Date.UTC(2024, 2, 2, 12)], // Jan 31 + 1 month overflows to Mar 2
  ['duration P1Y2M3DT10H1M0S', 'P1Y2M3DT10H1M0S', Date.UTC(2025, 2, 31 + 3, 22, 1, 0)],
  ['negative duration -PT1S', '-PT1S', NOW - 1000],
  ['NaN', Number.NaN, undefined],
  ['Infinity', Number.POSITIVE_INFINITY, undefined],
  ['garbage', 'soon', undefined],
  ['empty string', '', undefined],
  ['bare P', 'P', undefined],
  ['bare PT', 'PT', undefined],
  ['P1DT', 'P1DT', undefined],
];
for (const [what, input, expected] of ABSREL) {
  test(`absRelToEpochMs: ${what}`, () => {
    assert.equal(absRelToEpochMs(input, NOW), expected);
  });
}

test('parseDurationMs without a start date counts whole days and weeks', () => {
  assert.equal(parseDurationMs('PT2S'), 2000);
  assert.equal(parseDurationMs('P2DT3H'), 2 * 86_400_000 + 3 * 3_600_000);
  assert.equal(parseDurationMs('PT0,5S'), 500);
  assert.equal(parseDurationMs('20300101T000000'), undefined);
});

const FROM_TEXT: ReadonlyArray<readonly [string, string | number]> = [
  ['3600000', 3_600_000],
  ['-10', -10],
  ['0', 0],
  ['20300101T000000', '20300101T000000'],
  ['PT2S', 'PT2S'],
  ['99999999999999999999', '99999999999999999999'], // not a safe integer: stays text
];
for (const [input, expected] of FROM_TEXT) {
  test(`absRelFromText('${input}') → ${typeof expected} ${String(expected)}`, () => {
    assert.equal(absRelFromText(input), expected);
  });
}
