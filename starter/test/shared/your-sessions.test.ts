/**
 * "Your sessions" and sudo mode, over real HTTP in this platform's runtime:
 * two or three clients are two or three devices of one user. Where the
 * login store lists sessions (Redis, KV), a device signs another out, or
 * all the others, after a recent password; a handle that is forged, another
 * user's or already ended answers exactly as a real one. Where it cannot (a
 * cookie store), the profile says so and offers nothing. (Shared by the
 * four templates.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../src/password.js";
import { DEFAULT_SUDO_WINDOW_SECONDS, sudoWindowFromSetting } from "../../src/sudo.js";
import { harness } from "../support/harness.js";
import type { HarnessApp } from "./harness.js";
import { Client, type Reply } from "./http.js";

const ALICE = { username: "alice", password: "correct horse battery staple" };
const BOB = { username: "bob", password: "tr0ub4dor&3 but longer" };
const LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
/** Long enough for a test to sign in and act, short enough to wait out. */
const SUDO_WINDOW_SECONDS = 3;

let app: HarnessApp;
/** Each test signs in from its own address, so that no test's attempts count against another's. */
let nextAddress = 40;

beforeAll(async () => {
  const users = `alice:${await hashPassword(ALICE.password)},bob:${await hashPassword(BOB.password)}`;
  app = await harness.start({ env: { USERS: users, SUDO_WINDOW_SECONDS: String(SUDO_WINDOW_SECONDS) } });
});

afterAll(async () => {
  await app?.stop();
});

// Registered only where they apply, so that no template reports a skipped test it could never run.

// Each test starts from users with no session, so that lists hold only the test's own devices.
afterEach(async () => {
  if (!harness.listsSessions) return;
  for (const user of [ALICE, BOB]) {
    const cleaner = await signIn(user);
    expect((await cleaner.post("/sessions/revoke-others")).status).toBe(303);
    await cleaner.post("/logout");
  }
});

function device(address = `127.0.0.${nextAddress++}`): Client {
  return new Client(app.url, harness, address);
}

async function signIn(user: { username: string; password: string }, userAgent = LAPTOP, client = device()): Promise<Client> {
  const reply = await client.post("/login", user, { "user-agent": userAgent });
  expect(reply.status).toBe(303);
  expect(reply.headers.location).toBe("/profile");
  return client;
}

async function isSignedIn(client: Client): Promise<boolean> {
  const reply = await client.get("/profile");
  if (reply.status === 200) return true;
  expect(reply.status).toBe(303);
  expect(reply.headers.location).toBe("/login");
  return false;
}

interface ListedSession {
  device: string;
  current: boolean;
  /** The hidden field of its Sign out form; none for this device. */
  handle: string | undefined;
}

/** The rows of "Your sessions", in the order the page lists them. */
function sessionRows(profile: Reply): string[] {
  return profile.body.match(/<tr data-testid="session"[\s\S]*?<\/tr>/g) ?? [];
}

function listedSessions(profile: Reply): ListedSession[] {
  return sessionRows(profile).map((row) => ({
    device: /<span data-testid="device">([^<]*)<\/span>/.exec(row)?.[1] ?? "",
    current: row.includes("data-current"),
    handle: /name="handle" value="([^"]*)"/.exec(row)?.[1],
  }));
}

