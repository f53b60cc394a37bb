// Flat JSON primitives (ref C1, TS-0004 8.4): short names, no m2m:rqp/m2m:rsp
// wrapper, sent in WebSocket text frames (TS-0020 Table 6.2.2.9-1).
import { PrimitiveDecodeError } from '../errors.js';
import type { PrimitiveCodec } from './codec.js';
import { jsonNeedsMarkers } from './float-lexeme.js';
import { parseExact, stringifyExact } from './json-exact.js';
import { jsonOverBudget } from './parse-budget.js';
import type { Primitive, PrimitiveContent, RequestPrimitive, ResponsePrimitive } from './types.js';
import { toPrimitive } from './validate.js';

/** Recovers the rqi from text that is not valid JSON, so the 4000 answer can carry it. */
const RQI_IN_TEXT = /"rqi"\s*:\s*"([^"]*)"/;

function parse(data: Buffer | string): unknown {
  let text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // tolerate a UTF-8 BOM
  // Parse budget (issue 13): depth and size are checked before JSON.parse builds anything.
  const over = jsonOverBudget(text);
  if (over !== undefined) throw new PrimitiveDecodeError(over, RQI_IN_TEXT.exec(text)?.[1] || undefined);
  try {
    // Issue 15: text with an integral float (`5.0`, `1e3`) is read by the careful
    // parser so that it stays a float; everything else by JSON.parse.
    if (jsonNeedsMarkers(text)) return parseExact(text);
    return JSON.parse(text);
  } catch (err) {
    const rqi = RQI_IN_TEXT.exec(text)?.[1];
    throw new PrimitiveDecodeError(`malformed JSON: ${(err as Error).message}`, rqi || undefined, { cause: err });
  }
}

function decodeContent(body: Buffer): PrimitiveContent {
  const tree = parse(body);
  // TS-0004 8.4.2: primitive content is an object with one prefixed member
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) {
    throw new PrimitiveDecodeError('JSON content must be an object');
  }
  return tree as PrimitiveContent;
}

export const jsonCodec: PrimitiveCodec = {
  serialization: 'json',
  mediaType: 'application/json',
  binary: false,
  decode(data: Buffer | string): Primitive {
    return toPrimitive(parse(data));
  },
  // Like JSON.stringify (undefined members skipped), float markers as their lexeme (issue 15)
  encodeRequest(req: RequestPrimitive): string {
    return stringifyExact(req);
  },
  encodeResponse(rsp: ResponsePrimitive): string {
    return stringifyExact(rsp);
  },
  encodeContent(pc: PrimitiveContent): string {
    return stringifyExact(pc);
  },
  decodeContent,
};
