// One setting's text → its typed value, or why not: durations (500ms, 30s),
// sizes (64KiB, 4MiB), HOST:PORT, URLs, enums, lists, booleans, store specs.
import { redactUrl } from '../redact.js';
import { validateStoreSpec } from '../store/store-spec.js';
import type { HostPort, Setting } from './settings.js';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const DURATION_FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BYTES = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i;
const BYTES_FACTOR: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1 << 20, gb: 1e9, gib: 1 << 30 };

export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * DURATION_FACTOR[m[2] ?? 'ms']);
}

export function parseHostPort(text: string): HostPort | undefined {
  const t = text.trim();
  let host = '0.0.0.0';
  let portText = t;
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    if (end === -1 || t[end + 1] !== ':') return undefined;
    host = t.slice(1, end);
    portText = t.slice(end + 2);
  } else if (t.includes(':')) {
    const i = t.lastIndexOf(':');
    host = t.slice(0, i) || '0.0.0.0';
    portText = t.slice(i + 1);
  }
  if (!/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

export function parseValue(s: Setting, raw: string): { value?: unknown; problem?: string } {
  switch (s.kind) {
    case 'url': {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { problem: `"${redactUrl(raw)}" is not a URL` };
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `"${redactUrl(raw)}" must be http:// or https://` };
      return { value: url };
    }
    case 'hostport': {
      const hp = parseHostPort(raw);
      return hp === undefined ? { problem: `"${raw}" is not HOST:PORT` } : { value: hp };
    }
    case 'string':
      return { value: raw };
    case 'store': {
      const problem = validateStoreSpec(raw);
      return problem === undefined ? { value: raw } : { problem };
    }
    case 'enum': {
      if (!s.values?.includes(raw)) return { problem: `"${raw}" is not one of ${s.values?.join(', ')}` };
      return { value: /^\d+$/.test(raw) ? Number(raw) : raw };
    }
    case 'duration': {
      const ms = parseDuration(raw);
      return ms === undefined ? { problem: `"${raw}" is not a duration (e.g. 500ms, 30s, 5m, 1h)` } : { value: ms };
    }
    case 'int': {
      if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) return { problem: `"${raw}" is not a positive integer` };
      return { value: Number(raw) };
    }
    case 'count': {
      if (!/^\d+$/.test(raw.trim())) return { problem: `"${raw}" is not a whole number (0 or more)` };
      return { value: Number(raw) };
    }
    case 'bytes': {
      const m = BYTES.exec(raw.trim());
      if (m === null) return { problem: `"${raw}" is not a size (e.g. 65536, 64KiB, 4MiB)` };
      const bytes = Number(m[1]) * BYTES_FACTOR[(m[2] ?? 'b').toLowerCase()];
      // Every size is a limit: 0 would refuse everything, or (ws maxPayload) silently switch the limit off.
      if (bytes < 1) return { problem: `"${raw}" is not a positive size (e.g. 65536, 64KiB, 4MiB)` };
      return { value: bytes };
    }
    case 'list':
      return { value: raw.split(',').map((x) => x.trim()).filter((x) => x.length > 0) };
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return { value: true };
      if (['false', '0', 'no', 'off'].includes(v)) return { value: false };
      return { problem: `"${raw}" is not a boolean (true/false)` };
    }
  }
}
