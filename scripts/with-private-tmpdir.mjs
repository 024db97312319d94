// Runs a command with TMPDIR (and Windows' TMP/TEMP) pointing at a fresh folder of its own,
// then removes that folder whatever the command's outcome, and exits with its exit code.
//
// Why: Miniflare makes a miniflare-<random> folder in the system temp directory for every
// instance and removes it on dispose() without waiting (a fire-and-forget rm), so a test
// worker that exits right after disposing leaves the folder behind; servers, browsers and
// runtimes the tests start can leave theirs too. One private temp root per run, removed at
// the end, keeps the system temp directory exactly as it was.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("Usage: node scripts/with-private-tmpdir.mjs <command> [args...]");
  process.exit(2);
}

const privateTmp = mkdtempSync(join(tmpdir(), "hattip-session-test-run-"));
// mkdtemp makes it 0700. A server that a test runs as another user (PostgreSQL refuses to run as
// root, so the tests start it as `postgres` in a folder they give that user) must be able to pass
// through; 0711 lets it reach its own folder without listing anyone else's.
chmodSync(privateTmp, 0o711);
const env = { ...process.env, TMPDIR: privateTmp, TMP: privateTmp, TEMP: privateTmp };
const child = spawn(command, args, { stdio: "inherit", env, shell: process.platform === "win32" });

const removePrivateTmp = () => rmSync(privateTmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
// Ctrl-C reaches the child through the terminal's process group; wait for it to finish cleaning up.
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.on(signal, () => child.kill(signal));
child.on("error", (error) => {
  console.error(`Could not start ${command}: ${error.message}`);
  removePrivateTmp();
  process.exit(127);
});
child.on("close", (code, signal) => {
  removePrivateTmp();
  process.exit(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
});
