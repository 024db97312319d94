/**
 * Micro benchmark: the per-request cost of one load plus one save for each
 * cookie store, ours next to @hattip/session 0.0.49 (same data, same keys)
 * and, for encryption, iron-session's unsealData + sealData.
 */
import * as theirs from "@hattip/session";
import { EncryptedCookieStore, SignedCookieStore, UnsignedCookieStore } from "hattip-session";
import { sealData, unsealData } from "iron-session";
import { Bench } from "tinybench";
import { benchKeys, largeSession, SESSION_MAX_AGE_SECONDS, typicalSession } from "./fixtures.js";

export interface MicroResult {
  store: "unsigned" | "signed" | "encrypted";
  size: "200B" | "2KB";
  /**
   * "hattip-session" loads each cookie with a new store, so that the
   * Web Crypto check is paid every time (the cost for a cookie the server
   * has not seen yet); "hattip-session (seen)" reuses the store, which
   * remembers cookie values it has already proven or made.
   */
  library: "hattip-session" | "hattip-session (seen)" | "@hattip/session" | "iron-session";
  /** load + save pairs per second (tinybench throughput mean). */
  opsPerSecond: number;
  /** Mean time of one load + save, in microseconds. */
  meanMicroseconds: number;
  samples: number;
  /** Bytes of the cookie value the store wrote. */
  cookieBytes: number;
}

export interface MicroOptions {
  /** Milliseconds each task runs. */
  timeMs: number;
  warmupMs: number;
}

type LoadSave = () => Promise<unknown>;

interface Case {
  store: MicroResult["store"];
  size: MicroResult["size"];
  library: MicroResult["library"];
  /** Builds the task once: the cookie value a request would carry, then load + save of it. */
  prepare(data: Record<string, unknown>): Promise<{ cookie: string; run: LoadSave }>;
}

export async function runMicro(options: MicroOptions): Promise<MicroResult[]> {
  const keys = await benchKeys();
  const maxAgeMs = SESSION_MAX_AGE_SECONDS * 1000;
  const record = (data: Record<string, unknown>) => {
    const now = Date.now();
    return { data, createdAt: now, expiresAt: now + maxAgeMs };
  };

  const ourCookieStore =
    (makeStore: () => SignedCookieStore | EncryptedCookieStore, seen: boolean) => async (data: Record<string, unknown>) => {
      const shared = makeStore();
      const cookie = await shared.saveRecord(null, record(data));
      return {
        cookie,
        run: async () => {
          const store = seen ? shared : makeStore();
          const loaded = await store.loadRecord(cookie);
          if (!loaded) throw new Error("our store rejected its own cookie");
          return store.saveRecord(null, loaded);
        },
      };
    };
  const theirCookieStore = (store: theirs.SimpleCookieStore) => async (data: Record<string, unknown>) => {
    const cookie = await store.save(null, data, maxAgeMs);
    return {
      cookie,
      run: async () => {
        const loaded = await store.load(cookie);
        if (!loaded) throw new Error("@hattip/session rejected its own cookie");
        return store.save(null, loaded, maxAgeMs);
      },
    };
  };

  const ourUnsigned = new UnsignedCookieStore();
  const cases: Omit<Case, "size">[] = [
    {
      store: "unsigned",
      library: "hattip-session",
      prepare: async (data) => {
        const cookie = ourUnsigned.save(null, data);
        return {
          cookie,
          run: async () => {
            const loaded = ourUnsigned.load(cookie);
            if (!loaded) throw new Error("our store rejected its own cookie");
            return ourUnsigned.save(null, loaded);
          },
        };
      },
    },
    { store: "unsigned", library: "@hattip/session", prepare: theirCookieStore(new theirs.SimpleCookieStore()) },
    { store: "signed", library: "hattip-session", prepare: ourCookieStore(() => new SignedCookieStore(keys.hmac), false) },
    { store: "signed", library: "hattip-session (seen)", prepare: ourCookieStore(() => new SignedCookieStore(keys.hmac), true) },
    { store: "signed", library: "@hattip/session", prepare: theirCookieStore(new theirs.SignedCookieStore(keys.hmac)) },
    { store: "encrypted", library: "hattip-session", prepare: ourCookieStore(() => new EncryptedCookieStore(keys.aes), false) },
    {
      store: "encrypted",
      library: "hattip-session (seen)",
      prepare: ourCookieStore(() => new EncryptedCookieStore(keys.aes), true),
    },
    { store: "encrypted", library: "@hattip/session", prepare: theirCookieStore(new theirs.EncryptedCookieStore(keys.aes)) },
    {
      store: "encrypted",
      library: "iron-session",
      prepare: async (data) => {
        const ironOptions = { password: keys.ironPassword, ttl: SESSION_MAX_AGE_SECONDS };
        const cookie = await sealData(data, ironOptions);
        return {
          cookie,
          run: async () => {
            const loaded = await unsealData<Record<string, unknown>>(cookie, ironOptions);
            if (!loaded || Object.keys(loaded).length === 0) throw new Error("iron-session rejected its own seal");
            return sealData(loaded, ironOptions);
          },
        };
      },
    },
  ];

  const sizes = { "200B": typicalSession(), "2KB": largeSession() } as const;
  const bench = new Bench({ time: options.timeMs, warmupTime: options.warmupMs, throws: true });
  const prepared: { result: Omit<MicroResult, "opsPerSecond" | "meanMicroseconds" | "samples">; name: string }[] = [];
  for (const [size, data] of Object.entries(sizes) as [MicroResult["size"], Record<string, unknown>][]) {
    for (const entry of cases) {
      const { cookie, run } = await entry.prepare(structuredClone(data));
      const name = `${entry.store} ${size} ${entry.library}`;
      bench.add(name, run);
      prepared.push({ name, result: { store: entry.store, size, library: entry.library, cookieBytes: cookie.length } });
    }
  }
  await bench.run();

  return prepared.map(({ name, result }) => {
    const task = bench.getTask(name);
    const stats = task?.result;
    if (!stats || !("throughput" in stats)) throw new Error(`micro benchmark "${name}" produced no statistics`);
    return {
      ...result,
      opsPerSecond: stats.throughput.mean,
      meanMicroseconds: stats.latency.mean * 1000,
      samples: stats.latency.samplesCount,
    };
  });
}
