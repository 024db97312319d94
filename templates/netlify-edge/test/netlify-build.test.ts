/**
 * Netlify's own build of this app, offline (`npm run build -- --offline`,
 * scripts/netlify.mjs): it bundles the edge functions with the app's own
 * Deno (nothing downloaded), routes `POST /login` to the rate-limit function
 * before the app (netlify.toml), and, since an offline build cannot read the
 * rule's numbers from the function, refuses to pass rather than ship
 * without the limit. Run on a copy of the app, whose `.netlify/` it writes.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as rateLimit from "../netlify/edge-functions/login-rate-limit.ts";
import { rateLimitProblem } from "../scripts/netlify.mjs";
import type { Declaration } from "@netlify/edge-bundler";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
/** The hattip-session repository this app sits in (a template, or a variant laid out by scripts/store-variant.ts), if it does. */
const REPOSITORY = [join(APP_DIR, ".."), join(APP_DIR, "..", ".."), join(APP_DIR, "..", "..", "..")].find((dir) =>
  existsSync(join(dir, "packages", "session", "package.json")),
);
const LEFT_OUT = new Set(["node_modules", ".netlify", "dist", ".env"]);

interface Route {
  function: string;
  path?: string;
  methods?: string[];
}

let copy: string;
let home: string;
let build: { code: number | null; output: string };
let manifest: { routes: Route[]; bundles: Array<{ format: string }>; function_config: Record<string, { traffic_rules?: unknown }> };

/**
 * The copy's node_modules: the app's own, or, inside this repository (where npm hoists the app's packages
 * to the root), links to the root's packages and then the template's, as Node resolves them from the template.
 */
function linkPackages(target: string): void {
  if (!REPOSITORY) {
    symlinkSync(join(APP_DIR, "node_modules"), join(target, "node_modules"), "junction");
    return;
  }
  const modules = join(target, "node_modules");
  for (const source of [join(REPOSITORY, "node_modules"), join(APP_DIR, "node_modules")]) {
    for (const entry of readdirSync(source)) {
      if (entry === ".bin" || entry === ".package-lock.json") continue;
      const scoped = entry.startsWith("@");
      for (const name of scoped ? readdirSync(join(source, entry)).map((inner) => join(entry, inner)) : [entry]) {
        const link = join(modules, name);
        rmSync(link, { recursive: true, force: true });
        mkdirSync(join(link, ".."), { recursive: true });
        symlinkSync(join(source, name), link, "junction");
      }
    }
  }
}

function runBuild(cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["scripts/netlify.mjs", "build", "--offline"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), "netlify-build-"));
  home = mkdtempSync(join(tmpdir(), "netlify-build-home-"));
  for (const entry of readdirSync(APP_DIR)) {
    if (!LEFT_OUT.has(entry)) cpSync(join(APP_DIR, entry), join(copy, entry), { recursive: true });
  }
  linkPackages(copy);
  // A home of its own: a Deno that Netlify's bundler downloaded would land in its cache there.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|NETLIFY)/i.test(name)));
  build = await runBuild(copy, { ...env, HOME: home, XDG_CACHE_HOME: join(home, ".cache"), NO_COLOR: "1" });
  const path = join(copy, ".netlify", "edge-functions-dist", "manifest.json");
  if (existsSync(path)) manifest = JSON.parse(readFileSync(path, "utf8"));
}, 300_000);

afterAll(() => {
  for (const dir of [copy, home]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm run build -- --offline", () => {
  it("bundles the edge functions with the app's own Deno, downloading none", () => {
    expect(manifest, build.output).toBeDefined();
    expect(manifest.bundles.map((bundle) => bundle.format)).toContain("eszip2");
    // Deno's own module cache may be there (.cache/deno/); a deno program may not.
    const downloaded = readdirSync(home, { recursive: true, withFileTypes: true }).filter(
      (entry) => entry.isFile() && /^deno(\.exe)?$/.test(entry.name),
    );
    expect(downloaded).toEqual([]);
  });

  it("routes POST /login to the rate-limit function, before the app, in the manifest it writes", () => {
    const limit = manifest.routes.findIndex((route) => route.function === "login-rate-limit");
    expect(manifest.routes[limit]).toMatchObject({ function: "login-rate-limit", path: "/login", methods: ["POST"] });
    expect(manifest.routes.findIndex((route) => route.function === "app")).toBeGreaterThan(limit);
  });

  it("fails, saying why, when the build could not read the rule from the function", () => {
    expect(manifest.function_config["login-rate-limit"]?.traffic_rules).toBeUndefined();
    expect(build.code).toBe(1);
    expect(build.output).toContain("carries no rate-limit rule");
    expect(build.output).toContain("edge.netlify.com");
  });
});

describe("the check of the built manifest", () => {
  it("passes the manifest Netlify's bundler writes when it can read the function's rule", async () => {
    // What an online build does with the rule it reads from login-rate-limit.ts, by Netlify's own code.
    const { generateManifest, mergeDeclarations } = await import("@netlify/edge-bundler");
    const toml = readFileSync(join(APP_DIR, "netlify.toml"), "utf8");
    const declarations: Declaration[] = [
      ...toml.matchAll(/\[\[edge_functions\]\]\s+path = "([^"]+)"\s+(?:method = \[([^\]]*)\]\s+)?function = "([^"]+)"/g),
    ].map(([, path, method, name]) => ({
      path: path as `/${string}`,
      function: name!,
      ...(method ? { method: JSON.parse(`[${method}]`) as "POST"[] } : {}),
    }));
    const userFunctionConfig = { "login-rate-limit": rateLimit.config as never };
    const functions = ["login-rate-limit", "app"].map((name) => ({ name, path: join(APP_DIR, "netlify", "edge-functions", `${name}.ts`) }));
    const { manifest: online } = generateManifest({
      functions,
      declarations: mergeDeclarations(declarations, userFunctionConfig, {}, []),
      userFunctionConfig,
    });
    expect(rateLimitProblem(online)).toBeUndefined();
    expect(JSON.stringify(online.function_config)).toContain('"window_limit":10');
  });

  it("names what is missing: the route, its order, the rule", () => {
    expect(rateLimitProblem({ routes: [{ function: "app", path: "/*" }] })).toContain("routes no POST /login");
    expect(
      rateLimitProblem({
        routes: [
          { function: "app", path: "/*" },
          { function: "login-rate-limit", path: "/login", methods: ["POST"] },
        ],
        function_config: { "login-rate-limit": { traffic_rules: {} } },
      }),
    ).toContain("before login-rate-limit");
  });
});
