// The identity modes in force (DESIGN 3), in the words every refusal uses:
// a 4103 answer, an HTTP 401/403 at the handshake or on passthrough names the
// mode actually in force and what the client can do, never another mode's
// remedy (issue 21 item 5).

/** Which of the identity settings are on; none of them = identity none. */
export interface IdentityModes {
  /** --identity tls (or auto with --tls-client-auth require): a registree is tied to its client certificate. */
  tls: boolean;
  /** --identity-map: client-certificate names → originators. */
  identityMap: boolean;
  /** --credentials: X-M2M-Origin + Authorization at the handshake. */
  credentials: boolean;
}

/** `--identity tls`, `--identity-map + --credentials`, … or `--identity none`. */
export function modeInForce(m: IdentityModes): string {
  const on = [m.tls ? '--identity tls' : '', m.identityMap ? '--identity-map' : '', m.credentials ? '--credentials' : ''].filter((x) => x !== '');
  return on.length === 0 ? '--identity none' : on.join(' + ');
}

/** How a connection comes to act as a registered originator under these modes. */
export function howToBind(m: IdentityModes): string {
  const steps: string[] = [];
  if (m.credentials) steps.push("open the connection with that originator's X-M2M-Origin and its Authorization: Basic or Bearer");
  if (m.identityMap) steps.push('present a client certificate the map gives that originator');
  if (m.tls) steps.push('present the client certificate the registree registered with');
  if (steps.length === 0) return 'any connection may send as a registered originator (trusted networks only)';
  return steps.join(', and ');
}

/** The suffix of a refusal: the mode in force and what the client can do. */
export function identityHint(m: IdentityModes): string {
  return `identity mode in force: ${modeInForce(m)}: ${howToBind(m)}`;
}
