// What the bridge keeps about registrees. One interface; implementations are
// chosen by --store (DESIGN 5). Registrations outlive connections (TS-0020 6.4).

export type RegistreeKind = 'ae' | 'cse';

export interface Registration {
  /** AE-ID (`aei`) or CSE-ID (`csi`) exactly as the CSE returned it. */
  id: string;
  /** Opaque key in the downlink URL `/r/<key>` put into the registree's poa. */
  key: string;
  kind: RegistreeKind;
  /** Resource ID and name of the registree's own <AE>/<remoteCSE>, to spot its deregistration. */
  ri?: string;
  rn?: string;
  /** Client-certificate fingerprint the registree registered with (identity tls). */
  identity?: string;
  /** ms since epoch. */
  createdAt: number;
}

export interface Store {
  /** Human-readable description for logs, e.g. `memory` or `lmdb:./data`. */
  readonly description: string;
  open(): Promise<void>;
  close(): Promise<void>;
  getRegistration(id: string): Promise<Registration | undefined>;
  getRegistrationByKey(key: string): Promise<Registration | undefined>;
  /** Inserts or replaces the registration of `reg.id` (and its key index entry). */
  putRegistration(reg: Registration): Promise<void>;
  /** Removes the registration and its key index entry; no-op when unknown. */
  deleteRegistration(id: string): Promise<void>;
  listRegistrations(): Promise<Registration[]>;
}
