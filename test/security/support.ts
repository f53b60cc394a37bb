// The hostile-client setting of issue 12: a bridge in one identity mode in
// front of a CSE that accepts what it is sent, a victim (Calice) and an
// attacker (Mallory) with valid identities of their own.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge } from '../../src/bridge/bridge.js';
import type { Bridge, BridgeAddresses } from '../../src/bridge/bridge.js';
import type { BridgeConfig } from '../../src/config/config.js';
import { testConfig } from '../support/harness.js';
import { startPermissiveCse } from '../support/permissive-cse.js';
import type { PermissiveCse } from '../support/permissive-cse.js';
import { WsRegistree } from '../support/ws-registree.js';
import type { ConnectOptions } from '../support/ws-registree.js';

export type Mode = 'none' | 'tls' | 'identity-map' | 'credentials';
export type Who = 'calice' | 'mallory' | 'nobody';

const tlsDir = 'test/fixtures/tls';
const pem = (name: string) => readFileSync(join(tlsDir, `${name}.pem`));
const ca = pem('ca');
const CERT: Record<'calice' | 'mallory', { cert: Buffer; key: Buffer }> = {
  calice: { cert: pem('client-a'), key: pem('client-a-key') },
  mallory: { cert: pem('client-b'), key: pem('client-b-key') },
};
/** --credentials: who authenticates as which originator. */
const TOKEN: Record<'calice' | 'mallory', { origin: string; bearer: string }> = {
  calice: { origin: 'Calice', bearer: 'calice-secret' },
  mallory: { origin: 'Cmallory', bearer: 'mallory-secret' },
};

export interface Scene {
  mode: Mode;
  cse: PermissiveCse;
  bridge: Bridge;
  addresses: BridgeAddresses;
  /** A WebSocket as `who` in this mode (certificate, credentials or nothing). */
  connect(who: Who, options?: ConnectOptions & { origin?: string }): Promise<WsRegistree>;
  /** A plain HTTP request on the public door (passthrough) as `who`. */
  /** Status 0: the TLS handshake was refused (no client certificate under `require`). */
  http(who: Who, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; rsc: string | undefined }>;
  stop(): Promise<void>;
}

export async function startScene(mode: Mode, overrides: Partial<BridgeConfig> = {}, cseOptions: { knowsCseBaseShortcut?: boolean } = {}): Promise<Scene> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-security-'));
  const cse = await startPermissiveCse('/id-in', cseOptions);
  const tls = { tlsCert: join(tlsDir, 'server.pem'), tlsKey: join(tlsDir, 'server-key.pem'), tlsCa: join(tlsDir, 'ca.pem'), tlsClientAuth: 'require' as const };
  let modeConfig: Partial<BridgeConfig> = {};
  if (mode === 'tls') modeConfig = tls;
  if (mode === 'identity-map') {
    const map = join(dir, 'map.yaml');
    // Mallory's certificate may be a few IDs of her own, some of which end like Calice's.
    await writeFile(map, '"CN=device-a": [Calice]\n"CN=device-b": [Cmallory, /mn-cse, "/x/*", /Calice, /mal-cse]\n');
    modeConfig = { ...tls, identity: 'none', identityMap: map };
  }
  if (mode === 'credentials') {
    const creds = join(dir, 'creds.yaml');
    await writeFile(creds, `${TOKEN.calice.origin}: {bearer: ${TOKEN.calice.bearer}}\n${TOKEN.mallory.origin}: {bearer: ${TOKEN.mallory.bearer}}\n`);
    modeConfig = { credentials: creds };
  }
  const bridge = createBridge(testConfig(cse.url, { ...modeConfig, ...overrides }));
  const addresses = await bridge.start();
  const secure = mode === 'tls' || mode === 'identity-map';
  const port = addresses.public.port;

  function identityOf(who: Who, origin?: string): { tls?: ConnectOptions['tls']; headers: Record<string, string> } {
    const headers: Record<string, string> = {};
    if (origin !== undefined) headers['X-M2M-Origin'] = origin;
    if (who === 'nobody') return { tls: secure ? { ca } : undefined, headers };
    if (mode === 'credentials') {
      headers['X-M2M-Origin'] = origin ?? TOKEN[who].origin;
      headers.Authorization = `Bearer ${TOKEN[who].bearer}`;
    }
    return { tls: secure ? { ca, ...CERT[who] } : undefined, headers };
  }

  return {
    mode,
    cse,
    bridge,
    addresses,
    connect(who, options = {}) {
      const id = identityOf(who, options.origin);
      return WsRegistree.connect(`${secure ? 'wss' : 'ws'}://127.0.0.1:${port}/`, 'oneM2M.json', { ...options, tls: id.tls, headers: { ...id.headers, ...options.headers } });
    },
    http(who, method, path, headers) {
      // Over HTTP the test names X-M2M-Origin itself; the identity is the certificate or the Authorization header.
      const id = identityOf(who);
      delete id.headers['X-M2M-Origin'];
      const send = secure ? httpsRequest : httpRequest;
      return new Promise((resolve, reject) => {
        const req = send({ host: '127.0.0.1', port, method, path, headers: { ...id.headers, ...headers }, ...(secure ? { ...id.tls, servername: 'localhost' } : {}) }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, rsc: res.headers['x-m2m-rsc'] as string | undefined }));
        });
        // A TLS handshake the bridge refuses (no certificate under `require`) counts as refused, status 0.
        req.on('error', (err: NodeJS.ErrnoException) => (/SSL|ECONNRESET|EPIPE/.test(err.code ?? '') ? resolve({ status: 0, rsc: undefined }) : reject(err)));
        req.end(method === 'POST' ? JSON.stringify({ 'm2m:cnt': { rn: 'stolen' } }) : undefined);
      });
    },
    async stop() {
      await bridge.stop();
      await cse.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let n = 0;
/** CREATE <AE> as `fr`. */
export const aeRegistration = (fr: string) => ({ op: 1, to: 'cse-in', fr, ty: 2, pc: { 'm2m:ae': { rn: `ae${++n}`, api: 'Nsec', rr: true, srv: ['3'] } } });
/** CREATE <remoteCSE> as `fr` claiming `csi`. */
export const cseRegistration = (fr: string, csi: string) => ({ op: 1, to: 'cse-in', fr, ty: 16, pc: { 'm2m:csr': { rn: `csr${++n}`, csi, cb: `${csi}/cb`, rr: true, srv: ['3'] } } });
/** The downlink key at the end of a poa URL (…/r/<key>). */
export const keyOf = (poa: readonly string[] | undefined): string | undefined => poa?.find((p) => p.includes('/r/'))?.split('/r/')[1];
export const sgn = (i: number) => ({ 'm2m:sgn': { sur: '/id-in/sub1', nev: { net: 3, rep: { 'm2m:cin': { con: `n${i}` } } } } });
