/**
 * Running a runtime's binary as a child process: found in node_modules/.bin
 * (the bun npm package ships it) or, for Deno, in node_modules/.test-binaries,
 * where the root postinstall puts it outside the lockfile (see
 * scripts/install-test-binaries.mjs); killed if it outlives its time.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function findBinary(name) {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const bin of [join(dir, "node_modules", ".bin"), join(dir, "node_modules", ".test-binaries", "node_modules", ".bin")]) {
      const candidate = join(bin, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${name} is not installed: run npm install (or npm run install-test-binaries) at the repository root`);
    dir = parent;
  }
}

export function runProcess(command, args, { env = {}, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const REPORT_PREFIX = "SUITE-REPORT ";

/** The report the cli entry printed, or an error carrying what the process said instead. */
export function reportFromOutput({ code, signal, stdout, stderr }) {
  const line = stdout.split("\n").find((candidate) => candidate.startsWith(REPORT_PREFIX));
  if (!line) {
    const said = (stderr || stdout).trim().split("\n").slice(-8).join("\n");
    throw new Error(`exited with ${signal ?? code} and no report:\n${said}`);
  }
  return JSON.parse(line.slice(REPORT_PREFIX.length));
}
