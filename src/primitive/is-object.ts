// The one test for "a JSON object" (not null, not an array) the primitive,
// bridge and cluster code narrow values with.
import type { JsonObject, JsonValue } from './types.js';

export function isObject(v: JsonValue | undefined): v is JsonObject;
export function isObject(v: unknown): v is Record<string, unknown>;
export function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
