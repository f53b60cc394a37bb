// The one way a store turns a failure of its backend into BRIDGE_ERR_STORE.
import { BridgeError, bridgeError, errorMessage } from '../errors.js';

/** `message: <cause's message>` as BRIDGE_ERR_STORE; a BridgeError passes unchanged (it already says what went wrong). */
export function storeError(message: string, cause: unknown): BridgeError {
  if (cause instanceof BridgeError) return cause;
  const detail = errorMessage(cause);
  return bridgeError('BRIDGE_ERR_STORE', `${message}: ${detail}`, { cause });
}
