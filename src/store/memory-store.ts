// --store memory: for tests and demos; everything is lost on exit.
import type { Registration, Store } from './store.js';

export class MemoryStore implements Store {
  readonly description = 'memory';
  private readonly byId = new Map<string, Registration>();
  private readonly idByKey = new Map<string, string>();

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async getRegistration(id: string): Promise<Registration | undefined> {
    const reg = this.byId.get(id);
    return reg === undefined ? undefined : { ...reg };
  }

  async getRegistrationByKey(key: string): Promise<Registration | undefined> {
    const id = this.idByKey.get(key);
    return id === undefined ? undefined : this.getRegistration(id);
  }

  async putRegistration(reg: Registration): Promise<void> {
    const previous = this.byId.get(reg.id);
    if (previous !== undefined && previous.key !== reg.key) this.idByKey.delete(previous.key);
    this.byId.set(reg.id, { ...reg });
    this.idByKey.set(reg.key, reg.id);
  }

  async deleteRegistration(id: string): Promise<void> {
    const previous = this.byId.get(id);
    if (previous === undefined) return;
    this.byId.delete(id);
    this.idByKey.delete(previous.key);
  }

  async listRegistrations(): Promise<Registration[]> {
    return [...this.byId.values()].map((r) => ({ ...r }));
  }
}
