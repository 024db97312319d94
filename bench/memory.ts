/**
 * What sessions cost in memory: bytes of heap per session held by each
 * memory store (ours and @hattip/session's, the typical session), and the
 * bound of every cache the package keeps per process, read from its source
 * so the report cannot drift from the code.
 */
import * as theirs from "@hattip/session";
import type * as OursModule from "hattip-session";
import { readFile } from "node:fs/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { typicalSession } from "./fixtures.js";

export interface MemoryResult {
  sessions: number;
  /** Heap bytes per session held, ours and @hattip/session's memory store. */
  bytesPerSession: { ours: number; theirs: number };
  caches: CacheBound[];
}

export interface CacheBound {
  name: string;
  bound: string;
}

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return process.memoryUsage().heapUsed;
}

export async function measureMemory(sessions: number, ours?: typeof OursModule): Promise<MemoryResult> {
  const module = ours ?? (await import("hattip-session"));
  const maxAge = 7 * 24 * 3600 * 1000;
  const perSession = async (fill: () => Promise<unknown>) => {
    const before = await settledHeap();
    const held = await fill();
    const after = await settledHeap();
    // Keeps the store reachable until after the measurement.
    if (!held) throw new Error("nothing held");
    return (after - before) / sessions;
  };
  const oursBytes = await perSession(async () => {
    const store = new module.UnsafeMemoryStore();
    for (let i = 0; i < sessions; i++) await store.save(null, typicalSession(), maxAge);
    return store;
  });
  const theirsBytes = await perSession(async () => {
    const store = new theirs.UnsafeMemorySessionStore();
    for (let i = 0; i < sessions; i++) await store.save(null, typicalSession(), maxAge);
    return store;
  });
  return { sessions, bytesPerSession: { ours: oursBytes, theirs: theirsBytes }, caches: await cacheBounds() };
}

/** Every process-wide cache of the package, with its bound, found by reading the source. */
async function cacheBounds(): Promise<CacheBound[]> {
  const read = (path: string) => readFile(new URL(`../packages/session/src/${path}`, import.meta.url), "utf8").catch(() => "");
  const [cookieStore, sha256, purpose] = await Promise.all([
    read("stores/cookie-record-store.ts"),
    read("crypto/sha256.ts"),
    read("crypto/purpose.ts"),
  ]);
  const constant = (text: string, name: string) => /=\s*([\d_]+)\s*;/.exec(text.slice(text.indexOf(name)))?.[1]?.replace(/_/g, "");
  const bounds: CacheBound[] = [];
  const verified = constant(cookieStore, "RECOVERED_CACHE_SIZE");
  bounds.push({
    name: "verified-cookie cache (signed and encrypted stores)",
    bound: verified ? `${verified} values per store` : "none: removed, every load verifies",
  });
  const digests = constant(sha256, "RECENT_LIMIT");
  const longest = constant(sha256, "MAX_REMEMBERED_LENGTH");
  if (digests) {
    bounds.push({
      name: "recent session-ID digests (Redis, KV; Web Crypto path only)",
      bound: `${digests} entries of at most ${longest} characters each, per process`,
    });
  }
  const purposes = constant(purpose, "MEMO_LIMIT");
  if (purposes) bounds.push({ name: "purpose bytes by cookie name (signed and encrypted stores)", bound: `${purposes} names per store` });
  return bounds;
}
