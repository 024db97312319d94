import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCreateApp, cliPath, fixtureTemplates, makeTempDir, readJson, removeDir, runCli, sessionVersion } from "./support/scaffold-cli.js";
import { packTemplate, serveTarballs, STALLED_PATH, type TarballServer } from "./support/scaffold-tarball-server.js";

let workDir: string;
const tempDirs: string[] = [];
let server: TarballServer;
const githubTarball = "/repos/hattip-session/hattip-session/tarball/main";

function temp(prefix: string): string {
  const dir = makeTempDir(prefix);
  tempDirs.push(dir);
  return dir;
}

/** Each run gets its own giget cache, so a result never comes from an earlier download. */
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, {
    cwd: workDir,
    env: {
      XDG_CACHE_HOME: temp("scaffold-giget-cache"),
      CREATE_HATTIP_SESSION_APP_TEMPLATES: fixtureTemplates,
      ...env,
    },
  });

beforeAll(async () => {
  buildCreateApp();
  workDir = temp("scaffold-giget");
  const tarballs = temp("scaffold-giget-tarballs");
  const fixture = join(fixtureTemplates, "fixture-cookie");
  // Screenshots, as this repository's templates keep under docs/: a new app gets none.
  const screenshots = { "docs/home.png": "png", "docs/phone/profile.png": "png" };
  server = await serveTarballs({
    "/community.tar.gz": packTemplate(fixture, tarballs, "community-template", "community", screenshots),
    // Shaped like GitHub's archive of this repository: one top folder, templates/ inside.
    [githubTarball]: packTemplate(fixture, tarballs, "hattip-session-hattip-session-0abc123/templates/fixture-cookie", "repo", {
      "FROM-GITHUB.md": "the latest copy",
      ...screenshots,
    }),
  });
});

afterAll(async () => {
  await server?.close();
  tempDirs.forEach(removeDir);
});

describe("remote templates through giget", () => {
  it("scaffolds a template tarball served over http", async () => {
    const result = await cli(["from-http", "-t", `${server.origin}/community.tar.gz`, "--no-install", "--no-git"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(server.requests).toContain("GET /community.tar.gz");
    const app = join(workDir, "from-http");
    const manifest = readJson(join(app, "package.json"));
    expect(manifest.name).toBe("from-http");
    expect(manifest.dependencies["hattip-session"]).toBe(`^${sessionVersion()}`);
    expect(existsSync(join(app, ".gitignore"))).toBe(true);
    expect(readFileSync(join(app, ".env"), "utf8")).toMatch(/^SESSION_KEYS=[A-Za-z0-9_-]{43}$/m);
    expect(existsSync(join(app, "docs")), "screenshots and the docs/ folder they were in").toBe(false);
  });

  it("fetches this repository's latest template with --remote", async () => {
    const result = await cli(["latest", "-t", "fixture-cookie", "--remote", "--no-install", "--no-git"], {
      GIGET_GITHUB_URL: server.origin,
    });
    expect(result.code).toBe(0);
    expect(server.requests).toContain(`GET ${githubTarball}`);
    expect(result.stderr).not.toContain("used the bundled copy");
    expect(readJson(join(workDir, "latest", "package.json")).name).toBe("latest");
    expect(existsSync(join(workDir, "latest", "FROM-GITHUB.md"))).toBe(true);
    expect(existsSync(join(workDir, "latest", "docs"))).toBe(false);
  });

  it("falls back to the bundled copy when --remote cannot fetch", async () => {
    const result = await cli(["offline", "-t", "fixture-cookie", "--remote", "--no-install", "--no-git"], {
      GIGET_GITHUB_URL: `${server.origin}/unreachable`,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("used the bundled copy");
    expect(readJson(join(workDir, "offline", "package.json")).name).toBe("offline");
    expect(existsSync(join(workDir, "offline", "FROM-GITHUB.md"))).toBe(false);
  });

  it("fails cleanly, writing nothing, when a remote source does not exist", async () => {
    const result = await cli(["missing", "-t", `${server.origin}/nothing-here.tar.gz`, "--no-install", "--no-git"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Could not fetch the template");
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(workDir)).not.toContain("missing");
    expect(readdirSync(workDir).filter((entry) => entry.includes("partial"))).toEqual([]);
  });

  it("leaves no folder behind when Ctrl-C interrupts a download", async () => {
    const child = spawn(process.execPath, [cliPath, "interrupted", "-t", `${server.origin}${STALLED_PATH}`, "--no-install", "--no-git"], {
      cwd: workDir,
      env: { ...process.env, CI: "", XDG_CACHE_HOME: temp("scaffold-giget-cache") },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30_000,
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const deadline = Date.now() + 20_000;
    while (!server.requests.includes(`GET ${STALLED_PATH}`) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Mid-download the hidden staging folder exists; Ctrl-C must remove it.
    expect(readdirSync(workDir).some((entry) => entry.startsWith(".interrupted.partial-"))).toBe(true);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("Cancelled");
    expect(readdirSync(workDir).filter((entry) => entry.includes("interrupted"))).toEqual([]);
  });
});
