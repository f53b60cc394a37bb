// The admin API's registree operations (DESIGN 1, admin door): list (whole or
// by pages), view and remove registrees. Reads the store, the registry of this
// process and, in cluster mode, the ownership records of every replica.
import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { Registry } from '../bridge/registry.js';
import type { QueueSummary, Registration, Store } from '../store/store.js';
import { CloseCode } from '../ws/ws-session.js';
import type { AdminApi, RegistreeDetail, RegistreeView } from './admin-server.js';
import { registreePage } from './registree-page.js';

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

export type RegistreeAdmin = Pick<AdminApi, 'listRegistrees' | 'listRegistreesPage' | 'getRegistree' | 'deleteRegistree'>;

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** The summary with ISO times, as the API shows it. */
function queueView(q: QueueSummary): RegistreeDetail['queue'] {
  return {
    messages: q.messages,
    bytes: q.bytes,
    oldestStoredAt: iso(q.oldestStoredAt),
    nextExpiresAt: iso(q.nextExpiresAt),
    bySur: q.bySur.map((s) => ({ sur: s.sur, messages: s.messages, bytes: s.bytes, oldestStoredAt: iso(s.oldestStoredAt)! })),
  };
}

export function registreeAdmin(deps: RegistreeAdminDeps): RegistreeAdmin {
  const { store, registry, cluster } = deps;

  /** The views of `regs`, with one ownership lookup for all and the oldest stored request of those with a queue. */
  async function views(regs: Registration[]): Promise<RegistreeView[]> {
    const owners = await cluster.owners(regs.map((r) => r.id));
    const oldest = await Promise.all(regs.map((r) => (store.queueStats(r.id).messages > 0 ? store.oldestStoredAt(r.id) : undefined)));
    return regs.map((reg, i) => {
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
        connectedSince: iso(session?.openedAt),
        queuedMessages: q.messages,
        queuedBytes: q.bytes,
        oldestQueuedAt: iso(oldest[i]),
        registeredAt: new Date(reg.createdAt).toISOString(),
      };
    });
  }

  /** Bound on this replica or, in cluster mode, on another one. */
  async function onlineFlags(regs: Registration[]): Promise<boolean[]> {
    const owners = await cluster.owners(regs.map((r) => r.id));
    return regs.map((r) => registry.sessionForId(r.id) !== undefined || owners.has(r.id));
  }

  return {
    listRegistrees: async () => views(await store.listRegistrations()),
    listRegistreesPage: async (query) => {
      const online = query.online;
      const keep = online === undefined ? async (regs: Registration[]) => regs.map(() => true) : async (regs: Registration[]) => (await onlineFlags(regs)).map((o) => o === online);
      const page = await registreePage(store, query, keep);
      return { registrees: await views(page.registrations), next: page.next };
    },
    // Any form of a registree's ID names it (DESIGN 3: canonical IDs).
    getRegistree: async (given) => {
      const id = deps.canonical(given);
      const reg = await store.getRegistration(id);
      if (reg === undefined) return undefined;
      const [view] = await views([reg]);
      // The key is left out: it is the registree's downlink address (DESIGN 3).
      const registration = { kind: reg.kind, ri: reg.ri, rn: reg.rn, identity: reg.identity, createdAt: new Date(reg.createdAt).toISOString() };
      return { ...view, registration, queue: queueView(await store.queueSummary(id)) };
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
