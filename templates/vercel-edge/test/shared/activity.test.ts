/**
 * "Recent security activity" on the profile: over real HTTP in this
 * platform's runtime and its real store, where the login store lists
 * sessions (two clients are two devices of one user); and the log's own
 * rules (cap, age, keys without user names, what a page shows) on the
 * memory storage, in every template. (Shared by the four templates.)
 */
import type { RequestContext } from "@hattip/compose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ACTIVITY_LIMIT,
  ACTIVITY_MAX_AGE_SECONDS,
  type ActivityEntry,
  type ActivityStorage,
  keyedActivityLog,
  MemoryActivityStorage,
  recentActivityHtml,
  recordActivity,
} from "../../src/activity.js";
import { hashPassword } from "../../src/password.js";
import { harness } from "../support/harness.js";
import type { HarnessApp } from "./harness.js";
import { Client, type Reply } from "./http.js";

const SECRET = "a-test-secret-of-thirty-two-characters-or-more";
const LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
/** Long enough for a test to sign in and act, short enough to wait out. */
const SUDO_WINDOW_SECONDS = 5;
const PASSWORD = "a passphrase for the activity log";
/** One user per test, so that each test's log holds only its own entries. */
const USERS = ["erin", "frank", "grace", "heidi", "ivan"] as const;

describe("the activity log's rules", () => {
  const entry = (index: number, at = Date.now()): ActivityEntry => ({ kind: "signed-in", device: `Device ${index}`, at });

  it(`keeps a user's last ${ACTIVITY_LIMIT} entries, newest first, when more come`, async () => {
    const log = keyedActivityLog(new MemoryActivityStorage(), SECRET);
    for (let index = 1; index <= ACTIVITY_LIMIT + 5; index++) await log.append("alice", entry(index));
    const recent = await log.recent("alice", 100);
    expect(recent).toHaveLength(ACTIVITY_LIMIT);
    expect(recent[0]?.device).toBe(`Device ${ACTIVITY_LIMIT + 5}`);
    expect(recent.at(-1)?.device).toBe("Device 6");
  });

  it("keeps each user's entries apart, under a key that is not the user name", async () => {
    const keys: string[] = [];
    const storage = new MemoryActivityStorage();
    const watched: ActivityStorage = {
      append: (key, item, limits) => {
        keys.push(key);
        return storage.append(key, item, limits);
      },
      recent: (key, limit) => storage.recent(key, limit),
    };
    const log = keyedActivityLog(watched, SECRET);
    await log.append("alice", entry(1));
    await log.append("bob", entry(2));
    expect((await log.recent("alice", 20)).map((item) => item.device)).toEqual(["Device 1"]);
    expect((await log.recent("bob", 20)).map((item) => item.device)).toEqual(["Device 2"]);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain("alice");
      expect(key).not.toContain("bob");
    }
    // Another secret names the same user otherwise: a dump cannot be matched against a list of names without it.
    const other: string[] = [];
    await keyedActivityLog({ append: async (key) => void other.push(key), recent: async () => [] }, `${SECRET}-other`).append("alice", entry(1));
    expect(other[0]).not.toBe(keys[0]);
  });

  it(`shows no entry older than ${ACTIVITY_MAX_AGE_SECONDS / 86_400} days, nor one the store hands back damaged`, async () => {
    const stored: unknown[] = [
      entry(1),
      { kind: "signed-in", device: "Old", at: Date.now() - ACTIVITY_MAX_AGE_SECONDS * 1000 - 1 },
      { kind: "made-up", at: Date.now() },
      "not an entry",
      entry(2),
    ];
    const log = keyedActivityLog({ append: async () => {}, recent: async () => stored }, SECRET);
    expect((await log.recent("alice", 20)).map((item) => item.device)).toEqual(["Device 1", "Device 2"]);
  });

  it("answers the request whatever the log does: a write that fails is logged, one that hangs is left behind after 3 s", async () => {
    const errors: unknown[][] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args));
    try {
      for (const append of [async () => Promise.reject(new Error("store down")), () => new Promise<void>(() => {})]) {
        const { events, middleware } = recordActivity({ append, recent: async () => [] });
        const handedOn: Promise<unknown>[] = [];
        const ctx = {
          next: async () => {
            // As session() reports a sign-in at the end of the request.
            events.bound?.(
              { type: "bound", at: Date.now(), store: "Test", cookieName: "session", handle: "h", userId: "alice", device: "Firefox on Linux" },
              ctx,
            );
            return new Response("signed in");
          },
          waitUntil: (promise: Promise<unknown>) => void handedOn.push(promise),
        } as unknown as RequestContext;
        const started = Date.now();
        const response = await middleware(ctx);
        expect(await response.text()).toBe("signed in");
        expect(Date.now() - started).toBeLessThan(4_500);
        expect(handedOn).toHaveLength(errors.length === 1 ? 0 : 1);
      }
      expect(String(errors[0]?.[0])).toContain("could not be written");
      expect(String(errors[1]?.[0])).toContain("not written within 3000 ms");
    } finally {
      spy.mockRestore();
    }
  });

  it("shows what happened in words, on which device, and how long ago with the instant in <time datetime>, newest first as given", () => {
    const now = Date.parse("2026-11-24T09:15:00Z");
    const html = recentActivityHtml(
      [
        { kind: "signed-out-others", device: "Safari on iPhone", at: now - 5 * 60_000 },
        { kind: "signed-in", device: '<script>alert("x")</script>', at: now - 2 * 3_600_000 },
        { kind: "signed-out-everywhere", at: now - 3 * 86_400_000 },
      ],
      now,
    );
    expect(html).toContain('<h2 id="activity-heading">Recent security activity</h2>');
    expect(html).toContain('<section aria-labelledby="activity-heading">');
    const items = html.match(/<li [\s\S]*?<\/li>/g) ?? [];
    expect(items).toHaveLength(3);
    expect(items[0]).toContain("Signed out everywhere else</strong>");
    // Signing other devices out names the device it was done from.
    expect(items[0]).toContain('from <span data-testid="activity-device">Safari on iPhone</span>');
    expect(items[1]).toContain('Signed in</strong> <span class="activity-where">on <span data-testid="activity-device">');
    expect(items[0]).toContain('<time datetime="2026-11-24T09:10:00.000Z" title="24 Nov 2026, 09:10 UTC">5 minutes ago</time>');
    expect(items[1]).toContain("&lt;script&gt;");
    expect(items[1]).not.toContain("<script>");
    expect(items[1]).toContain(">2 hours ago</time>");
    expect(items[2]).toContain('Signed out everywhere</strong> <span class="activity-where">by the site</span>');
    expect(recentActivityHtml([], now)).toContain('<p data-testid="activity-empty">Nothing yet.</p>');
  });
});