/** A cell's `<time>`: its instant, its title and the words it shows. */
function timeIn(row: string, label: string): { datetime: number; title: string; text: string } | undefined {
  const cell = new RegExp(`<td data-label="${label}">([\\s\\S]*?)</td>`).exec(row)?.[1] ?? "";
  const time = /<time datetime="([^"]+)" title="([^"]+)">([^<]+)<\/time>/.exec(cell);
  return time ? { datetime: Date.parse(time[1]!), title: time[2]!, text: time[3]! } : undefined;
}

async function handleOfOtherDevice(client: Client): Promise<string> {
  const others = listedSessions(await client.get("/profile")).filter((session) => !session.current);
  expect(others).toHaveLength(1);
  return others[0]!.handle!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (harness.listsSessions) {
  describe("your sessions, in a store that lists them", () => {
    it("lists each device with its label, this one marked and without a Sign out button", async () => {
      const laptop = await signIn(ALICE, LAPTOP);
      const phone = await signIn(ALICE, PHONE);
      const profile = await phone.get("/profile");
      expect(profile.status).toBe(200);
      expect(profile.body).toContain("<h2>Your sessions</h2>");
      const sessions = listedSessions(profile);
      expect(sessions.map((session) => session.device).sort()).toEqual(["Firefox on Linux", "Safari on iPhone"].sort());
      expect(sessions.find((session) => session.current)).toMatchObject({ device: "Safari on iPhone", handle: undefined });
      const other = sessions.find((session) => !session.current)!;
      expect(other.handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(profile.body).toContain("Sign out everywhere else");
      // The laptop sees the same two, itself as this device.
      expect(listedSessions(await laptop.get("/profile")).find((session) => session.current)?.device).toBe("Firefox on Linux");
    });

    it("lists this device first, marked and active now, then the others by last activity, with relative times that carry the exact instant", async () => {
      const before = Date.now();
      await signIn(ALICE, LAPTOP);
      await signIn(ALICE, PHONE);
      const desktop = await signIn(ALICE, LAPTOP);
      const profile = await desktop.get("/profile");
      const rows = sessionRows(profile);
      // The desktop signed in last, but is listed first: it is this device. Then the phone, active after the laptop.
      expect(listedSessions(profile).map(({ device, current }) => ({ device, current }))).toEqual([
        { device: "Firefox on Linux", current: true },
        { device: "Safari on iPhone", current: false },
        { device: "Firefox on Linux", current: false },
      ]);
      const [current, phone, laptop] = rows as [string, string, string];
      expect(current).toContain('<strong class="this-device">This device</strong>');
      // The current session is active now, not "last active" when it signed in.
      expect(current).toContain('<td data-label="Last active"><span class="active-now">Active now</span></td>');
      expect(timeIn(current, "Last active")).toBeUndefined();
      for (const row of [current, phone, laptop]) {
        const signedIn = timeIn(row, "Signed in")!;
        expect(signedIn.text).toBe("just now");
        expect(signedIn.datetime).toBeGreaterThanOrEqual(before - 1000);
        expect(signedIn.datetime).toBeLessThanOrEqual(Date.now());
        // The title is the exact instant, in words a person reads: "24 Nov 2026, 09:15 UTC".
        expect(signedIn.title).toMatch(/^\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC$/);
      }
      expect(timeIn(phone, "Last active")!.datetime).toBeGreaterThan(timeIn(laptop, "Last active")!.datetime);
      expect(timeIn(phone, "Last active")!.text).toBe("just now");
      for (const other of [phone, laptop]) expect(other).not.toContain("This device");
      // No script on the page: the times are words the server wrote.
      expect(profile.body).not.toContain("<script");
    });

    it("signs out one other device: its next request lands on /login, and the page says what happened", async () => {
      const laptop = await signIn(ALICE, LAPTOP);
      const phone = await signIn(ALICE, PHONE);
      const revoked = await phone.post("/sessions/revoke", { handle: await handleOfOtherDevice(phone) });
      expect(revoked.status).toBe(303);
      expect(revoked.headers.location).toBe("/profile");
      // The laptop still holds its cookie: it is told its session ended (not why), not asked to sign in as a stranger would be.
      const landing = await laptop.get("/profile");
      expect(landing.headers.location).toBe("/login");
      expect(noticeOf(await laptop.get("/login"))).toBe("Your session has ended. Please sign in again.");
      const profile = await phone.get("/profile");
      expect(profile.body).toContain("Signed out that device.");
      expect(listedSessions(profile)).toEqual([{ device: "Safari on iPhone", current: true, handle: undefined }]);
      // Read once: the notice is gone on the next page.
      expect((await phone.get("/profile")).body).not.toContain("Signed out that device.");
    });

    it("signs out everywhere else: every other device lands on /login, this one stays", async () => {
      const others = [await signIn(ALICE, LAPTOP), await signIn(ALICE, LAPTOP)];
      const phone = await signIn(ALICE, PHONE);
      const bob = await signIn(BOB);
      const reply = await phone.post("/sessions/revoke-others");
      expect(reply.status).toBe(303);
      expect(reply.headers.location).toBe("/profile");
      for (const other of others) expect(await isSignedIn(other)).toBe(false);
      expect(await isSignedIn(bob)).toBe(true);
      const profile = await phone.get("/profile");
      expect(profile.body).toContain("Signed out everywhere else.");
      expect(listedSessions(profile)).toHaveLength(1);
      expect(profile.body).toContain("You are signed in on this device only.");
    });

    it("answers a forged, another user's or an ended handle exactly as a real one, and ends nothing with it", async () => {
      const phone = await signIn(ALICE, PHONE);
      const laptop = await signIn(ALICE, LAPTOP);
      const tablet = await signIn(ALICE, PHONE);
      const bob = await signIn(BOB);
      const bobsPhone = await signIn(BOB, PHONE);
      const foreign = await handleOfOtherDevice(bobsPhone);
      // Of the phone's other devices, the laptop is Firefox and the tablet Safari.
      const tabletHandle = (await listedSessionsOf(phone)).find((session) => !session.current && session.device === "Safari on iPhone")!.handle!;

      const answers: Array<{ what: string; reply: Reply; notice: string }> = [];
      for (const [what, handle] of [
        ["real", tabletHandle],
        ["ended", tabletHandle],
        ["forged", "AAAAAAAAAAAAAAAAAAAAAA"],
        ["another user's", foreign],
        ["not a handle at all", "x".repeat(5000)],
        ["empty", ""],
      ] as const) {
        const reply = await phone.post("/sessions/revoke", { handle });
        answers.push({ what, reply, notice: noticeOf(await phone.get("/profile")) });
      }
      const shapes = answers.map(({ what, reply, notice }) => ({
        what,
        status: reply.status,
        location: reply.headers.location,
        body: reply.body,
        cookies: [...reply.setCookies.keys()].sort(),
        notice,
      }));
      const expected = { status: 303, location: "/profile", body: "", cookies: ["notice"], notice: "Signed out that device." };
      for (const shape of shapes) expect(shape).toEqual({ what: shape.what, ...expected });

      expect(await isSignedIn(tablet)).toBe(false);
      // Only the real handle ended anything.
      expect(await Promise.all([isSignedIn(phone), isSignedIn(laptop), isSignedIn(bob), isSignedIn(bobsPhone)])).toEqual([true, true, true, true]);
    });

    it("refuses a cross-site post to sign devices out, as every other form", async () => {
      const laptop = await signIn(ALICE, LAPTOP);
      const phone = await signIn(ALICE, PHONE);
      const forged = await phone.post("/sessions/revoke-others", {}, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
      expect(forged.status).toBe(403);
      expect(await isSignedIn(laptop)).toBe(true);
    });
  });
}

if (harness.listsSessions) {
  describe("sudo mode: signing devices out needs a recent password", () => {
    it("asks for the password once the window has passed, keeps the user signed in, and then does what was asked", async () => {
      const laptop = await signIn(ALICE, LAPTOP);
      const phone = await signIn(ALICE, PHONE);
      await sleep(SUDO_WINDOW_SECONDS * 1000 + 300);

      const prompt = await phone.post("/sessions/revoke-others");
      expect(prompt.status).toBe(200);
      expect(prompt.body).toContain("Confirm it is you");
      expect(prompt.body).toContain('action="/confirm-password"');
      expect(prompt.body).toContain('name="action" value="revoke-others"');
      expect(await isSignedIn(laptop)).toBe(true);

      const wrong = await phone.post("/confirm-password", { action: "revoke-others", password: "not it" });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain("Wrong password.");
      expect(await isSignedIn(laptop)).toBe(true);
      expect(await isSignedIn(phone)).toBe(true);

      const confirmed = await phone.post("/confirm-password", { action: "revoke-others", password: ALICE.password });
      expect(confirmed.status).toBe(303);
      expect(confirmed.headers.location).toBe("/profile");
      expect(await isSignedIn(laptop)).toBe(false);
      const profile = await phone.get("/profile");
      expect(profile.status).toBe(200);
      expect(profile.body).toContain("Signed out everywhere else.");

      // Fresh again: the next sensitive action within the window needs no password.
      const tablet = await signIn(ALICE, PHONE);
      const direct = await phone.post("/sessions/revoke", { handle: await handleOfOtherDevice(phone) });
      expect(direct.status).toBe(303);
      expect(await isSignedIn(tablet)).toBe(false);
    });

    it("carries a one-device sign-out through the password page too", async () => {
      const laptop = await signIn(ALICE, LAPTOP);
      const phone = await signIn(ALICE, PHONE);
      const handle = await handleOfOtherDevice(phone);
      await sleep(SUDO_WINDOW_SECONDS * 1000 + 300);
      const prompt = await phone.post("/sessions/revoke", { handle });
      expect(prompt.status).toBe(200);
      expect(prompt.body).toContain(`name="handle" value="${handle}"`);
      expect(await isSignedIn(laptop)).toBe(true);
      const confirmed = await phone.post("/confirm-password", { action: "revoke", handle, password: ALICE.password });
      expect(confirmed.status).toBe(303);
      expect(noticeOf(await phone.get("/profile"))).toBe("Signed out that device.");
      expect(await isSignedIn(laptop)).toBe(false);
    });

    it("throttles password guesses on the prompt as sign-in does (429 with Retry-After), and refuses a cross-site one", async () => {
      const laptop = await signIn(BOB, LAPTOP);
      const thief = await signIn(BOB, PHONE);
      await sleep(SUDO_WINDOW_SECONDS * 1000 + 300);
      const crossSite = await thief.post(
        "/confirm-password",
        { action: "revoke-others", password: BOB.password },
        { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      );
      expect(crossSite.status).toBe(403);

      const statuses: number[] = [];
      let retryAfter: string | string[] | undefined;
      for (let guess = 0; guess < 12; guess += 1) {
        const reply = await thief.post("/confirm-password", { action: "revoke-others", password: `guess ${guess}` });
        statuses.push(reply.status);
        if (reply.status === 429) retryAfter = reply.headers["retry-after"];
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // Even the right password waits now, from this address: the other device is still signed in.
      const locked = await thief.post("/confirm-password", { action: "revoke-others", password: BOB.password });
      expect(locked.status).toBe(429);
      expect(await isSignedIn(laptop)).toBe(true);
      // The guesses signed no one out, the guesser included.
      expect(await isSignedIn(thief)).toBe(true);
    });
  });
}

if (!harness.listsSessions) {
  describe("your sessions, in a cookie store", () => {
    it("the profile says in one line that this store cannot list devices, and offers no way to try", async () => {
      const client = await signIn({ username: "demo", password: "demo-password" });
      const profile = await client.get("/profile");
      expect(profile.status).toBe(200);
      expect(profile.body).toContain('data-testid="sessions-unavailable"');
      expect(profile.body).toContain("README");
      expect(profile.body).not.toContain("Sign out everywhere else");
      expect((await client.post("/sessions/revoke-others")).status).toBe(404);
      expect((await client.post("/confirm-password", { action: "revoke-others", password: "demo-password" })).status).toBe(404);
    });
  });
}

describe("the SUDO_WINDOW_SECONDS setting", () => {
  it("is ten minutes unless set, takes whole seconds, and refuses anything else with a message that says what it wants", () => {
    expect(DEFAULT_SUDO_WINDOW_SECONDS).toBe(600);
    expect(sudoWindowFromSetting(undefined)).toBe(600);
    expect(sudoWindowFromSetting(" ")).toBe(600);
    expect(sudoWindowFromSetting("300")).toBe(300);
    for (const wrong of ["0", "-5", "1.5", "ten", "86401"]) {
      expect(() => sudoWindowFromSetting(wrong)).toThrow("SUDO_WINDOW_SECONDS must be a whole number of seconds from 1 to 86400");
    }
  });
});

async function listedSessionsOf(client: Client): Promise<ListedSession[]> {
  return listedSessions(await client.get("/profile"));
}

function noticeOf(page: Reply): string {
  return /<p class="notice" role="status">([^<]*)<\/p>/.exec(page.body)?.[1] ?? "";
}
