// Opening and closing a door (DESIGN 1): a refused listen is a StartError that
// names the door's setting, in words, never a stack.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../config/config.js';
import { StartError } from '../errors.js';
import { urlHost } from '../http/url-host.js';

/** Why a door could not listen, in words, with the errno for searching. */
export const LISTEN_REFUSED: Record<string, string> = {
  EADDRINUSE: 'the port is in use (EADDRINUSE)',
  EADDRNOTAVAIL: 'the address is not one of this host (EADDRNOTAVAIL)',
  EACCES: 'not allowed to listen there (EACCES; ports below 1024 need privileges)',
  ENOTFOUND: 'the host name does not resolve (ENOTFOUND)',
  EAI_AGAIN: 'the host name could not be resolved now (EAI_AGAIN)',
  EAI_FAIL: 'the host name does not resolve (EAI_FAIL)',
};

/**
 * Connections the kernel may hold for a door before the bridge accepts them
 * (capped by net.core.somaxconn). Node's default of 511 overflows when
 * thousands of registrees reconnect at once after a restart: each dropped
 * SYN waits for its retransmission (1 s, 3 s, 7 s, …), and the storm takes
 * that long whatever the bridge's speed (issue 19, bench/storm.ts).
 */
const LISTEN_BACKLOG = 65535;

/** Listens on one door; its failure is a StartError naming the door's setting. */
export function listen(server: Server, at: HostPort, flag: string): Promise<HostPort> {
  const where = `${flag} ${urlHost(at.host)}:${at.port}`;
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_SOCKET_BAD_PORT') {
        reject(new StartError('config', flag, `${where}: the port must be 0-65535`, { cause: err }));
        return;
      }
      const why = LISTEN_REFUSED[err.code ?? ''] ?? err.message;
      reject(new StartError('environment', flag, `${where}: cannot listen: ${why}`, { cause: err }));
    };
    server.once('error', fail);
    try {
      server.listen({ port: at.port, host: at.host, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', fail);
        const a = server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    } catch (err) {
      server.off('error', fail);
      fail(err as NodeJS.ErrnoException);
    }
  });
}

/** Stops accepting on a door; resolves when its last connection has gone. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export interface DoorServers {
  public: Server;
  downlink: Server;
  admin: Server;
}

export interface DoorAddresses {
  public: HostPort;
  downlink: HostPort;
  admin: HostPort;
}

/**
 * Opens every door. The public and downlink listens both run to their end
 * before a failure is thrown, so a door still binding is not left open behind
 * it; the admin door (probes) opens last, so nothing reports ready early.
 */
export async function listenDoors(servers: DoorServers, at: Record<'listen' | 'downlinkListen' | 'adminListen', HostPort>): Promise<DoorAddresses> {
  const doors = await Promise.allSettled([listen(servers.public, at.listen, '--listen'), listen(servers.downlink, at.downlinkListen, '--downlink-listen')]);
  for (const d of doors) if (d.status === 'rejected') throw d.reason;
  const [pub, down] = doors.map((d) => (d as PromiseFulfilledResult<HostPort>).value);
  const admin = await listen(servers.admin, at.adminListen, '--admin-listen');
  return { public: pub, downlink: down, admin };
}

/** --uplink: opens uplink mode's door; a refusal is a StartError naming --uplink-listen. */
export async function startUplinkDoor(start: () => Promise<unknown>, at: HostPort): Promise<void> {
  await start().catch((err: unknown) => {
    throw new StartError('environment', '--uplink-listen', `--uplink-listen ${urlHost(at.host)}:${at.port}: cannot listen: ${LISTEN_REFUSED[(err as NodeJS.ErrnoException).code ?? ''] ?? String(err)}`, { cause: err });
  });
}

/** The base URL registrees' poa point to: --downlink-url, or the downlink door as it listens. */
export function downlinkBaseUrl(downlinkUrl: string, door: HostPort): string {
  return downlinkUrl !== '' ? downlinkUrl.replace(/\/+$/, '') : `http://${urlHost(door.host)}:${door.port}`;
}
