// onem2m-ws-bridge client: one primitive over TS-0020 and its answer, or a
// connection that stays and prints what the registrar sends (--listen), or a
// device in one line (--register NAME [--subscribe]: register an AE, watch a
// container of its own, print what arrives). For operators checking a
// deployment and newcomers after the quick start. Primitives are printed as JSON lines
// whatever the serialization on the wire. Exit: 0 answer below 4000 (or
// --listen ended by a signal), 1 error answer or no answer, 2 bad arguments.
import { readFileSync } from 'node:fs';
import { Onem2mClientError, Onem2mWsClient } from '../client/index.js';
import type { ClientTls, RequestInit } from '../client/index.js';
import type { JsonObject, ResponsePrimitive } from '../primitive/types.js';
import { USAGE, parseClientArgs, parseRequestJson } from './client-args.js';
import type { ClientArgs } from './client-args.js';

export interface ClientCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Read for `--json -`. */
  readStdin(): Promise<string>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal(): Promise<string>;
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
