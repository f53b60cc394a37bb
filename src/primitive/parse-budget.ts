// The parse budget (issue 13): what every decoder checks before or while it
// builds a structure, so that no single message holds the event loop for long
// (bench/hostile.ts measures it) and nothing that walks a decoded tree later
// (validation, re-encoding, the XML tables) recurses deep. A message beyond it
// is a malformed primitive: 4000, with its rqi when readable.
import { jsonStringEnd } from './json-string-end.js';

/** Deepest nesting accepted: arrays and maps (JSON, CBOR, CBOR tags) or elements (XML). */
export const MAX_DEPTH = 64;

/**
 * Most values in one message: every array item and map member (JSON, CBOR;
 * a JSON container counts one more), every element and attribute (XML). A oneM2M primitive carries a few
 * dozen; a large discovery result some thousands (more: page it with lim/ofst).
 */
export const MAX_NODES = 20_000;

export function tooDeep(what: string): string {
  return `${what} nested deeper than ${MAX_DEPTH} levels (parse budget)`;
}

export function tooMany(what: string, of: string): string {
  return `${what} with more than ${MAX_NODES} ${of} (parse budget)`;
}

/**
 * One pass over JSON text, skipping strings: the deepest nesting and the number
 * of values (brackets and commas), or why the text is over budget. Text that is
 * not JSON is left to JSON.parse to describe.
 */
export function jsonOverBudget(text: string): string | undefined {
  let depth = 0;
  let nodes = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = jsonStringEnd(text, i);
      if (i === -1) return undefined;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return tooDeep('JSON');
      if (++nodes > MAX_NODES) return tooMany('JSON', 'values');
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if (c === 0x2c) {
      if (++nodes > MAX_NODES) return tooMany('JSON', 'values');
    }
  }
  return undefined;
}

/** Markers on the stack of open CBOR items for the indefinite-length ones. */
const INDEFINITE_ARRAY = -1;
const INDEFINITE_MAP_KEY = -2;
const INDEFINITE_MAP_VALUE = -3;
const INDEFINITE_STRING = -4;

/**
 * Walks the heads of the CBOR data items (RFC 8949 3) without decoding them:
 * the deepest nesting of arrays, maps and tags and the number of values,
 * counted as for JSON (array items and map entries, a key and its value
 * once), or why the bytes are over budget. Malformed bytes are left to the
 * decoder to describe.
 */
export function cborOverBudget(bytes: Uint8Array): string | undefined {
  // Per open array, map or tag: the items still expected, or a marker when its length is indefinite.
  const open: number[] = [];
  let nodes = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const head = bytes[i++];
    if (head === 0xff) {
      // "break": ends the innermost indefinite-length item.
      if (open.length === 0 || open[open.length - 1] >= 0) return undefined;
      open.pop();
    } else {
      // An entry of an indefinite-length array or map counts as it starts; a definite one counted them at its head.
      const top = open.length - 1;
      if (top >= 0 && open[top] < 0) {
        if (open[top] === INDEFINITE_ARRAY) nodes++;
        else if (open[top] === INDEFINITE_MAP_KEY) open[top] = INDEFINITE_MAP_VALUE;
        else if (open[top] === INDEFINITE_MAP_VALUE) {
          open[top] = INDEFINITE_MAP_KEY;
          nodes++;
        }
      }
      const major = head >> 5;
      const info = head & 0x1f;
      let arg = info;
      if (info === 24) arg = bytes[i++];
      else if (info === 25) {
        arg = (bytes[i] << 8) | bytes[i + 1];
        i += 2;
      } else if (info === 26) {
        arg = bytes[i] * 0x1000000 + ((bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]);
        i += 4;
      } else if (info === 27) {
        // Beyond 2^53 nothing fits in a message anyway.
        arg = (bytes[i] * 0x1000000 + ((bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3])) * 0x100000000 + (bytes[i + 4] * 0x1000000 + ((bytes[i + 5] << 16) | (bytes[i + 6] << 8) | bytes[i + 7]));
        i += 8;
      } else if (info > 27 && (info !== 31 || major < 2 || major === 6)) {
        return undefined; // reserved: malformed
      }
      const indefinite = info === 31;
      let opens = 0; // what this item opens: items expected, or a marker
      if (major === 2 || major === 3) {
        if (indefinite) opens = INDEFINITE_STRING;
        else i += arg;
      } else if (major === 4) {
        if (indefinite) opens = INDEFINITE_ARRAY;
        else {
          nodes += arg;
          opens = arg;
        }
      } else if (major === 5) {
        if (indefinite) opens = INDEFINITE_MAP_KEY;
        else {
          nodes += arg;
          opens = arg * 2;
        }
      } else if (major === 6) opens = 1;
      if (nodes > MAX_NODES) return tooMany('CBOR', 'values');
      if (opens !== 0) {
        if (open.length >= MAX_DEPTH && opens !== INDEFINITE_STRING) return tooDeep('CBOR');
        open.push(opens);
        continue;
      }
    }
    // An item is complete: count it off the items that enclose it.
    while (open.length > 0) {
      const top = open.length - 1;
      if (open[top] < 0 || --open[top] > 0) break;
      open.pop();
    }
    if (open.length === 0) return undefined;
  }
  return undefined;
}
