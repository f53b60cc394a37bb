// One value of a node:http / undici header (names lower-case); a repeated header gives its first value.
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
