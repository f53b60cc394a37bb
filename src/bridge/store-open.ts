// Opening the store at start: bounded in time, and a refusal is a StartError
// naming --store, so the process never hangs half-started (exit 1, one line).
import { errorMessage, StartError } from '../errors.js';
import type { Store } from '../store/store.js';

/** A store (or cluster) that has not opened by then fails the start: the process must not hang half-started. */
const STORE_OPEN_MS = 15_000;

/** The store's (or the cluster's) failure at start: the environment refused --store. */
export function storeRefused(err: unknown): StartError {
  if (err instanceof StartError) return err;
  return new StartError('environment', '--store', `--store: ${errorMessage(err)}`, { cause: err });
}

/** store.open(), bounded: a store that neither opens nor fails in time fails the start (and is closed if it opens late). */
export async function openStore(store: Pick<Store, 'open' | 'close' | 'description'>): Promise<void> {
  const opening = store.open();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StartError('environment', '--store', `--store: ${store.description} did not open within ${STORE_OPEN_MS / 1000} s`)), STORE_OPEN_MS);
  });
  try {
    await Promise.race([opening, late]);
  } catch (err) {
    opening.then(() => store.close(), () => undefined).catch(() => undefined);
    throw storeRefused(err);
  } finally {
    clearTimeout(timer);
  }
}
