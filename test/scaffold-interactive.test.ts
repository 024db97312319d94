import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildCreateApp, cliPath, fixtureTemplates, makeTempDir, readJson, removeDir, repoRoot, sessionVersion } from "./support/scaffold-cli.js";
import { TmuxTerminal } from "./support/scaffold-tmux.js";

let workDir: string;
let templatesRoot: string;
let terminal: TmuxTerminal | undefined;

/**
 * The CLI in a real terminal; the shell prints its exit code and keeps the pane open.
 * The fixture templates, unless `repositoryTemplates` asks for this repository's own (templates/).
 */
function startCli(env = "", { repositoryTemplates = false } = {}): TmuxTerminal {
  terminal = new TmuxTerminal();
  const templatesVariable = repositoryTemplates ? "-u CREATE_HATTIP_SESSION_APP_TEMPLATES" : `CREATE_HATTIP_SESSION_APP_TEMPLATES=${templatesRoot}`;
  terminal.start(`cd ${workDir} && env -u CI ${templatesVariable} ${env} ${process.execPath} ${cliPath}; echo "EXIT:$?"; sleep 120`);
  return terminal;
}

/** The transcript in the root README's "Start an app": the block that opens with the scaffolder's first line. */
function readmeTranscript(): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Start an app"));
  const transcript = /^```\n(┌[\s\S]*?)\n```$/m.exec(section)?.[1];
  if (transcript === undefined) throw new Error("README.md's Start an app has no transcript block");
  return transcript;
}

/** The screen from the scaffolder's first line to its last, as a reader sees it. */
function transcriptOn(screen: string): string {
  const lines = screen.split("\n").map((line) => line.trimEnd());
  const first = lines.findIndex((line) => line.startsWith("┌"));
  const last = lines.findIndex((line) => line.startsWith("EXIT:"));
  return lines.slice(first, last).join("\n").trimEnd();
}

/** A git that commits as a fixed user whatever the machine's configuration. */
const GIT_IDENTITY =
  "GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.invalid " +
  "GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.invalid";

beforeAll(() => {
  buildCreateApp();
  workDir = makeTempDir("scaffold-interactive");
  // Two platforms, so choosing one is a real choice with the real labels and hints.
  templatesRoot = join(makeTempDir("scaffold-interactive-templates"), "templates");
  mkdirSync(templatesRoot);
  for (const name of ["node-redis", "vercel-edge"]) {
    cpSync(join(fixtureTemplates, "fixture-cookie"), join(templatesRoot, name), { recursive: true });
    writeFileSync(join(templatesRoot, name, "PLATFORM"), name);
  }
  // A platform with a choice of stores, laid out as the real templates lay theirs out.
  cpSync(join(fixtureTemplates, "fixture-cookie"), join(templatesRoot, "netlify-edge"), { recursive: true });
  writeFileSync(join(templatesRoot, "netlify-edge", "PLATFORM"), "netlify-edge");
  const storeChoice = join(templatesRoot, "netlify-edge", "variants");
  mkdirSync(join(storeChoice, "blobs"), { recursive: true });
  writeFileSync(
    join(storeChoice, "stores.json"),
    JSON.stringify({
      stores: [
        { name: "cookie", label: "Encrypted cookie", hint: "the default" },
        { name: "blobs", label: "Netlify Blobs", hint: "the other one", remove: ["PLATFORM"] },
      ],
    }),
  );
  writeFileSync(join(storeChoice, "blobs", "STORE"), "blobs");
});

afterEach(() => terminal?.stop());

afterAll(() => {
  removeDir(workDir);
  removeDir(templatesRoot && join(templatesRoot, ".."));
});

