// onem2m-ws-bridge client: one primitive over TS-0020 and its answer, or a
// connection that stays and prints what the registrar sends (--listen), or a
// device in one line (--register NAME [--subscribe]: register an AE, watch a
// container of its own, print what arrives). For operators checking a
// deployment and newcomers after the quick start. Primitives are printed as JSON lines
// whatever the serialization on the wire. Exit: 0 answer below 4000 (or
// --listen ended by a signal), 1 error answer or no answer, 2 bad arguments.
import { readFileSync } from 'node:fs';
import { Onem2mClientError, Onem2mWsClient } from '../client/index.js';
import type { ClientTls, RequestInit, Serialization } from '../client/index.js';
import { parseDuration } from '../config/parse-value.js';
import { PrimitiveDecodeError } from '../errors.js';
import { toRequestPrimitive } from '../primitive/validate.js';
import type { JsonObject, ResponsePrimitive } from '../primitive/types.js';
import { redactUrl } from '../redact.js';

export interface ClientCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Read for `--json -`. */
  readStdin(): Promise<string>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal(): Promise<string>;
}

interface ClientArgs {
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

const USAGE = `Usage: onem2m-ws-bridge client --url ws://host:port/ [options]

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

function readFile(flag: string, path: string | undefined, problems: string[]): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    problems.push(`--${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
}

export async function runClientCommand(argv: readonly string[], io: ClientCommandIo): Promise<number> {
  const say = (line: string) => io.stderr.write(`onem2m-ws-bridge client: ${line}\n`);
  const parsed = parseClientArgs(argv);
  if (parsed.help) {
    io.stdout.write(USAGE + '\n');
    return 0;
  }
  const problems = [...parsed.problems];
  let request: RequestInit | undefined;
  const tls: ClientTls = {};
  if (parsed.args !== undefined) {
    const a = parsed.args;
    if (a.register !== undefined) request = aeRegistration(a.cse, a.register, a.from!);
    if (a.json !== undefined) {
      const text = a.json === '-' ? await io.readStdin() : a.json;
      const r = parseRequestJson(text);
      if (r.problem !== undefined) problems.push(r.problem);
      request = r.request;
    }
    const ca = readFile('ca', a.ca, problems);
    const cert = readFile('cert', a.cert, problems);
    const key = readFile('key', a.key, problems);
    if (ca !== undefined) tls.ca = ca;
    if (cert !== undefined && key !== undefined) Object.assign(tls, { cert, key });
  }
  let client: Onem2mWsClient | undefined;
  if (problems.length === 0) {
    const a = parsed.args!;
    try {
      client = new Onem2mWsClient({
        url: a.url,
        serialization: a.format,
        origin: a.from,
        headers: a.headers,
        tls,
        proxy: a.proxy,
        requestTimeoutMs: a.timeoutMs,
        reconnect: a.listen ? {} : false,
        onRequest: a.listen
          ? (req) => {
              io.stdout.write(JSON.stringify(req) + '\n');
              return { rsc: 2000 };
            }
          : undefined,
      });
    } catch (err) {
      if (!(err instanceof Onem2mClientError)) throw err;
      problems.push(`--${err.message.startsWith('proxy') ? 'proxy' : 'url'}: ${err.message}`);
    }
  }
  if (problems.length > 0 || client === undefined) {
    for (const p of problems) say(p);
    return 2;
  }
  const a = parsed.args!;
  client.on('error', (err) => say(err.message));
  if (a.listen) {
    client.on('close', (info) => say(`connection closed (${info.code}${info.reason === '' ? '' : ` ${info.reason}`})${info.reconnecting ? '; reconnecting' : ''}`));
    client.on('open', (info) => say(`${info.reconnected ? 'reconnected' : 'connected'} (${info.subprotocol})`));
  }
  let code = 0;
  try {
    if (a.listen) await client.connect({ retry: true });
    else await client.connect();
    if (request !== undefined) {
      if (request.rt?.rtv === 5) {
        const sent = await client.send(request);
        say(`sent ${sent.rqi} (rt.rtv = 5: no answer expected)`);
      } else {
        const rsp = await client.request(request);
        io.stdout.write(JSON.stringify(rsp) + '\n');
        if (a.register !== undefined) code = await afterRegistration(client, a, rsp, say);
        else if (rsp.rsc >= 4000) code = 1;
      }
    }
    if (a.register !== undefined && code !== 0) return code;
    if (a.listen) {
      const signal = await io.stopSignal();
      say(`${signal}: closing`);
      code = 0;
    }
  } catch (err) {
    if (!(err instanceof Onem2mClientError)) throw err;
    if (err.code !== 'ONEM2M_CLIENT_HANDSHAKE' && err.code !== 'ONEM2M_CLIENT_CONNECT') say(err.message); // those were said by the error event
    code = 1;
  } finally {
    await client.close();
  }
  return code;
}

/** TS-0004 6.6.3.3: CONFLICT (the resource name is taken) and ORIGINATOR_HAS_ALREADY_REGISTERED. */
const CONFLICT = 4105;
const ALREADY_REGISTERED = 4117;

/** --register NAME: CREATE <AE> under the CSEBase (TS-0004 7.4.5), reachable through the bridge (rr, poa by the bridge). */
function aeRegistration(cse: string, name: string, from: string): RequestInit {
  return { op: 1, to: cse, fr: from, ty: 2, pc: { 'm2m:ae': { rn: name, api: `N${name}`, rr: true, srv: ['3'] } } };
}

/**
 * After --register: 2001, or 4117/4105 (registered before; the handshake's
 * X-M2M-Origin bound this connection to it) carry on; with --subscribe a
 * container and a subscription on it for the AE (4105: there already).
 * Returns the exit code so far (0: stay and listen).
 */
async function afterRegistration(client: Onem2mWsClient, a: ClientArgs, rsp: ResponsePrimitive, say: (line: string) => void): Promise<number> {
  const before = rsp.rsc === ALREADY_REGISTERED || rsp.rsc === CONFLICT;
  if (rsp.rsc !== 2001 && !before) return 1;
  const ae = rsp.pc?.['m2m:ae'] as JsonObject | undefined;
  const aei = typeof ae?.aei === 'string' ? ae.aei : a.from!;
  say(before ? `${a.register} was registered before: carrying on as ${aei}` : `registered as ${aei}`);
  if (!a.subscribe) return 0;
  const container = `${a.cse}/${a.register}/data`;
  const steps: RequestInit[] = [
    { op: 1, to: `${a.cse}/${a.register}`, fr: aei, ty: 3, pc: { 'm2m:cnt': { rn: 'data' } } },
    // net 3: creation of a direct child (TS-0004 6.3.4.2.5); the CSE first verifies nu, which arrives here too.
    { op: 1, to: container, fr: aei, ty: 23, pc: { 'm2m:sub': { rn: 'sub', nu: [aei], enc: { net: [3] } } } },
  ];
  for (const step of steps) {
    const r = await client.request(step);
    if (r.rsc !== 2001 && r.rsc !== CONFLICT) {
      say(`subscribing failed at ${step.to} (${r.rsc}): ${JSON.stringify(r.pc ?? {})}`);
      return 1;
    }
  }
  say(`subscribed to ${container}: each contentInstance created there is printed here`);
  return 0;
}

/** The io of the real process. */
export function processIo(): ClientCommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stopSignal: () =>
      new Promise((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      }),
  };
}
