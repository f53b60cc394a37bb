// The admin API's registree operations (DESIGN 1, admin door): list, view and
// remove registrees. Reads the store, the registry of this process and, in
// cluster mode, the ownership records of every replica.
import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { Registry } from '../bridge/registry.js';
import type { Registration, Store } from '../store/store.js';
import { CloseCode } from '../ws/ws-session.js';
import type { AdminApi, RegistreeView } from './admin-server.js';

export interface RegistreeAdminDeps {
  store: Store;
  registry: Registry;
  cluster: Cluster;
  /** True with a shared store (redis): views name the replica holding the connection. */
  clustered: boolean;
  /** Any form of a registree's ID → its canonical form (DESIGN 3). */
  canonical(id: string): string;
  /** Unbinds and closes the registree's connection on this replica; false when it has none here. */
  closeRegistree(id: string, code: number, reason: string): boolean;
  /** Recounts registrations after a removal (metrics). */
  refreshRegistreeCount(): Promise<void>;
  logger: Logger;
}

export type RegistreeAdmin = Pick<AdminApi, 'listRegistrees' | 'getRegistree' | 'deleteRegistree'>;

export function registreeAdmin(deps: RegistreeAdminDeps): RegistreeAdmin {
  const { store, registry, cluster } = deps;

  /** owners: cluster mode, which replica holds each registree. */
  function view(reg: Registration, owners: Map<string, string>): RegistreeView {
    const session = registry.sessionForId(reg.id);
    const q = store.queueStats(reg.id);
    const replica = session !== undefined ? cluster.replicaId : owners.get(reg.id);
    return {
      id: reg.id,
      kind: reg.kind,
      online: replica !== undefined,
      ...(deps.clustered && replica !== undefined ? { replica } : {}),
      subprotocol: session?.subprotocol,
      remoteAddress: session?.remoteAddress,
      queuedMessages: q.messages,
      queuedBytes: q.bytes,
      registeredAt: new Date(reg.createdAt).toISOString(),
    };
  }

  return {
    listRegistrees: async () => {
      const regs = await store.listRegistrations();
      const owners = await cluster.owners(regs.map((r) => r.id));
      return regs.map((r) => view(r, owners));
    },
    // Any form of a registree's ID names it (DESIGN 3: canonical IDs).
    getRegistree: async (given) => {
      const id = deps.canonical(given);
      const reg = await store.getRegistration(id);
      return reg === undefined ? undefined : view(reg, await cluster.owners([id]));
    },
    deleteRegistree: async (given) => {
      const id = deps.canonical(given);
      const reg = await store.getRegistration(id);
      if (reg === undefined) return false;
      if (!deps.closeRegistree(id, CloseCode.Deregistered, `registree ${id} removed by the operator`)) await cluster.evict(id);
      await store.dropQueue(id);
      await store.deleteRegistration(id);
      await deps.refreshRegistreeCount();
      deps.logger.info({ registree: id }, 'registree removed by the operator');
      return true;
    },
  };
}
