/**
 * The node-redis starter's REDIS_URL forms (templates/node-redis/src/redis-client.ts):
 * what each parses to, and the errors that say what to fix. The clients it
 * builds are exercised for real by the failover tests (Sentinel, Cluster, one server).
 */
import { describe, expect, it } from "vitest";
import { parseRedisUrl, redisDurability, RedisUrlError } from "../templates/node-redis/src/redis-client.js";

describe("parseRedisUrl", () => {
  it.each([
    ["redis://127.0.0.1:6379", { kind: "server", url: "redis://127.0.0.1:6379" }],
    ["rediss://:secret@cache.example:6380/2", { kind: "server", url: "rediss://:secret@cache.example:6380/2" }],
    [
      "redis+sentinel://10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster",
      {
        kind: "sentinel",
        masterName: "mymaster",
        sentinels: [
          { host: "10.0.0.1", port: 26379 },
          { host: "10.0.0.2", port: 26379 },
          { host: "::1", port: 26380 },
        ],
      },
    ],
    [
      "redis+sentinel://app:p%40ss:word@s1:5000/sessions%2Fprimary",
      { kind: "sentinel", masterName: "sessions/primary", sentinels: [{ host: "s1", port: 5000 }], username: "app", password: "p@ss:word" },
    ],
    [
      "REDIS+CLUSTER://:secret@n1:7000,n2",
      {
        kind: "cluster",
        nodes: [
          { host: "n1", port: 7000 },
          { host: "n2", port: 6379 },
        ],
        password: "secret",
      },
    ],
  ])("%s", (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it.each([
    ["127.0.0.1:6379", "must start with redis://"],
    ["http://localhost", "must start with redis://"],
    ["redis+sentinel://10.0.0.1:26379", "ends with the name the sentinels monitor"],
    ["redis+cluster://n1:7000/0", "takes no path"],
    ["redis+cluster://n1:70000", "outside 1-65535"],
    ["redis+cluster://n1:port", "not host or host:port"],
    ["redis+cluster://", "not host or host:port"],
  ])("refuses %s, saying what is wrong", (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });
});

describe("redisDurability", () => {
  it("is off unless REDIS_WAIT_REPLICAS names 1 or more replicas", () => {
    expect(redisDurability({})).toBeUndefined();
    expect(redisDurability({ REDIS_WAIT_REPLICAS: "" })).toBeUndefined();
    expect(redisDurability({ REDIS_WAIT_REPLICAS: "0" })).toBeUndefined();
    expect(redisDurability({ REDIS_WAIT_REPLICAS: "1" })).toEqual({ replicas: 1 });
    expect(redisDurability({ REDIS_WAIT_REPLICAS: "2", REDIS_WAIT_TIMEOUT_MS: "250" })).toEqual({ replicas: 2, timeout: 250 });
  });

  it("refuses what is not a whole number", () => {
    expect(() => redisDurability({ REDIS_WAIT_REPLICAS: "one" })).toThrow("REDIS_WAIT_REPLICAS must be a whole number");
    expect(() => redisDurability({ REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT_MS: "0.5" })).toThrow("REDIS_WAIT_TIMEOUT_MS");
  });
});
