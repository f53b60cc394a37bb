// The arguments of `onem2m-ws-bridge client`: the usage text, the flags and
// what each must hold (every problem naming its flag, exit 2), and the
// --json text checked as a request primitive with the bridge's own rules.
import type { RequestInit, Serialization } from '../client/index.js';
import { parseDuration } from '../config/parse-value.js';
import { PrimitiveDecodeError } from '../errors.js';
import { toRequestPrimitive } from '../primitive/validate.js';
import { redactUrl } from '../redact.js';

export interface ClientArgs {
  url: string;
  from: string | undefined;
  json: string | undefined;
  format: Serialization;
  timeoutMs: number;
  listen: boolean;
  /** --register NAME: an AE of that name (implies --listen). */
  register: string | undefined;
  subscribe: boolean;
  /** --cse: the CSEBase resource name registrations go to. */
  cse: string;
  proxy: string | false | undefined;
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  headers: Record<string, string>;
}

export const USAGE = `Usage: onem2m-ws-bridge client --url ws://host:port/ [options]

Sends one request primitive over a oneM2M WebSocket (TS-0020) and prints the
answer as one JSON line; with --listen stays connected and prints every
request the server sends (answering 2000).

  --url URL            ws:// or wss:// address of the bridge or registrar (required)
  --json JSON          the request primitive, e.g. '{"op":2,"to":"cse-in"}'; - reads it from stdin;
                       rqi and rvi are filled in when absent, fr from --from
  --from ID            originator: fr of the request and X-M2M-Origin of the handshake
  --listen             stay connected (reconnecting) and print incoming requests until SIGINT/SIGTERM
  --register NAME      register an AE named NAME (originator C<NAME> unless --from), print the answer,
                       then stay as --listen does; registered already: carries on as that AE
  --subscribe          with --register: create the container <cse>/NAME/data and a subscription on it
                       for the AE, so each contentInstance created there arrives as a notification
  --cse NAME           the CSEBase resource name for --register (default cse-in, ACME's)
  --format json|xml|cbor   serialization on the wire (default json)
  --timeout DURATION   time the answer may take (default 30s)
  --proxy URL|none     HTTP CONNECT proxy (default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY)
  --ca FILE            PEM CA bundle for wss://
  --cert FILE, --key FILE   PEM client certificate and key for wss://
  --header "Name: value"    extra handshake header (repeatable), e.g. Authorization
  --help               this text

Exit codes: 0 answer with rsc below 4000 (or --listen stopped by a signal),
1 error answer, no answer or no connection, 2 bad arguments.`;

const VALUE_FLAGS = new Set(['url', 'from', 'json', 'format', 'timeout', 'proxy', 'ca', 'cert', 'key', 'header', 'register', 'cse']);

/** argv → arguments, or every problem naming its argument. */
export function parseClientArgs(argv: readonly string[]): { args?: ClientArgs; help: boolean; problems: string[] } {
  const problems: string[] = [];
  const raw = new Map<string, string>();
  const headers: Record<string, string> = {};
  let listen = false;
  let subscribe = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      problems.push(`${arg}: unexpected argument (options are given as --name value)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'listen' || name === 'subscribe') {
      if (eq !== -1) problems.push(`--${name}: takes no value`);
      if (name === 'listen') listen = true;
      else subscribe = true;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) {
      problems.push(`--${name}: unknown option (see --help)`);
      // Its value, if any, belongs to it and is not a stray argument.
      if (eq === -1 && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) i++;
      continue;
    }
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    // `--json -` reads stdin: a lone "-" is a value, not a flag.
    if (value === undefined && i + 1 < argv.length && (!argv[i + 1]!.startsWith('--') || argv[i + 1] === '-')) value = argv[++i];
    if (value === undefined) {
      problems.push(`--${name}: needs a value`);
      continue;
    }
    if (name === 'header') {
      const colon = value.indexOf(':');
      if (colon <= 0) problems.push(`--header: "${value}" is not "Name: value"`);
      else headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
      continue;
    }
    if (raw.has(name)) problems.push(`--${name}: given twice`);
    raw.set(name, value);
  }
  if (help) return { help, problems: [] };

  const url = raw.get('url');
  if (url === undefined) problems.push('--url: needed (ws://host:port/ or wss://host:port/)');
  else if (!/^wss?:\/\//i.test(url)) problems.push(`--url: "${redactUrl(url)}" must be ws:// or wss://`);
  const format = raw.get('format') ?? 'json';
  if (format !== 'json' && format !== 'xml' && format !== 'cbor') problems.push(`--format: "${format}" is not one of json, xml, cbor`);
  const timeoutText = raw.get('timeout') ?? '30s';
  const timeoutMs = parseDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0) problems.push(`--timeout: "${timeoutText}" is not a duration above 0 (e.g. 500ms, 30s)`);
  const json = raw.get('json');
  const register = raw.get('register');
  if (register !== undefined && !/^[A-Za-z0-9._-]+$/.test(register)) problems.push(`--register: "${register}" is not a resource name (letters, digits, . _ -)`);
  if (register !== undefined && json !== undefined) problems.push('--register: give either --register or --json, not both');
  if (subscribe && register === undefined) problems.push('--subscribe: only with --register NAME');
  if (register !== undefined) listen = true;
  if (json === undefined && !listen) problems.push('--json: needed (or --listen to only wait for requests, or --register NAME)');
  const proxyText = raw.get('proxy');
  const proxy = proxyText === undefined ? undefined : proxyText === 'none' ? false : proxyText;
  if (typeof proxy === 'string' && !/^https?:\/\//i.test(proxy)) problems.push(`--proxy: "${proxy}" must be http://host:port, https://host:port or none`);
  if ((raw.get('cert') === undefined) !== (raw.get('key') === undefined)) problems.push(`--${raw.get('cert') === undefined ? 'cert' : 'key'}: needed together with --${raw.get('cert') === undefined ? 'key' : 'cert'}`);
  const from = raw.get('from') ?? (register !== undefined ? `C${register}` : undefined);
  if (from === '') problems.push('--from: must not be empty');
  if (problems.length > 0) return { help, problems };
  return {
    help,
    problems,
    args: { url: url!, from, json, format: format as Serialization, timeoutMs: timeoutMs!, listen, register, subscribe, cse: raw.get('cse') ?? 'cse-in', proxy, ca: raw.get('ca'), cert: raw.get('cert'), key: raw.get('key'), headers },
  };
}

/** The text of --json → a request the client can send, or a problem naming --json. */
export function parseRequestJson(text: string): { request?: RequestInit; problem?: string } {
  let tree: unknown;
  try {
    tree = JSON.parse(text);
  } catch (err) {
    return { problem: `--json: not valid JSON: ${(err as Error).message}` };
  }
  if (typeof tree !== 'object' || tree === null || Array.isArray(tree)) return { problem: '--json: must be a JSON object (a request primitive)' };
  const object = tree as Record<string, unknown>;
  if (object.rsc !== undefined) return { problem: '--json: is a response primitive (has rsc); send a request (with op)' };
  const hadRqi = object.rqi !== undefined;
  try {
    // Validate with the bridge's own rules; rqi is the client's to fill in.
    const req = toRequestPrimitive(hadRqi ? object : { ...object, rqi: 'placeholder' });
    if (hadRqi) return { request: req };
    const { rqi: _placeholder, ...rest } = req;
    return { request: rest };
  } catch (err) {
    if (err instanceof PrimitiveDecodeError) return { problem: `--json: ${err.message}` };
    throw err;
  }
}
