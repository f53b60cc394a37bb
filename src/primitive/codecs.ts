// One codec per serialization (TS-0004 8.3-8.5), shared singletons: they keep no
// per-message state.
import { cborCodec } from './cbor-codec.js';
import type { ContentCodec, PrimitiveCodec } from './codec.js';
import { jsonCodec } from './json-codec.js';
import type { Serialization } from './types.js';
import { xmlCodec } from './xml-codec.js';

const CODECS: Readonly<Record<Serialization, PrimitiveCodec>> = {
  json: jsonCodec,
  xml: xmlCodec,
  cbor: cborCodec,
};

/** The codec for whole primitives in WebSocket messages (TS-0020 6.2.2.9). */
export function codecFor(s: Serialization): PrimitiveCodec {
  return CODECS[s];
}

/** The codec for HTTP bodies, i.e. primitive content only (TS-0009 6.5). */
export function contentCodecFor(s: Serialization): ContentCodec {
  return CODECS[s];
}
