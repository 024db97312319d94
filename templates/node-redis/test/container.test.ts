/**
 * The Dockerfile, step by step, without a container engine: the build
 * context as .dockerignore leaves it, the build stage (every dependency,
 * then TypeScript to dist/), the image stage (a fresh install of the
 * production dependencies only, dist/ copied in), then the image's CMD
 * with its ENV, as `docker run -e` would start it, until its HEALTHCHECK
 * passes. See support/dockerfile.ts for how each instruction runs here.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password.js";
import { buildContext, filesUnder, parseDockerfile, runBuildSteps, type Stage } from "./support/dockerfile.js";
import { freePort, stopProcess, waitFor } from "./support/processes.js";
import { startStore, type TestStore } from "./support/store.js";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
/** hattip-session's own folder, when this app sits in its repository (a template, or a variant scripts/store-variant.ts laid out). */
const SESSION_PACKAGE = [join(APP_DIR, ".."), join(APP_DIR, "..", ".."), join(APP_DIR, "..", "..", "..")]
  .map((dir) => join(dir, "packages", "session"))
  .find((dir) => existsSync(join(dir, "package.json")));

let store: TestStore;
let context: string;
let stages: Stage[] = [];

/**
 * npm as a shell in the image would run it: none of the variables `npm test` sets for this process.
 * Never `prefer-offline`: where lockfiles omit `resolved` (npm's omit-lockfile-registry-resolved), npm ci
 * reads each package's metadata, and a cached copy older than a new release refuses the version locked.
 */
function npmEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) || /^npm_config_(cache|registry|userconfig)$/i.test(name)),
  );
  return { ...env, npm_config_update_notifier: "false" };
}

/**
 * Inside this repository the template has no package-lock.json (the workspaces share one) and
 * hattip-session is not published: make the lock a user's first `npm install` makes, on the packed package.
 */
function lockAsAUserWould(dir: string): void {
  if (!SESSION_PACKAGE) throw new Error("The app has no package-lock.json, which the Dockerfile's npm ci needs: run npm install first.");
  const packed = execFileSync("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: SESSION_PACKAGE,
    env: npmEnvironment(),
    encoding: "utf8",
  });
  const [tarball] = JSON.parse(packed.slice(packed.indexOf("["))) as Array<{ filename: string }>;
  const filename = tarball!.filename;
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  manifest.dependencies["hattip-session"] = `file:${join(dir, filename)}`;
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: dir,
    env: npmEnvironment(),
    stdio: "ignore",
  });
}

beforeAll(async () => {
  store = await startStore();
  context = buildContext(APP_DIR);
  if (!existsSync(join(context, "package-lock.json"))) lockAsAUserWould(context);
  stages = await runBuildSteps(parseDockerfile(readFileSync(join(APP_DIR, "Dockerfile"), "utf8")), context, npmEnvironment());
}, 600_000);

afterAll(async () => {
  await store?.stop();
  for (const dir of [context, ...stages.map((stage) => stage.root)]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the Dockerfile", () => {
  it("gets a build context without node_modules, dist or a .env", () => {
    const sent = filesUnder(context);
    expect(sent.filter((file) => /^(node_modules|dist)\//.test(file) || /^\.env$/.test(file))).toEqual([]);
    expect(sent).toContain("src/server.ts");
  });

  it("builds in one stage and runs in another, with the production dependencies only and no sources", () => {
    expect(stages).toHaveLength(2);
    const image = stages[1]!;
    const app = join(image.root, image.workdir);
    expect(existsSync(join(app, "dist", "server.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules", "hattip-session", "package.json"))).toBe(true);
    // What the lock marks dev-only (vitest, tsx, Biome, ...); npm counts an optional peer of a production dependency as production.
    const lock = JSON.parse(readFileSync(join(context, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([path, entry]) => path.startsWith("node_modules/") && entry.dev === true);
    expect(devOnly.map(([path]) => path)).toEqual(expect.arrayContaining(["node_modules/vitest", "node_modules/tsx"]));
    for (const [path] of devOnly) expect(existsSync(join(app, path)), path).toBe(false);
    expect(existsSync(join(app, "src"))).toBe(false);
  });

  it("runs as the unprivileged node user, and says how to check its health", () => {
    const image = stages[1]!;
    expect(image.user).toBe("node");
    expect(image.healthcheck).toBeDefined();
    expect(image.env).toMatchObject({ NODE_ENV: "production", HOST: "0.0.0.0" });
    expect(image.exposed).toEqual([image.env.PORT]);
  });

  it("starts from its CMD with the settings given to docker run, and passes its HEALTHCHECK", async () => {
    const image = stages[1]!;
    const [program, ...args] = image.cmd!;
    expect(program).toBe("node");
    const port = String(await freePort());
    const users = `alice:${await hashPassword("correct horse battery staple")}`;
    const env = { PATH: process.env.PATH ?? "", ...image.env, ...store.env, USERS: users, PORT: port };
    const child = spawn(process.execPath, args, { cwd: join(image.root, image.workdir), env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    try {
      await waitFor(async () => output.includes("Listening on"), "the app in the image", child);
      expect(output).toContain(`Listening on http://0.0.0.0:${port} (from this machine: http://localhost:${port})`);
      const [healthProgram, ...healthArgs] = image.healthcheck!;
      expect(healthProgram).toBe("node");
      const health = spawn(process.execPath, healthArgs, { env, stdio: "ignore" });
      expect(await new Promise((resolve) => health.once("exit", resolve))).toBe(0);
    } finally {
      await stopProcess(child);
    }
    expect(child.exitCode).toBe(0);
  });

  it("sends traces to the collector OTEL_EXPORTER_OTLP_ENDPOINT names: the OpenTelemetry SDK is among its production dependencies", async () => {
    const image = stages[1]!;
    const received: string[] = [];
    const collector = createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on("data", (part: Buffer) => parts.push(part));
      request.on("end", () => {
        if (request.url === "/v1/traces") received.push(Buffer.concat(parts).toString("utf8"));
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const port = String(await freePort());
    const users = `alice:${await hashPassword("correct horse battery staple")}`;
    const env = {
      PATH: process.env.PATH ?? "",
      ...image.env,
      ...store.env,
      USERS: users,
      PORT: port,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    };
    const child = spawn(process.execPath, image.cmd!.slice(1), { cwd: join(image.root, image.workdir), env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    try {
      await waitFor(async () => output.includes("Listening on"), "the app in the image", child);
      expect(output).toContain(`Sending traces and metrics over OTLP (http/json) to ${endpoint}`);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      await waitFor(async () => received.some((body) => body.includes('"hattip_session.request"')), "the home page's session span");
    } finally {
      await stopProcess(child);
      await new Promise((resolve) => collector.close(resolve));
    }
    expect(child.exitCode).toBe(0);
  });
});
