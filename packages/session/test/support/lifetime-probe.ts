/**
 * Probes for the absolute lifetime: sessions with short lives, and a
 * client that keeps one busy until the server ends it.
 */
import type { CookieClient } from "./browser-like-client.js";

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const bodyOf = (response: { body: string }) => JSON.parse(response.body) as { data: Record<string, unknown>; isFresh: boolean };

/** Idle lifetime 2 s, absolute 4 s, refreshed at most every 0.5 s. */
export const SHORT_LIVES = { cookieOptions: { maxAge: 2 }, absoluteLifetime: 4, rolling: { refreshInterval: 0.5 } } as const;

/**
 * Creates a session, then reads it every 400 ms (well within the idle
 * lifetime) until the server starts a fresh one, or gives up 2 s after
 * the absolute lifetime. Without an absolute lifetime the reads would keep
 * the session alive for ever.
 */
export async function readEvery400msUntilFresh(client: CookieClient) {
  await client.get("/increment");
  const created = Date.now();
  let lastCookie = client.jar.get("session")!;
  let aliveUntil = created;
  while (Date.now() < created + SHORT_LIVES.absoluteLifetime * 1000 + 2_000) {
    await pause(400);
    if (bodyOf(await client.get("/read")).isFresh) return { endedByServer: true, aliveFor: aliveUntil - created, lastCookie };
    aliveUntil = Date.now();
    lastCookie = client.jar.get("session") ?? lastCookie;
  }
  return { endedByServer: false, aliveFor: aliveUntil - created, lastCookie };
}
