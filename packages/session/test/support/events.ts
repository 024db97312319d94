/**
 * What the event tests share: a recorder of every event a listener object
 * hears (with the context it came with), a client that remembers every
 * cookie value it ever sent or received, and the check that no event, as
 * JSON, holds any of them or any session data.
 */
import type { RequestContext } from "@hattip/compose";
import { expect } from "vitest";
import type { SessionEvent, SessionEventListeners, SessionStore } from "../../src/index.js";
import { secretsIn } from "../../test-runtimes/suite/events-behaviour.js";
import { CookieClient, type ClientResponse } from "./browser-like-client.js";

export interface Heard {
  event: SessionEvent;
  ctx: RequestContext | undefined;
}

/** A listener object that keeps what it hears, through `any` (so it also proves `any` gets every type). */
export function eventRecorder() {
  const heard: Heard[] = [];
  const listeners: SessionEventListeners = { any: (event, ctx) => void heard.push({ event, ctx }) };
  return {
    listeners,
    heard,
    /** The events heard since the last `take()`, and forget them. */
    take(): SessionEvent[] {
      return heard.splice(0).map(({ event }) => event);
    },
    types(): string[] {
      return heard.map(({ event }) => event.type);
    },
  };
}

/** A browser for one origin that also keeps every cookie value it saw: the secrets no event may carry. */
export class WatchedClient extends CookieClient {
  readonly secrets: Set<string>;

  constructor(baseUrl: string, secrets: Set<string>) {
    super(baseUrl);
    this.secrets = secrets;
  }

  override async request(path: string, init: RequestInit = {}): Promise<ClientResponse> {
    this.#keep();
    const sent = new Headers(init.headers).get("cookie");
    if (sent) for (const pair of sent.split(";")) this.#keepValue(pair.slice(pair.indexOf("=") + 1).trim());
    const response = await super.request(path, init);
    this.#keep();
    return response;
  }

  #keep(): void {
    for (const value of this.jar.values()) this.#keepValue(value);
  }

  #keepValue(value: string): void {
    for (const form of [value, safeDecode(value)]) if (form.length >= 8) this.secrets.add(form);
    for (const part of value.split(".")) if (part.length >= 20) this.secrets.add(part);
  }
}

/** No event, as JSON or field by field, contains a secret (a session ID, a cookie value, session data). */
export function expectNoSecrets(events: readonly SessionEvent[], secrets: Iterable<string>): void {
  const all = [...secrets];
  expect(all.length).toBeGreaterThan(0);
  expect(secretsIn(events, all)).toEqual([]);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A handle as `listSessions()` shows it. */
export const HANDLE = /^[A-Za-z0-9_-]{22}$/;

/** A store of your own, as written for @hattip/session: load, save and destroy in a Map, nothing more. */
export class MapStore implements SessionStore {
  readonly #sessions = new Map<string, Record<string, unknown>>();
  load(id: string): Record<string, unknown> | null {
    return this.#sessions.get(id) ?? null;
  }
  save(id: string | null, data: Record<string, unknown>): string {
    const kept = id ?? crypto.randomUUID();
    this.#sessions.set(kept, structuredClone(data));
    return kept;
  }
  destroy(id: string): void {
    this.#sessions.delete(id);
  }
}
