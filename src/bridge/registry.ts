// Which registree is online on which connection (TS-0020 5.2: one connection
// per registree). In-process only; the durable side is the Store.
import type { Registration } from '../store/store.js';
import { CloseCode } from '../ws/ws-session.js';
import type { WsSession } from '../ws/ws-session.js';

export class Registry {
  private readonly byId = new Map<string, WsSession>();
  private readonly byKey = new Map<string, WsSession>();
  private readonly onReleased: ((id: string) => void) | undefined;

  /** onReleased: a registree is no longer bound on this process (cluster ownership ends). */
  constructor(onReleased?: (id: string) => void) {
    this.onReleased = onReleased;
  }

  get onlineCount(): number {
    return this.byId.size;
  }

  sessionForKey(key: string): WsSession | undefined {
    return this.byKey.get(key);
  }

  sessionForId(id: string): WsSession | undefined {
    return this.byId.get(id);
  }

  /**
   * Binds the session to the registree. A connection that held it before is
   * closed: the newer binding wins (TS-0020 5.2, DESIGN 3).
   */
  bind(session: WsSession, reg: Registration): WsSession | undefined {
    const previous = this.byId.get(reg.id);
    if (session.registration !== undefined && session.registration.id !== reg.id) this.unbind(session);
    if (previous !== undefined && previous !== session) {
      this.byKey.delete(previous.registration?.key ?? '');
      previous.registration = undefined;
      previous.close(CloseCode.Replaced, `registree ${reg.id} bound by a newer connection (TS-0020 5.2)`);
    }
    const old = session.registration;
    if (old !== undefined && old.key !== reg.key) this.byKey.delete(old.key);
    session.registration = reg;
    this.byId.set(reg.id, session);
    this.byKey.set(reg.key, session);
    return previous !== session ? previous : undefined;
  }

  /** Forgets the session's binding if it still holds it. */
  unbind(session: WsSession): void {
    const reg = session.registration;
    if (reg === undefined) return;
    const held = this.byId.get(reg.id) === session;
    if (held) this.byId.delete(reg.id);
    if (this.byKey.get(reg.key) === session) this.byKey.delete(reg.key);
    session.registration = undefined;
    if (held) this.onReleased?.(reg.id);
  }

  sessions(): IterableIterator<WsSession> {
    return this.byId.values();
  }
}
