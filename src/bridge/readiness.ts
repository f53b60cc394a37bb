// What /readyz (and /api/status) report (DESIGN 1): ready only when the
// upstream CSE answers, the store (and cluster) is up, every door listens and,
// with --uplink, the WebSocket to the registrar is open.

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
}

export interface ReadinessParts {
  probeUpstream: () => Promise<boolean>;
  storeUp: () => boolean;
  /** Every door listens. */
  started: () => boolean;
  /** undefined without --uplink. */
  registrarConnected: (() => boolean) | undefined;
}

export function readiness(p: ReadinessParts): () => Promise<Readiness> {
  return async () => {
    const upstreamOk = await p.probeUpstream();
    const checks: Record<string, boolean> = { upstream: upstreamOk, store: p.storeUp() };
    if (!p.started()) checks.doors = false;
    // Uplink mode: ready only while the WebSocket to the registrar is open.
    if (p.registrarConnected !== undefined) checks.registrar = p.registrarConnected();
    return { ready: Object.values(checks).every(Boolean), checks };
  };
}
