/**
 * The end of a request, decided case by case: decideEndOfRequest is a pure
 * function of what the request brought, what the handler asked for and the
 * clock, so each rule is one assertion here.
 */
import { describe, expect, it } from "vitest";
import { decideEndOfRequest, type RequestOutcome } from "../src/decision.js";
import { lifetimePolicy } from "../src/lifetime.js";
import type { SessionRecord } from "../src/types.js";

type Data = Record<string, unknown>;

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
// One day idle, refresh at most hourly, 30 days absolute.
const lifetime = lifetimePolicy({ maxAge: 24 * 3600 }, { refreshInterval: 3600 }, 30 * 24 * 3600);

const loadedRecord = (writtenAgo: number, meta?: SessionRecord<Data>["meta"]): SessionRecord<Data> => ({
  data: { user: "ada" },
  createdAt: NOW - 2 * 24 * HOUR,
  expiresAt: NOW - writtenAgo + 24 * HOUR,
  ...(meta ? { meta } : {}),
});

const outcome = (overrides: Partial<RequestOutcome<Data>>): RequestOutcome<Data> => ({
  id: "id-1",
  loaded: loadedRecord(5 * 60_000),
  destroyed: false,
  regenerated: false,
  changed: false,
  keepsRecords: true,
  data: { user: "ada" },
  meta: {},
  now: NOW,
  ...overrides,
});

describe("decideEndOfRequest", () => {
  it("leaves an untouched session alone: no store call, no cookie", () => {
    expect(decideEndOfRequest(outcome({}), lifetime)).toEqual({ action: "leave" });
  });

  it("leaves a visitor who brought no session and changed nothing alone", () => {
    expect(decideEndOfRequest(outcome({ id: undefined, loaded: null }), lifetime)).toEqual({ action: "leave" });
  });

  it("creates a session for a visitor whose fresh session changed, created and written now", () => {
    const decision = decideEndOfRequest(outcome({ id: undefined, loaded: null, changed: true }), lifetime);
    expect(decision).toEqual({
      action: "create",
      record: { data: { user: "ada" }, createdAt: NOW, expiresAt: NOW + 24 * HOUR, meta: {} },
    });
  });

  it("creates rather than updates when the ID brought loaded nothing (unknown, expired, invalid)", () => {
    expect(decideEndOfRequest(outcome({ loaded: null, changed: true }), lifetime).action).toBe("create");
  });

  it("updates a changed session under its ID, keeping its creation time and sliding its deadline", () => {
    const decision = decideEndOfRequest(outcome({ changed: true }), lifetime);
    expect(decision).toEqual({
      action: "update",
      id: "id-1",
      record: { data: { user: "ada" }, createdAt: NOW - 2 * 24 * HOUR, expiresAt: NOW + 24 * HOUR, meta: {} },
    });
  });

  it("refreshes an unchanged session once its refresh interval has passed, not before", () => {
    expect(decideEndOfRequest(outcome({ loaded: loadedRecord(2 * HOUR) }), lifetime).action).toBe("update");
    expect(decideEndOfRequest(outcome({ loaded: loadedRecord(30 * 60_000) }), lifetime).action).toBe("leave");
  });

  it("never refreshes a session of a store that keeps no timestamps", () => {
    expect(decideEndOfRequest(outcome({ loaded: loadedRecord(2 * HOUR), keepsRecords: false }), lifetime).action).toBe("leave");
  });

  it("never slides a deadline past the absolute lifetime", () => {
    const old: SessionRecord<Data> = { data: {}, createdAt: NOW - 30 * 24 * HOUR + HOUR, expiresAt: NOW + HOUR };
    const decision = decideEndOfRequest(outcome({ loaded: old, changed: true }), lifetime);
    expect(decision.action === "update" && decision.record.expiresAt).toBe(NOW + HOUR);
  });

  it("ends the session when destroy() was called: destroy the ID, clear the cookie", () => {
    expect(decideEndOfRequest(outcome({ destroyed: true }), lifetime)).toEqual({ action: "destroy", id: "id-1" });
  });

  it("lets destroy() win over regenerate(), changes and metadata, whatever the order they were called in", () => {
    const everything = outcome({ destroyed: true, regenerated: true, changed: true, meta: { flash: { notice: "hi" }, user: "u1" } });
    expect(decideEndOfRequest(everything, lifetime)).toEqual({ action: "destroy", id: "id-1" });
  });

  it("destroys the ID brought even when it loaded nothing (a record the schema refused is still the user's to end)", () => {
    expect(decideEndOfRequest(outcome({ loaded: null, destroyed: true }), lifetime)).toEqual({ action: "destroy", id: "id-1" });
  });

  it("leaves a visitor who brought no session and destroyed it alone: nothing to destroy or clear", () => {
    expect(decideEndOfRequest(outcome({ id: undefined, loaded: null, destroyed: true }), lifetime)).toEqual({ action: "leave" });
  });

  it("rotates a live session on regenerate(): destroy the old ID, store under a new one, restart the absolute lifetime", () => {
    const decision = decideEndOfRequest(outcome({ regenerated: true }), lifetime);
    expect(decision).toEqual({
      action: "rotate",
      id: "id-1",
      record: { data: { user: "ada" }, createdAt: NOW, expiresAt: NOW + 24 * HOUR, meta: {} },
    });
  });

  it("creates a new session on regenerate() when there was none to rotate", () => {
    expect(decideEndOfRequest(outcome({ id: undefined, loaded: null, regenerated: true }), lifetime).action).toBe("create");
    expect(decideEndOfRequest(outcome({ loaded: null, regenerated: true }), lifetime).action).toBe("create");
  });

  it("stamps last-seen on a write of a bound session only", () => {
    const bound = decideEndOfRequest(outcome({ changed: true, meta: { user: "u1" } }), lifetime);
    expect(bound.action === "update" && bound.record.meta).toEqual({ user: "u1", seenAt: NOW });
    const anonymous = decideEndOfRequest(outcome({ changed: true, meta: { flash: { notice: "hi" } } }), lifetime);
    expect(anonymous.action === "update" && anonymous.record.meta).toEqual({ flash: { notice: "hi" } });
  });

  it("carries a fixed deadline (cookieOptions.expires) unchanged, however active the session", () => {
    const fixed = lifetimePolicy({ expires: new Date(NOW + 3 * HOUR) }, true, undefined);
    const decision = decideEndOfRequest(outcome({ loaded: loadedRecord(2 * HOUR), changed: true }), fixed);
    expect(decision.action === "update" && decision.record.expiresAt).toBe(NOW + 3 * HOUR);
    expect(decideEndOfRequest(outcome({ loaded: { ...loadedRecord(0), expiresAt: NOW + 3 * HOUR } }), fixed).action).toBe("leave");
  });
});
