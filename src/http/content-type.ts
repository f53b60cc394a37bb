// Content-Type of TS-0009 bodies (TS-0009 6.4.2-6.4.3, TS-0004 6.7, ref B5).
import type { Serialization } from '../primitive/types.js';

/**
 * `<mediaType>;ty=<n>` for CREATE, the bare media type otherwise — nothing
 * else in the header: ACME rejects any other parameter such as charset
 * (ref B5, gotcha 2).
 */
export function contentTypeFor(mediaType: string, ty?: number): string {
  return ty === undefined ? mediaType : `${mediaType};ty=${ty}`;
}

export interface ParsedContentType {
  /** undefined when the media type is not one of ref B5. */
  serialization: Serialization | undefined;
  /** The `ty` parameter (TS-0009 6.4.3): present means CREATE (ref B1). */
  ty?: number;
  /** The bare media type, lower-case (e.g. `application/vnd.onem2m-ntfy+json`). */
  mediaType?: string;
  /** Why the header is not usable, when it is not. */
  error?: string;
}

/** Media types of ref B5 → serialization. */
const SERIALIZATION_BY_MEDIA_TYPE: ReadonlyMap<string, Serialization> = (() => {
  const map = new Map<string, Serialization>();
  for (const s of ['json', 'cbor', 'xml'] as const) {
    map.set(`application/${s}`, s);
    for (const kind of ['res', 'ntfy', 'preq', 'prsp']) map.set(`application/vnd.onem2m-${kind}+${s}`, s);
  }
  return map;
})();

const TY_RE = /^\d+$/;

function parse(header: string): ParsedContentType {
  const parts = header.split(';');
  const mediaType = parts[0]!.trim().toLowerCase();
  const serialization = SERIALIZATION_BY_MEDIA_TYPE.get(mediaType);
  const result: ParsedContentType = { serialization, mediaType };
  if (serialization === undefined) {
    result.error = mediaType === '' ? 'missing media type' : `unsupported media type ${mediaType}`;
  }
  for (let i = 1; i < parts.length; i++) {
    const param = parts[i]!;
    const eq = param.indexOf('=');
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (name !== 'ty') continue; // other parameters (charset, …) carry nothing for oneM2M
    let value = eq < 0 ? '' : param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!TY_RE.test(value)) {
      result.error ??= 'resource type (ty) must be an integer';
      continue;
    }
    result.ty = Number(value);
  }
  return result;
}

const MISSING: ParsedContentType = Object.freeze({ serialization: undefined, error: 'missing Content-Type' });

// Content-Type headers repeat endlessly; remember the last few parsed ones.
const CACHE_MAX = 64;
const cache = new Map<string, ParsedContentType>();

/**
 * Parses a Content-Type header: media type case-insensitive, spaces allowed
 * around `;` and `=`, `ty` must be an integer (ref B5). The result is frozen.
 */
export function parseContentType(header: string | undefined): Readonly<ParsedContentType> {
  if (header === undefined) return MISSING;
  let hit = cache.get(header);
  if (hit === undefined) {
    hit = Object.freeze(parse(header));
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(header, hit);
  }
  return hit;
}
