// The two files that say who a connection may be (DESIGN 3): the identity
// map (client-certificate CN or SAN entry → originators) and the handshake
// credentials (originator → Basic or Bearer secret). Pure parsing, every
// problem naming the file: read at load by config/check-config.ts (exit 2
// naming the setting) and at start by the bridge (bridge/access.ts decides).
import { parse as parseYaml } from 'yaml';

/** `CN=<common name>`, `DNS:<name>`, `URI:<uri>`, `IP Address:<ip>` → allowed originators (`*` at the end = prefix). */
export type IdentityMap = ReadonlyMap<string, readonly string[]>;

export interface Credential {
  /** `user:password` for `Authorization: Basic …` */
  basic?: string;
  /** token for `Authorization: Bearer …` */
  bearer?: string;
}
export type Credentials = ReadonlyMap<string, Credential>;

function parseMapFile(text: string, path: string): { doc?: Record<string, unknown>; problems: string[] } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return { problems: [`${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { problems: [`${path} must hold a map`] };
  return { doc: doc as Record<string, unknown>, problems: [] };
}

export function parseIdentityMap(text: string, path: string): { map: IdentityMap; problems: string[] } {
  const map = new Map<string, string[]>();
  const { doc, problems } = parseMapFile(text, path);
  for (const [name, value] of Object.entries(doc ?? {})) {
    if (!/^(CN=|DNS:|URI:|IP Address:)./.test(name)) problems.push(`${path}: "${name}": key must be CN=…, DNS:…, URI:… or IP Address:…`);
    else if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.length > 0)) problems.push(`${path}: "${name}": must list one or more originators`);
    else map.set(name, value as string[]);
  }
  return { map, problems };
}

export function parseCredentials(text: string, path: string): { credentials: Credentials; problems: string[] } {
  const credentials = new Map<string, Credential>();
  const { doc, problems } = parseMapFile(text, path);
  for (const [originator, value] of Object.entries(doc ?? {})) {
    const v = value as Record<string, unknown> | null;
    const basic = typeof v?.basic === 'string' ? v.basic : undefined;
    const bearer = typeof v?.bearer === 'string' ? v.bearer : undefined;
    if (basic === undefined && bearer === undefined) problems.push(`${path}: "${originator}": needs basic: "user:password" or bearer: "token"`);
    else if (basic !== undefined && !basic.includes(':')) problems.push(`${path}: "${originator}": basic must be "user:password"`);
    else credentials.set(originator, { basic, bearer });
  }
  return { credentials, problems };
}