interface ListedEntry {
  kind: string;
  what: string;
  device: string | undefined;
  at: number;
}

/** The entries of "Recent security activity", in the order the page lists them. */
function listedActivity(profile: Reply): ListedEntry[] {
  expect(profile.status).toBe(200);
  return (profile.body.match(/<li data-testid="activity"[\s\S]*?<\/li>/g) ?? []).map((item) => ({
    kind: /data-kind="([^"]+)"/.exec(item)?.[1] ?? "",
    what: /<strong data-testid="activity-what">([^<]*)<\/strong>/.exec(item)?.[1] ?? "",
    device: /<span data-testid="activity-device">([^<]*)<\/span>/.exec(item)?.[1],
    at: Date.parse(/<time datetime="([^"]+)"/.exec(item)?.[1] ?? ""),
  }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (harness.listsSessions) {
  describe("recent security activity, in a store that lists sessions", () => {
    let app: HarnessApp;
    /** Each device signs in from its own address, so that no test's attempts count against another's. */
    let nextAddress = 90;

    beforeAll(async () => {
      const hash = await hashPassword(PASSWORD);
      app = await harness.start({
        env: { USERS: USERS.map((name) => `${name}:${hash}`).join(","), SUDO_WINDOW_SECONDS: String(SUDO_WINDOW_SECONDS) },
      });
    });

    afterAll(async () => {
      await app?.stop();
    });

    async function signIn(username: string, userAgent: string, client = new Client(app.url, harness, `127.0.0.${nextAddress++}`)): Promise<Client> {
      const reply = await client.post("/login", { username, password: PASSWORD }, { "user-agent": userAgent });
      expect(reply.status).toBe(303);
      return client;
    }

    async function otherHandle(client: Client): Promise<string> {
      const handles = [...(await client.get("/profile")).body.matchAll(/name="handle" value="([^"]+)"/g)].map((match) => match[1]!);
      expect(handles).toHaveLength(1);
      return handles[0]!;
    }

    it("lists sign-ins, a device signed out from another, and everywhere else, newest first, each with its device", async () => {
      const before = Date.now();
      const laptop = await signIn("erin", LAPTOP);
      const phone = await signIn("erin", PHONE);
      expect((await phone.post("/sessions/revoke", { handle: await otherHandle(phone) })).status).toBe(303);
      await signIn("erin", LAPTOP, laptop);
      expect((await phone.post("/sessions/revoke-others")).status).toBe(303);
      const shown = listedActivity(await phone.get("/profile"));
      expect(shown.map(({ what, device }) => ({ what, device }))).toEqual([
        { what: "Signed out everywhere else", device: "Safari on iPhone" },
        { what: "Signed in", device: "Firefox on Linux" },
        { what: "Signed out another device", device: "Safari on iPhone" },
        { what: "Signed in", device: "Safari on iPhone" },
        { what: "Signed in", device: "Firefox on Linux" },
      ]);
      for (const entry of shown) {
        expect(entry.at).toBeGreaterThanOrEqual(before - 1000);
        expect(entry.at).toBeLessThanOrEqual(Date.now());
      }
      // Signing out of this device is the newest entry on the next sign-in, before it.
      expect((await phone.post("/logout")).status).toBe(303);
      const again = listedActivity(await (await signIn("erin", LAPTOP)).get("/profile"));
      expect(again.slice(0, 3).map(({ what, device }) => ({ what, device }))).toEqual([
        { what: "Signed in", device: "Firefox on Linux" },
        { what: "Signed out", device: "Safari on iPhone" },
        { what: "Signed out everywhere else", device: "Safari on iPhone" },
      ]);
    });

    it("lists a password confirmed for signing out everywhere else before the sign-out it allowed, and a sign-in as no confirmation of its own", async () => {
      await signIn("frank", LAPTOP);
      const phone = await signIn("frank", PHONE);
      await sleep(SUDO_WINDOW_SECONDS * 1000 + 300);
      const prompt = await phone.post("/sessions/revoke-others");
      expect(prompt.status).toBe(200);
      expect(prompt.body).toContain("Confirm it is you");
      const confirmed = await phone.post("/confirm-password", { password: PASSWORD, action: "revoke-others", handle: "" });
      expect(confirmed.status).toBe(303);
      expect(listedActivity(await phone.get("/profile")).map(({ what, device }) => ({ what, device }))).toEqual([
        { what: "Signed out everywhere else", device: "Safari on iPhone" },
        { what: "Confirmed password", device: "Safari on iPhone" },
        { what: "Signed in", device: "Safari on iPhone" },
        { what: "Signed in", device: "Firefox on Linux" },
      ]);
    });

    it(`keeps the last ${ACTIVITY_LIMIT} entries of a user who signed in ${ACTIVITY_LIMIT + 2} times`, async () => {
      // Sign-in number n comes from the laptop when n is odd, from the phone when even: 1 to 22, the first two then dropped.
      const deviceOf = (time: number) => (time % 2 ? "Firefox on Linux" : "Safari on iPhone");
      const client = await signIn("grace", LAPTOP);
      for (let time = 2; time <= ACTIVITY_LIMIT + 2; time++) await signIn("grace", time % 2 ? LAPTOP : PHONE, client);
      const shown = listedActivity(await client.get("/profile"));
      expect(shown).toHaveLength(ACTIVITY_LIMIT);
      expect(shown.every((entry) => entry.what === "Signed in")).toBe(true);
      const kept = Array.from({ length: ACTIVITY_LIMIT }, (_, index) => deviceOf(ACTIVITY_LIMIT + 2 - index));
      expect(shown.map((entry) => entry.device)).toEqual(kept);
    });

    it("shows each user only their own activity", async () => {
      const heidi = await signIn("heidi", LAPTOP);
      await signIn("heidi", PHONE);
      expect((await heidi.post("/sessions/revoke-others")).status).toBe(303);
      const ivan = await signIn("ivan", PHONE);
      expect(listedActivity(await ivan.get("/profile")).map(({ what, device }) => ({ what, device }))).toEqual([
        { what: "Signed in", device: "Safari on iPhone" },
      ]);
      expect(listedActivity(await heidi.get("/profile"))).toHaveLength(3);
    });
  });
} else {
  describe("recent security activity, in a cookie store", () => {
    let app: HarnessApp;

    beforeAll(async () => {
      app = await harness.start({ env: { USERS: `erin:${await hashPassword(PASSWORD)}` } });
    });

    afterAll(async () => {
      await app?.stop();
    });

    it("is not on the profile: a cookie store keeps no list of the user's devices, nor of their activity", async () => {
      const client = new Client(app.url, harness, "127.0.0.90");
      expect((await client.post("/login", { username: "erin", password: PASSWORD })).status).toBe(303);
      const profile = await client.get("/profile");
      expect(profile.status).toBe(200);
      expect(profile.body).toContain('data-testid="sessions-unavailable"');
      expect(profile.body).not.toContain('id="activity-heading"');
      expect(profile.body).not.toContain(">Recent security activity</h2>");
    });
  });
}