describe("create-hattip-session-app in a terminal", () => {
  it("makes the root README's app, and the terminal shows the README's transcript line for line", async () => {
    const tty = startCli(GIT_IDENTITY, { repositoryTemplates: true });
    await tty.waitFor("Project folder");
    tty.press("-l", "chat-app");
    tty.press("Enter");
    await tty.waitFor("Where will it run?");
    tty.press("Down");
    tty.press("Enter"); // Cloudflare Workers
    await tty.waitFor("Where should sessions live?");
    tty.press("Down");
    tty.press("Enter"); // Durable Objects
    await tty.waitFor("Install dependencies?");
    tty.press("Right");
    tty.press("Enter");
    await tty.waitFor("Initialise a git repository (with a first commit)?");
    tty.press("Enter");
    const done = await tty.waitFor("EXIT:");
    if (process.env.SHOW_TRANSCRIPT) console.log(transcriptOn(done));
    expect(done).toContain("EXIT:0");
    expect(transcriptOn(done)).toBe(readmeTranscript());
    const app = join(workDir, "chat-app");
    expect(readFileSync(join(app, "wrangler.jsonc"), "utf8")).toContain('"class_name": "SessionDurableObject"');
    removeDir(app);
  });

  it("asks for folder, platform, install and git, then writes the app", async () => {
    const tty = startCli();
    await tty.waitFor("Project folder");
    tty.press("-l", "chat-app");
    tty.press("Enter");
    const platforms = await tty.waitFor("Where will it run?");
    // The platforms by name alone: where sessions live is a question of its own.
    expect(platforms).toContain("Node server");
    expect(platforms).toContain("Vercel Edge");
    expect(platforms).toContain("Netlify Edge");
    expect(platforms).not.toMatch(/Redis|cookie|Blobs/);
    tty.press("Down");
    tty.press("Enter");
    // Vercel Edge has one store: nothing to ask.
    expect(await tty.waitFor("Install dependencies?")).not.toContain("Where should sessions live?");
    tty.press("Right"); // No: the test has no registry to install from.
    tty.press("Enter");
    await tty.waitFor("Initialise a git repository (with a first commit)?");
    tty.press("Enter");
    const done = await tty.waitFor("EXIT:");
    expect(done).toContain("EXIT:0");
    expect(done).toContain("Created chat-app: Vercel Edge.");
    expect(done).toContain("cd chat-app");

    const app = join(workDir, "chat-app");
    const manifest = readJson(join(app, "package.json"));
    expect(manifest.name).toBe("chat-app");
    expect(manifest.dependencies["hattip-session"]).toBe(`^${sessionVersion()}`);
    expect(readFileSync(join(app, "PLATFORM"), "utf8")).toBe("vercel-edge");
    expect(existsSync(join(app, ".git"))).toBe(true);
    expect(existsSync(join(app, "node_modules"))).toBe(false);
    expect(readFileSync(join(app, ".env"), "utf8")).toMatch(/^SESSION_KEYS=[A-Za-z0-9_-]{43}$/m);
  });

  it("asks where sessions live only for a platform with a choice, between the platform and the install", async () => {
    const tty = startCli();
    await tty.waitFor("Project folder");
    tty.press("-l", "store-app");
    tty.press("Enter");
    await tty.waitFor("Where will it run?");
    tty.press("Down");
    tty.press("Down");
    tty.press("Enter"); // netlify-edge, the one with two stores
    const stores = await tty.waitFor("Where should sessions live?");
    expect(stores).toContain("Encrypted cookie");
    expect(stores).toContain("Netlify Blobs");
    tty.press("Down");
    tty.press("Enter");
    await tty.waitFor("Install dependencies?");
    tty.press("Right");
    tty.press("Enter");
    await tty.waitFor("Initialise a git repository (with a first commit)?");
    tty.press("Right");
    tty.press("Enter");
    const done = await tty.waitFor("EXIT:");
    expect(done).toContain("EXIT:0");
    expect(done).toContain("Created store-app: Netlify Edge, sessions in Netlify Blobs.");
    expect(done).not.toContain("Sessions live in");
    const app = join(workDir, "store-app");
    expect(readFileSync(join(app, "STORE"), "utf8")).toBe("blobs");
    expect(existsSync(join(app, "PLATFORM"))).toBe(false);
    expect(existsSync(join(app, "variants"))).toBe(false);
  });

  it("writes nothing when Ctrl-C cancels a prompt, and says so once", async () => {
    const tty = startCli();
    await tty.waitFor("Project folder");
    tty.press("-l", "cancelled-app");
    tty.press("Enter");
    await tty.waitFor("Where will it run?");
    tty.press("C-c");
    const done = await tty.waitFor("EXIT:");
    expect(done).toContain("EXIT:130");
    expect(done.match(/Cancelled: nothing was written\./g)).toHaveLength(1);
    expect(readdirSync(workDir)).not.toContain("cancelled-app");
    expect(readdirSync(workDir).filter((entry) => entry.includes("partial"))).toEqual([]);
  });

  it("asks for a package name when the folder's cannot be one, offering a valid one", async () => {
    const tty = startCli();
    await tty.waitFor("Project folder");
    tty.press("-l", "http");
    tty.press("Enter");
    const asked = await tty.waitFor("Package name");
    expect(asked).toContain('"http" cannot be a package name');
    expect(asked).toContain("http-app");
    tty.press("Enter");
    await tty.waitFor("Where will it run?");
    tty.press("Enter");
    await tty.waitFor("Install dependencies?");
    tty.press("Right");
    tty.press("Enter");
    await tty.waitFor("Initialise a git repository");
    tty.press("Right");
    tty.press("Enter");
    const done = await tty.waitFor("EXIT:");
    expect(done).toContain("EXIT:0");
    expect(readJson(join(workDir, "http", "package.json")).name).toBe("http-app");
  });

  it("offers to remove or keep the files of a non-empty folder, or to cancel", async () => {
    const target = join(workDir, "occupied");
    mkdirSync(target);
    execFileSync("git", ["init", "--quiet"], { cwd: target });
    writeFileSync(join(target, "old.txt"), "old");

    const cancelling = startCli();
    await cancelling.waitFor("Project folder");
    cancelling.press("-l", "occupied");
    cancelling.press("Enter");
    const choice = await cancelling.waitFor("What should happen to the files in it?");
    expect(choice).toContain("occupied is not empty.");
    expect(choice).toContain("Remove the existing files and continue");
    expect(choice).toContain("Keep them and continue");
    cancelling.press("Enter"); // Cancel is the default.
    expect(await cancelling.waitFor("EXIT:")).toContain("EXIT:130");
    expect(readdirSync(target).sort()).toEqual([".git", "old.txt"]);
    cancelling.stop();

    const removing = startCli();
    await removing.waitFor("Project folder");
    removing.press("-l", "occupied");
    removing.press("Enter");
    await removing.waitFor("What should happen to the files in it?");
    removing.press("Down");
    removing.press("Enter");
    await removing.waitFor("Where will it run?");
    removing.press("Enter");
    await removing.waitFor("Install dependencies?");
    removing.press("Right");
    removing.press("Enter");
    // Its own .git makes it a repository already: git is not asked about.
    const done = await removing.waitFor("EXIT:");
    expect(done).toContain("EXIT:0");
    expect(done).not.toContain("Initialise a git repository");
    expect(existsSync(join(target, "old.txt"))).toBe(false);
    expect(existsSync(join(target, ".git"))).toBe(true);
    expect(readJson(join(target, "package.json")).name).toBe("occupied");
  });

  it("asks which package manager installs, when installing", async () => {
    const tty = startCli();
    await tty.waitFor("Project folder");
    tty.press("-l", "pm-app");
    tty.press("Enter");
    await tty.waitFor("Where will it run?");
    tty.press("Enter");
    await tty.waitFor("Install dependencies?");
    tty.press("Enter");
    const managers = await tty.waitFor("Install with");
    for (const manager of ["npm", "pnpm", "yarn", "bun"]) expect(managers).toContain(manager);
    expect(readdirSync(workDir)).not.toContain("pm-app");
    tty.press("C-c");
    expect(await tty.waitFor("EXIT:")).toContain("EXIT:130");
  });

  it("never prompts when CI is set, even in a terminal", async () => {
    const tty = startCli("CI=true");
    const done = await tty.waitFor("EXIT:");
    expect(done).toContain("EXIT:1");
    expect(done).toContain("these answers are missing");
    expect(done).not.toContain("Project folder");
  });
});
