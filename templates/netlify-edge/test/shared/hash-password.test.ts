/**
 * `npm run hash-password -- <name>`: the way to a USERS entry, the only way
 * a deployed starter lets anyone in. (Shared by the four templates.)
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/password.ts";
import { parseUsers } from "../../src/users.ts";

const TEMPLATE_DIR = fileURLToPath(new URL("../..", import.meta.url));

function hashPasswordScript(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/hash-password.ts", ...args], {
    cwd: TEMPLATE_DIR,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("npm run hash-password", () => {
  it("turns a name and a piped password into a USERS entry that signs that user in", async () => {
    const { code, stdout } = await hashPasswordScript(["alice"], "correct horse battery staple\n");
    expect(code).toBe(0);
    const [user] = parseUsers(stdout.trim());
    expect(user?.username).toBe("alice");
    expect(await verifyPassword("correct horse battery staple", user!.passwordHash)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", user!.passwordHash)).toBe(false);
  });

  it("says how to use it when the name is missing, and refuses a short password", async () => {
    const usage = await hashPasswordScript([], "");
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain("Usage: npm run hash-password -- <username>");
    const short = await hashPasswordScript(["alice"], "short\n");
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("at least 8 characters");
  });

  it("refuses a name USERS could not hold", async () => {
    const { code, stderr } = await hashPasswordScript(["al ice"], "correct horse battery staple\n");
    expect(code).toBe(1);
    expect(stderr).toContain("must be `name:hash`");
  });
});
