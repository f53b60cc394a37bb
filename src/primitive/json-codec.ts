// Flat JSON primitives (ref C1, TS-0004 8.4): short names, no m2m:rqp/m2m:rsp
// wrapper, sent in WebSocket text frames (TS-0020 Table 6.2.2.9-1).
import { PrimitiveDecodeError } from '../errors.js';
import type { PrimitiveCodec } from './codec.js';
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
  // JSON.stringify skips undefined members
  encodeRequest(req: RequestPrimitive): string {
    return JSON.stringify(req);
  },
  encodeResponse(rsp: ResponsePrimitive): string {
    return JSON.stringify(rsp);
  },
  encodeContent(pc: PrimitiveContent): string {
    return JSON.stringify(pc);
  },
  decodeContent,
};
