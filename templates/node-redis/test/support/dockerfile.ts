/**
 * Runs the steps of this app's Dockerfile on this machine, for a test where
 * no container engine is at hand: each stage in a folder of its own (its
 * `/` ), the build context filtered by .dockerignore, `COPY` (also
 * `--from=<stage>`), `WORKDIR`, `ENV` and `RUN` as Docker runs them, with
 * this machine's node and npm standing in for the image's. A `RUN
 * --mount=type=cache` uses npm's own cache here, as the mount would. What
 * is left to start the container with (`CMD`, `HEALTHCHECK`, `USER`,
 * `EXPOSE`) is returned.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";

export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  args: string;
}

export interface Stage {
  name: string | undefined;
  /** The stage's `/` on this machine. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  cmd: string[] | undefined;
  healthcheck: string[] | undefined;
  exposed: string[];
}

/** The Dockerfile's instructions, comments dropped and continued lines joined. */
export function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  const instructions: Instruction[] = [];
  for (const line of joined.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(trimmed) ?? [];
    const flags: Record<string, string> = {};
    let args = rest;
    for (let flag = /^--([a-z-]+)=(\S+)\s+/.exec(args); flag; flag = /^--([a-z-]+)=(\S+)\s+/.exec(args)) {
      flags[flag[1]!] = flag[2]!;
      args = args.slice(flag[0].length);
    }
    instructions.push({ keyword: keyword.toUpperCase(), flags, args: args.trim() });
  }
  return instructions;
}

/** `.dockerignore`'s patterns as a test of a context path ("/" separators): names, `*` globs, `!` exceptions. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const keep = line.startsWith("!");
      const pattern = (keep ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      const regex = new RegExp(`^${pattern.split("*").map(escapeRegExp).join("[^/]*")}(?:/.*)?$`);
      return { keep, regex };
    });
  return (path) => {
    let ignored = false;
    for (const { keep, regex } of rules) if (regex.test(path)) ignored = !keep;
    return ignored;
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

/** The build context: `appDir` as `docker build` sends it, without what .dockerignore names. */
export function buildContext(appDir: string): string {
  const ignoreFile = join(appDir, ".dockerignore");
  const ignored = existsSync(ignoreFile) ? dockerignore(readFileSync(ignoreFile, "utf8")) : () => false;
  const context = mkdtempSync(join(tmpdir(), "docker-context-"));
  cpSync(appDir, context, {
    recursive: true,
    filter: (source) => {
      const path = relative(appDir, source).split(sep).join("/");
      return path === "" || !ignored(path);
    },
  });
  return context;
}

/** Runs every build step of `instructions` in `context`; the stages, the last being the image. */
export async function runBuildSteps(instructions: Instruction[], context: string, env: NodeJS.ProcessEnv): Promise<Stage[]> {
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  const inside = (current: Stage, path: string) => join(current.root, path.startsWith("/") ? path : join(current.workdir, path));
  for (const { keyword, flags, args } of instructions) {
    if (keyword === "FROM") {
      const name = /\bAS\s+(\S+)$/i.exec(args)?.[1];
      stage = {
        name,
        root: mkdtempSync(join(tmpdir(), "docker-stage-")),
        workdir: "/",
        env: {},
        user: undefined,
        cmd: undefined,
        healthcheck: undefined,
        exposed: [],
      };
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${keyword} before FROM`);
    switch (keyword) {
      case "WORKDIR":
        stage.workdir = args.startsWith("/") ? args : join(stage.workdir, args);
        mkdirSync(inside(stage, "."), { recursive: true });
        break;
      case "ENV":
        for (const [, name, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[name!] = value!.replace(/^"|"$/g, "");
        break;
      case "COPY": {
        const parts = args.split(/\s+/);
        const destination = parts.pop()!;
        const from = flags.from === undefined ? undefined : stages.find((candidate) => candidate.name === flags.from);
        if (flags.from !== undefined && !from) throw new Error(`COPY --from=${flags.from}: no such stage`);
        for (const source of parts) {
          const path = from ? join(from.root, source) : join(context, source);
          if (!existsSync(path)) throw new Error(`COPY ${source}: not in the ${from ? `stage ${from.name}` : "build context"}`);
          const target =
            destination.endsWith("/") && !statSync(path).isDirectory()
              ? join(inside(stage, destination), source.split("/").pop()!)
              : inside(stage, destination);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(path, target, { recursive: true });
        }
        break;
      }
      case "RUN":
        await shell(args, inside(stage, "."), { ...env, ...stage.env });
        break;
      case "USER":
        stage.user = args;
        break;
      case "EXPOSE":
        stage.exposed.push(...args.split(/\s+/));
        break;
      case "CMD":
        stage.cmd = JSON.parse(args) as string[];
        break;
      case "HEALTHCHECK": {
        const command = /\bCMD\s+(\[.*\])$/.exec(args)?.[1];
        if (!command) throw new Error("HEALTHCHECK without an exec-form CMD");
        stage.healthcheck = JSON.parse(command) as string[];
        break;
      }
      default:
        throw new Error(`This test does not run Dockerfile instruction ${keyword}`);
    }
  }
  return stages;
}

function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`RUN ${command} exited with code ${code}:\n${output}`))));
  });
}

/** The files under `dir`, relative, "/" separators. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"));
}
