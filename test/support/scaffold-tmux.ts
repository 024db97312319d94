import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

/**
 * A terminal for the CLI: a tmux session on its own socket (never the
 * user's tmux server), driven with send-keys and read with capture-pane.
 */
export class TmuxTerminal {
  private readonly socket = `scaffold-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  private socketPath: string | undefined;

  start(shellCommand: string): void {
    this.tmux("-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "-s", "cli", shellCommand);
    this.socketPath = this.tmux("display-message", "-p", "#{socket_path}").trim();
  }

  /** Keys as tmux names them: literal text, "Enter", "Down", "Right", "C-c". */
  press(...keys: string[]): void {
    this.tmux("send-keys", "-t", "cli", ...keys);
  }

  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", "cli");
  }

  async waitFor(text: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (screen.includes(text)) return screen;
      if (Date.now() > deadline) throw new Error(`"${text}" did not appear. Screen:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  stop(): void {
    try {
      this.tmux("kill-server");
    } catch {
      // Already gone: the session's command ended and the server exited.
    }
    // tmux leaves its socket file behind.
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }

  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8", timeout: 10_000 });
  }
}
