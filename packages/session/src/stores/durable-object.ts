/**
 * Sessions in Cloudflare Durable Objects (SessionDurableObject), for
 * Workers apps that need a logout or a revoke to hold everywhere at once,
 * which Workers KV cannot promise.
 *
 * Where a session lives: an anonymous session in an object of its own
 * (named by its ID's hash); every session of a user in that user's object,
 * named by the routing tag their session IDs carry (`<id>.<tag>`). So a
 * read-only request is one call to one object, a write one call, a
 * rotation within a user's sessions one atomic call, and listing or
 * revoking all of a user's sessions one atomic call. A login moves an
 * anonymous session into the user's object: a destroy there and a create
 * here, sent together; if the destroy finds the session gone (a logout won
 * the race), the new session is deleted again and the login refused.
 *
 * A write the store reports as failed does not land later: every create,
 * update and rotation (and the destroy of a login's move) carries the
 * store's deadline, and the object refuses to begin a call after it, by
 * its own clock. A call the object began before the deadline may still
 * finish after it; a logout or a revoke carries no deadline, since ending
 * the session late is still what was asked.
 */
import type { RequestContext } from "@hattip/compose";
import { SessionSetupError, SessionStoreUnavailableError } from "../errors.js";
import type { StoredEntry } from "../record-store.js";
import type { Awaitable, SessionData, SessionRecord, UserSessionInfo } from "../types.js";
import { DeadlineExceeded, describeFailure, leftCutOff, leftUnanswered, withDeadline, type CallKind } from "./deadline.js";
import {
  DURABLE_OBJECT_CALL_URL,
  type DurableObjectAnswers,
  type DurableObjectCall,
  type DurableObjectFailure,
  type RowFields,
} from "./durable-object-protocol.js";
import type { StorageKey } from "./external-keys.js";
import { ExternalStore, ID_TAKEN, type ExternalStoreOptions } from "./external-store.js";
import { textToRecord } from "./record-text.js";
import { handleFromIdHash, type IndexedUser } from "./session-id.js";
import { userSessionInfo } from "./user-sessions.js";

/** The part of a Durable Object stub the store uses. */
export interface DurableObjectStubLike {
  fetch(
    url: string,
    init: { method: "POST"; body: string; headers: Record<string, string> },
  ): Promise<{
    ok: boolean;
    status: number;
    text(): Promise<string>;
  }>;
}

/** The part of a `DurableObjectNamespace` binding the store uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): DurableObjectStubLike;
}

export interface DurableObjectSessionStoreOptions<Data = SessionData> extends Omit<ExternalStoreOptions<Data>, "prefix"> {
  /**
   * The namespace bound to `SessionDurableObject` for this request.
   * @example
   * ```ts
   * new DurableObjectSessionStore({ getNamespace: (ctx) => ctx.platform.env.SESSIONS })
   * ```
   */
  getNamespace: (ctx: RequestContext | undefined) => Awaitable<DurableObjectNamespaceLike>;
  /**
   * How long a request may wait for a session's object before it fails with
   * `SessionStoreUnavailableError`, in milliseconds.
   * @default 3000
   */
  timeout?: number;
}

/**
 * @example
 * ```ts
 * export { SessionDurableObject } from "hattip-session";
 * const store = new DurableObjectSessionStore({ getNamespace: (ctx) => ctx.platform.env.SESSIONS });
 * ```
 */
export class DurableObjectSessionStore<Data = SessionData> extends ExternalStore<Data> {
  readonly #getNamespace: (ctx: RequestContext | undefined) => Awaitable<DurableObjectNamespaceLike>;

  constructor(options: DurableObjectSessionStoreOptions<Data>) {
    super(options, { name: "DurableObjectSessionStore", timeout: 3000 });
    if (typeof options?.getNamespace !== "function") {
      throw new SessionSetupError(
        "DurableObjectSessionStore needs `getNamespace`, a function that returns the Durable Object namespace bound to SessionDurableObject " +
          "(`(ctx) => ctx.platform.env.SESSIONS`).",
      );
    }
    this.#getNamespace = options.getNamespace;
  }

  protected async readEntry(id: string, ctx?: RequestContext): Promise<StoredEntry<Data> | null> {
    const located = await this.keys.locate(id);
    if (located === null) return null;
    const { record } = await this.#call(ctx, objectOf(located), { op: "load", id: located.idHash });
    return record === null ? null : textToRecord(record, this.keys.serializer, Date.now());
  }

