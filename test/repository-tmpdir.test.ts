import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./support/scaffold-cli.js";
import { runCommand } from "./support/scaffold-user-path.js";

/**
 * Root `npm test` runs under scripts/with-private-tmpdir.mjs. Miniflare removes its
 * miniflare-<random> folder on dispose() without waiting, so a process that exits
 * right after disposing leaves it behind; the wrapper's private temp root catches that.
 */
const disposeAndExit = `
import { Miniflare } from "miniflare";
import { tmpdir } from "node:os";
const mf = new Miniflare({ modules: true, script: "export default { fetch: () => new Response('ok') }", kvNamespaces: ["SESSIONS"] });
const response = await mf.dispatchFetch("http://localhost/");
console.log("worker said " + (await response.text()) + "; temp root " + tmpdir());
await mf.dispose();
process.exit(Number(process.env.EXIT_WITH ?? 0));
`;

const scratch = mkdtempSync(join(tmpdir(), "repository-tmpdir-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const miniflareFolders = (dir: string) => readdirSync(dir).filter((entry) => entry.startsWith("miniflare-"));

describe("the root test run's temp directory", () => {
  it("without the wrapper, a disposed Miniflare leaves its folder in the temp directory", async () => {
    const temp = mkdtempSync(join(scratch, "plain-"));
    const result = await runCommand(process.execPath, ["--input-type=module", "--eval", disposeAndExit], {
      cwd: repoRoot,
      env: { ...process.env, TMPDIR: temp },
      timeoutMs: 60_000,
    });
    expect(result.output).toContain("worker said ok");
    expect(miniflareFolders(temp)).toHaveLength(1);
  });

  it("with the wrapper, nothing is left and the command's exit code comes through", async () => {
    const temp = mkdtempSync(join(scratch, "wrapped-"));
    const result = await runCommand(
      process.execPath,
      ["scripts/with-private-tmpdir.mjs", process.execPath, "--input-type=module", "--eval", disposeAndExit],
      { cwd: repoRoot, env: { ...process.env, TMPDIR: temp, EXIT_WITH: "7" }, timeoutMs: 60_000 },
    );
    expect(result.output).toContain("worker said ok");
    expect(result.code).toBe(7);
    const privateRoot = /temp root (\S+)/.exec(result.output)?.[1];
    expect(privateRoot?.startsWith(join(temp, "hattip-session-test-run-"))).toBe(true);
    expect(existsSync(privateRoot!)).toBe(false);
    expect(readdirSync(temp)).toEqual([]);
  });

  it("is what root npm test and npm run test:all run under", () => {
    const scripts = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).scripts;
    expect(scripts.test).toBe("node scripts/with-private-tmpdir.mjs npm run test:everyday");
    expect(scripts["test:all"]).toBe("node scripts/with-private-tmpdir.mjs npm run test:everything");
  });
});
