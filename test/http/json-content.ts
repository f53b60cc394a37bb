// A minimal JSON ContentCodec for the mapping tables: the TS-0009 mapping is
// tested on its own, independent of the real codecs in src/primitive.
import { PrimitiveDecodeError } from '../../src/errors.js';
import type { ContentCodec } from '../../src/primitive/codec.js';
import type { PrimitiveContent, Serialization } from '../../src/primitive/types.js';

export const json: ContentCodec = {
  serialization: 'json',
  mediaType: 'application/json',
  encodeContent: (pc: PrimitiveContent) => JSON.stringify(pc),
  decodeContent: (body: Buffer) => {
    try {
      return JSON.parse(body.toString('utf8')) as PrimitiveContent;
    } catch (err) {
      throw new PrimitiveDecodeError('not JSON', undefined, { cause: err });
    }
  },
};

/** contentFor that knows JSON only. */
export const onlyJson = (s: Serialization): ContentCodec | undefined => (s === 'json' ? json : undefined);