  async createRecord(record: SessionRecord<Data>, ctx?: RequestContext): Promise<string> {
    const text = this.recordText(record);
    return this.withNewId(record.meta?.user, async (fresh) => {
      const fields = await this.#fields(record, text, fresh.idHash);
      const { created } = await this.#call(ctx, objectOf(fresh), { op: "create", id: fresh.idHash, ...fields });
      return created ? fresh.id : ID_TAKEN;
    });
  }

  async updateRecord(id: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string | null> {
    const located = await this.keys.locate(id);
    if (located === null) return null;
    const fields = await this.#fields(record, this.recordText(record), located.idHash);
    const { updated } = await this.#call(ctx, objectOf(located), { op: "update", id: located.idHash, ...fields });
    return updated ? id : null;
  }

  async destroyRecord(id: string, ctx?: RequestContext): Promise<boolean> {
    const located = await this.keys.locate(id);
    if (located === null) return false;
    return (await this.#call(ctx, objectOf(located), { op: "destroy", id: located.idHash })).alive;
  }

  /**
   * Within one user's object (a bound session rotated, as on a second
   * login), one atomic call. Across objects, the destroy and the create go out
   * together, and the create is undone if the destroy found nothing.
   */
  override async rotateRecord(oldId: string, record: SessionRecord<Data>, ctx?: RequestContext): Promise<string | null> {
    const old = await this.keys.locate(oldId);
    if (old === null) return null;
    const text = this.recordText(record);
    return this.withNewId(record.meta?.user, async (fresh) => {
      const fields = await this.#fields(record, text, fresh.idHash);
      if (old.tag !== undefined && objectOf(old) === objectOf(fresh)) {
        const { outcome } = await this.#call(ctx, objectOf(fresh), { op: "rotate", old: old.idHash, id: fresh.idHash, ...fields });
        return outcome === "taken" ? ID_TAKEN : outcome === "rotated" ? fresh.id : null;
      }
      // The destroy carries the deadline too: a login reported as failed must not end the session later.
      const [destroyed, creation] = await Promise.allSettled([
        this.#call(ctx, objectOf(old), { op: "destroy", id: old.idHash }, "write"),
        this.#call(ctx, objectOf(fresh), { op: "create", id: fresh.idHash, ...fields }),
      ]);
      if (destroyed.status === "rejected") {
        // The login fails: a new session no one was given must not stay listed under the user.
        if (creation.status === "fulfilled" && creation.value.created) {
          await this.#call(ctx, objectOf(fresh), { op: "destroy", id: fresh.idHash }).catch(() => undefined);
        }
        throw destroyed.reason;
      }
      if (creation.status === "rejected") throw creation.reason;
      const [{ alive }, { created }] = [destroyed.value, creation.value];
      if (!alive) {
        if (created) await this.#call(ctx, objectOf(fresh), { op: "destroy", id: fresh.idHash });
        return null;
      }
      // The old session is gone already: a taken ID cannot be retried here, only a plain create can follow.
      return created ? fresh.id : this.createRecord(record, ctx);
    });
  }

  /** One call to the user's object, which picks the rows with the latest deadlines. */
  protected async listSessionsOf(user: IndexedUser, limit: number, ctx: RequestContext | undefined): Promise<UserSessionInfo[]> {
    const { sessions } = await this.#call(ctx, userObject(user), { op: "list", user: user.hash, limit });
    const now = Date.now();
    const listed: UserSessionInfo[] = [];
    for (const { handle, record } of sessions) {
      const loaded = textToRecord(record, this.keys.serializer, now);
      const info = loaded && userSessionInfo(user.id, handle, loaded.record);
      if (info) listed.push(info);
    }
    return listed;
  }

  protected async revokeSessionOf(user: IndexedUser, handle: string, ctx: RequestContext | undefined): Promise<void> {
    await this.#call(ctx, userObject(user), { op: "revoke", user: user.hash, handle });
  }

  protected async revokeSessionsOf(user: IndexedUser, exceptHandle: string | undefined, ctx: RequestContext | undefined): Promise<void> {
    await this.#call(ctx, userObject(user), { op: "revokeAll", user: user.hash, except: exceptHandle ?? null });
  }

  async #fields(record: SessionRecord<Data>, text: string, idHash: string): Promise<RowFields> {
    const user = record.meta?.user;
    if (user === undefined) return { record: text, expiresAt: record.expiresAt, user: null, handle: null };
    const [hash, handle] = await Promise.all([this.userHash(user), handleFromIdHash(idHash)]);
    return { record: text, expiresAt: record.expiresAt, user: hash, handle };
  }

  /**
   * One call to the object named `objectName`, within the store's timeout.
   * A write (by default a create, an update or a rotation) carries that
   * deadline, and the object refuses to begin it later.
   */
  async #call<Call extends DurableObjectCall>(
    ctx: RequestContext | undefined,
    objectName: string,
    call: Call,
    kind: CallKind = kindOf(call.op),
  ): Promise<DurableObjectAnswers[Call["op"]]> {
    const deadline = Date.now() + this.timeout;
    const namespace = await this.#getNamespace(ctx);
    if (typeof namespace?.idFromName !== "function" || typeof namespace.get !== "function") {
      throw new SessionSetupError(
        "DurableObjectSessionStore's getNamespace returned something that is not a Durable Object namespace: bind SessionDurableObject " +
          'in wrangler ("durable_objects": { "bindings": [{ "name": "SESSIONS", "class_name": "SessionDurableObject" }] }) and return ctx.platform.env.SESSIONS.',
      );
    }
    const body = JSON.stringify(kind === "write" ? { ...call, deadline } : call);
    let status: number;
    let text: string;
    try {
      const stub = namespace.get(namespace.idFromName(objectName) as never);
      const exchange = async () => {
        const response = await stub.fetch(DURABLE_OBJECT_CALL_URL, { method: "POST", body, headers: { "content-type": "application/json" } });
        return { status: response.status, text: await response.text() };
      };
      ({ status, text } = await withDeadline(exchange(), Math.max(0, deadline - Date.now())));
    } catch (error) {
      const what =
        error instanceof DeadlineExceeded
          ? `did not answer within ${this.timeout} ms: ${leftUnanswered(kind, "the object")}`
          : `failed (${describeFailure(error)}): ${leftCutOff(kind, "the object")}`;
      throw new SessionStoreUnavailableError(`The session's Durable Object ${what}; retry later.`, { cause: error });
    }
    if (status === 200) {
      try {
        return JSON.parse(text) as DurableObjectAnswers[Call["op"]];
      } catch (error) {
        throw new SessionStoreUnavailableError(`The session's Durable Object answered something that is not JSON: ${text.slice(0, 100)}`, {
          cause: error,
        });
      }
    }
    const failure = parseFailure(text);
    if (failure?.kind === "setup") throw new SessionSetupError(failure.error);
    if (failure?.kind === "late") {
      throw new SessionStoreUnavailableError(
        `The session's Durable Object began this session write after its deadline (the store's timeout, ${this.timeout} ms) and refused it: nothing was changed; retry later.`,
      );
    }
    throw new SessionStoreUnavailableError(
      `The session's Durable Object answered ${status}${failure ? `: ${failure.error}` : ""}. Is the bound class SessionDurableObject from this version of hattip-session?`,
    );
  }
}

/** What a call does, by its operation (the destroy of a login's move is a write: `rotateRecord` says so). */
function kindOf(op: DurableObjectCall["op"]): CallKind {
  if (op === "load" || op === "list") return "read";
  if (op === "create" || op === "update" || op === "rotate") return "write";
  return "end";
}

/** The object a session lives in: its user's, by the tag in its ID, or its own. */
function objectOf(located: Pick<StorageKey, "idHash" | "tag">): string {
  return located.tag === undefined ? `session:${located.idHash}` : `user:${located.tag}`;
}

/** The object of a user's sessions: named by the tag their IDs carry, as `objectOf` finds it from an ID. */
function userObject(user: IndexedUser): string {
  return `user:${user.tag}`;
}

function parseFailure(body: string): DurableObjectFailure | null {
  try {
    const parsed = JSON.parse(body) as Partial<DurableObjectFailure>;
    const kinds: unknown[] = ["setup", "bad-call", "late"];
    return typeof parsed?.error === "string" && kinds.includes(parsed.kind) ? (parsed as DurableObjectFailure) : null;
  } catch {
    return null;
  }
}
