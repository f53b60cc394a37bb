// One form per entity ID (TS-0001 7.2, ref A11), so that the bridge compares
// originators — fr, X-M2M-Origin, aei, csi, identity-map and credential
// entries — as IDs and never as strings that merely end alike. Pure.
//
// The form is the shortest one that is still unambiguous from the upstream
// CSE's point of view:
//   - an AE-ID assigned by the upstream CSE: CSE-relative      `Cabc`
//   - anything else in the same M2M SP: SP-relative            `/id-mn`, `/id-mn/Cabc`, `/Sabc`
//   - anything in another M2M SP: absolute, FQDN lower-cased   `//other.example/id-in/Cabc`
// Without the upstream's CSE-ID (or SP-ID) the longer forms are left as
// they are: they then only equal themselves, which fails closed.

/** What the bridge knows of the upstream CSE; both optional. */
export interface CseIdentity {
  /** SP-relative CSE-ID, e.g. `/id-in`. */
  readonly cseId?: string;
  /** M2M-SP-ID (FQDN), e.g. `acme.example.com`. */
  readonly spId?: string;
}

/** A CSE-relative AE-ID or CSE-ID written without the SP (no slash at all). */
function fromCseRelative(id: string): string {
  if (id.includes('/')) return id; // a structured resource path, not an entity ID
  // TS-0001 7.2: an SP-assigned AE-ID (`S…`) is SP-relative `/S…`; a CSE-assigned one (`C…`) stays CSE-relative.
  if (id.startsWith('C')) return id;
  // `S…`, and a CSE-ID some peers write without its leading slash (`id-mn`).
  return '/' + id;
}

/** The canonical form of an originator or entity ID (see the file comment). '' stays ''. */
export function canonicalId(id: string, self: CseIdentity): string {
  if (id === '') return id;
  let rest = id;
  if (rest.startsWith('//')) {
    // Absolute: //<SP-ID>/<SP-relative rest>
    const slash = rest.indexOf('/', 2);
    const sp = (slash === -1 ? rest.slice(2) : rest.slice(2, slash)).toLowerCase();
    const tail = slash === -1 ? '' : rest.slice(slash);
    if (self.spId === undefined || self.spId === '' || sp !== self.spId.toLowerCase() || tail.length < 2) return `//${sp}${tail}`;
    rest = tail;
  }
  if (!rest.startsWith('/')) return fromCseRelative(rest);
  // SP-relative: /<CSE-ID>[/<CSE-relative rest>] or /S… (SP-assigned AE-ID).
  const cseId = self.cseId;
  if (cseId !== undefined && cseId !== '' && rest.length > cseId.length + 1 && rest.startsWith(cseId + '/')) {
    return fromCseRelative(rest.slice(cseId.length + 1));
  }
  return rest;
}

/** Whether two IDs name the same entity. */
export function sameId(a: string, b: string, self: CseIdentity): boolean {
  return canonicalId(a, self) === canonicalId(b, self);
}

/**
 * The CSE-ID a canonical ID lives under when it is not the upstream's own
 * (`/id-mn/Cabc` → `/id-mn`); undefined for IDs of the upstream CSE itself
 * and for SP-assigned AE-IDs.
 */
export function parentCseId(canonical: string): string | undefined {
  if (canonical.startsWith('//')) {
    const parts = canonical.slice(2).split('/');
    return parts.length >= 3 ? `//${parts[0]}/${parts[1]}` : undefined;
  }
  if (!canonical.startsWith('/')) return undefined;
  const second = canonical.indexOf('/', 1);
  return second === -1 ? undefined : canonical.slice(0, second);
}

/** Whether a canonical ID has the form of a CSE-ID (`/id-mn`, `//sp/id-mn`). */
export function isCseIdForm(canonical: string): boolean {
  if (canonical.startsWith('//')) return canonical.slice(2).split('/').length === 2 && !canonical.endsWith('/');
  // `/S…` may be an SP-assigned AE-ID as well; a remoteCSE registration says which by its ty.
  return /^\/[^/]+$/.test(canonical);
}

/** Whether a canonical ID has the form of an AE-ID (`Cabc`, `/Sabc`, `/id-mn/Cabc`, absolute ones). */
export function isAeIdForm(canonical: string): boolean {
  const local = canonical.startsWith('//') ? '/' + canonical.slice(2).split('/').slice(1).join('/') : canonical;
  if (/^C[^/]+$/.test(local)) return true;
  if (/^\/S[^/]+$/.test(local)) return true;
  return /^\/[^/]+\/[CS][^/]+$/.test(local);
}

/**
 * Allow-list match: an entry is an originator or a prefix pattern ending in
 * `*` (`Ctest*`, `/id-mn/*`). Both sides are compared in canonical form; a
 * pattern matches IDs whose canonical form starts with the pattern's.
 */
export function idMatches(entry: string, id: string, self: CseIdentity): boolean {
  const canonical = canonicalId(id, self);
  if (!entry.endsWith('*')) return canonicalId(entry, self) === canonical;
  const stem = entry.slice(0, -1);
  if (stem === '') return true;
  // `Ctest*`: C… prefixes stay CSE-relative; `/id-mn/*`: an SP-relative prefix of its own.
  const prefix = stem.endsWith('/') ? canonicalId(stem.slice(0, -1), self) + '/' : canonicalId(stem, self);
  return canonical.startsWith(prefix);
}
