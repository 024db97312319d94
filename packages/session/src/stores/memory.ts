import type { Awaitable, SessionData, SessionRecord, SessionSerializationOptions } from "../types.js";
import { createSerializer, type Serializer } from "./serialization.js";
import { generateSessionId } from "./session-id.js";
import { RecordStore } from "./record-store.js";

export interface UnsafeMemoryStoreOptions<Data = SessionData> {
  /** Defaults to 256 random bits as base64url. */
  generateId?: () => Awaitable<string>;
  serializationOptions?: SessionSerializationOptions<Data>;
  /** Expired sessions are swept out at most this often, in milliseconds. Defaults to one minute. */
  sweepInterval?: number;
}

interface Entry {
  serialized: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Sessions in a `Map` of this process: for development and tests only.
 * Everything is lost on restart, and on edge and serverless runtimes with
 * every new isolate. Data is stored serialized, so a handler that keeps a
 * reference to `ctx.session.data` cannot change a stored session.
 */
export class UnsafeMemoryStore<Data = SessionData> extends RecordStore<Data> {
  readonly #entries = new Map<string, Entry>();
  readonly #generateId: () => Awaitable<string>;
  readonly #serializer: Serializer<Data>;
  readonly #sweepInterval: number;
  #lastSweep = Date.now();

  constructor(options: UnsafeMemoryStoreOptions<Data> | (() => Awaitable<string>) = {}) {
    super();
    const resolved = typeof options === "function" ? { generateId: options } : options;
    this.#generateId = resolved.generateId ?? generateSessionId;
    this.#serializer = createSerializer(resolved.serializationOptions);
    this.#sweepInterval = resolved.sweepInterval ?? 60_000;
  }

  /** Sessions held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  loadRecord(id: string): SessionRecord<NoInfer<Data>> | null {
    const entry = this.#entries.get(id);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(id);
      return null;
    }
    const data = this.#serializer.parse(entry.serialized);
    return data === null ? null : { data, createdAt: entry.createdAt, expiresAt: entry.expiresAt };
  }

  /**
   * With `id` null, stores the record under a new ID. With an `id`, replaces
   * that session only if it still exists: a session destroyed meanwhile (a
   * logout in another tab) stays destroyed, and the write is dropped. Either
   * way an ID the client made up is never adopted.
   */
  async saveRecord(id: string | null, record: SessionRecord<Data>): Promise<string> {
    this.#sweepIfDue();
    const entry = {
      serialized: this.#serializer.stringify(record.data),
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
    };
    if (id === null) {
      const newId = await this.#generateId();
      this.#entries.set(newId, entry);
      return newId;
    }
    if (!this.#isAlive(id)) return this.#generateId();
    this.#entries.set(id, entry);
    return id;
  }

  destroy(id: string): void {
    this.#entries.delete(id);
  }

  #isAlive(id: string): boolean {
    const entry = this.#entries.get(id);
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  #sweepIfDue(): void {
    const now = Date.now();
    if (now - this.#lastSweep < this.#sweepInterval) return;
    this.#lastSweep = now;
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(id);
    }
  }
}

/** The name `@hattip/session` uses for `UnsafeMemoryStore`. */
export { UnsafeMemoryStore as UnsafeMemorySessionStore };
