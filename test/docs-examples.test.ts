import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../packages/session/test/support/postgres.js";
import { type RedisServer, startRedis } from "../packages/session/test/support/redis-server.js";
import { parseMarkdown } from "../scripts/docs/markdown.js";
import { readerProject } from "./support/reader-project.js";
import { repoRoot } from "./support/scaffold-cli.js";

/**
 * The package README's runnable examples, run as a reader runs them: the block's text as it stands
 * in the README, in a folder of its own that resolves `hattip-session` to the built package, started
 * with tsx, and asked over real HTTP; the quick starts against a real redis-server and PostgreSQL.
 */
const README = join(repoRoot, "packages/session/README.md");
const TSX = join(repoRoot, "node_modules/.bin/tsx");

function exampleCode(id: string): string {
  const { codeBlocks } = parseMarkdown(README, readFileSync(README, "utf8"));
  const block = codeBlocks.find((candidate) => candidate.attributes.get("id") === id);
  if (!block) throw new Error(`packages/session/README.md has no block with id=${id}`);
  return block.code;
}

const scratch = mkdtempSync(join(tmpdir(), "docs-examples-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const project = (files: Record<string, string>) => readerProject(scratch, files);

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const running: ChildProcess[] = [];
afterEach(() => {
  // The whole process group: tsx runs the example in a node process of its own, which a SIGKILL to tsx would leave running.
  for (const child of running.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Exited already.
    }
  }
});

/** `tsx <entry>` in `dir`, leading a process group of its own so that afterEach can stop it whole. */
function runTsx(dir: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(TSX, [entry], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  running.push(child);
  return child;
}

/** Starts `tsx <entry>` in `dir` and resolves with its base URL once it answers; fails with its output if it exits or stays silent. */
async function start(dir: string, entry: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = runTsx(dir, entry, { ...process.env, ...env, PORT: String(port) });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}:\n${output}`);
    try {
      await fetch(base, { method: "HEAD" });
      return base;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${entry} did not answer on port ${port} within 20 s:\n${output}`);
}

/** The `name=value` of a response's session cookie, as a browser would send it back. */
function sessionCookie(response: Response): string {
  const setCookie = response.headers.getSetCookie().find((line) => line.startsWith("session="));
  expect(setCookie, "a session cookie").toBeDefined();
  return (setCookie as string).split(";")[0] as string;
}

/** The quick starts' app: a first visit counts 1 and sets the cookie, the next one with it counts 2. */
async function expectTwoVisits(base: string): Promise<string> {
  const first = await fetch(base);
  expect(await first.text()).toBe("Visits: 1");
  const cookie = sessionCookie(first);
  expect(await (await fetch(base, { headers: { cookie } })).text()).toBe("Visits: 2");
  return cookie;
}

describe("the package README's first example", () => {
  it("greets a stranger, signs in with a POST to /login (303 and a cookie), then greets user 42", async () => {
    const dir = project({
      "handler.ts": exampleCode("first-example"),
      // How the README says to serve it on Node.
      "server.ts":
        'import { createServer } from "@hattip/adapter-node";\nimport handler from "./handler.ts";\ncreateServer(handler).listen(Number(process.env.PORT));\n',
    });
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const base = await start(dir, "server.ts", { SESSION_KEYS: key });

    const stranger = await fetch(base);
    expect(await stranger.text()).toBe("Hello stranger");
    expect(stranger.headers.getSetCookie()).toEqual([]);

    const login = await fetch(`${base}/login`, { method: "POST", redirect: "manual" });
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe(`${base}/`);
    const cookie = sessionCookie(login);

    expect(await (await fetch(base, { headers: { cookie } })).text()).toBe("Hello 42");
  });

  it("refuses to start without SESSION_KEYS, saying which setting is missing", async () => {
    const dir = project({ "handler.ts": exampleCode("first-example") });
    const child = runTsx(dir, "handler.ts", { ...process.env, SESSION_KEYS: "" });
    let output = "";
    child.stderr?.on("data", (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).not.toBe(0);
    expect(output).toContain("Set SESSION_KEYS");
  });
});

describe("the package README's quick starts against real servers", () => {
  let redis: RedisServer;
  let database: TestDatabase;
  beforeAll(async () => {
    [redis, database] = await Promise.all([startRedis(), createTestDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), database?.drop()]);
  });

  it("Redis: counts visits in a session kept in Redis under one hashed key", async () => {
    const base = await start(project({ "server.ts": exampleCode("redis-quick-start") }), "server.ts", { REDIS_URL: redis.url });
    const cookie = await expectTwoVisits(base);

    const keys = (await redis.cli("--raw", "KEYS", "session:*")).split("\n").filter(Boolean);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(cookie.slice("session=".length));
  });

  it("PostgreSQL: creates its table, then counts visits in a session kept in one row", async () => {
    const base = await start(project({ "server.ts": exampleCode("postgres-quick-start") }), "server.ts", { DATABASE_URL: database.url });
    const cookie = await expectTwoVisits(base);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id_hash: string; record: string }>("SELECT id_hash, record FROM hattip_sessions");
      expect(rows).toHaveLength(1);
      expect(rows[0]?.record).toMatch(/^3\.[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+\..*"visits":2/);
      expect(rows[0]?.id_hash).not.toBe(cookie.slice("session=".length));
    } finally {
      await client.end();
    }
  });
});
