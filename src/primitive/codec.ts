// The codec contract shared by the three serializations (TS-0004 8.3-8.5).
// Implementations: json-codec.ts, xml-codec.ts, cbor-codec.ts; pick one with
// codecFor() in codecs.ts.
import type { Primitive, PrimitiveContent, RequestPrimitive, ResponsePrimitive, Serialization } from './types.js';

/** Encodes and decodes the body of an HTTP message: primitive content only (TS-0009 6.5). */
export interface ContentCodec {
  readonly serialization: Serialization;
  /** Bare media type, no parameters: `application/json`, `application/cbor`, `application/xml`. */
  readonly mediaType: string;
  encodeContent(pc: PrimitiveContent): Buffer | string;
  /** Throws PrimitiveDecodeError on bytes that are not valid content. */
  decodeContent(body: Buffer): PrimitiveContent;
}

/** Encodes and decodes whole primitives as carried in one WebSocket message (TS-0020 6.2.2.9). */
export interface PrimitiveCodec extends ContentCodec {
  /** CBOR travels in binary frames, JSON and XML in text frames (TS-0020 Table 6.2.2.9-1). */
  readonly binary: boolean;
  /**
   * Bytes (or text) of one WebSocket message → a validated request or response primitive.
   * Throws PrimitiveDecodeError (rsc 4000) carrying the `rqi` when it could be read.
   */
  decode(data: Buffer | string): Primitive;
  encodeRequest(req: RequestPrimitive): Buffer | string;
  encodeResponse(rsp: ResponsePrimitive): Buffer | string;
}
