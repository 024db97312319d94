// The project folder's state, and the one message every part of the scaffolder
// uses when it is not empty. A folder holding only .git counts as empty: the
// user made a repository first and wants the app in it.
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

export type FolderState = "absent" | "empty" | "not-empty" | "not-a-folder";

export function folderState(path: string): FolderState {
  if (!existsSync(path)) return "absent";
  if (!statSync(path).isDirectory()) return "not-a-folder";
  return readdirSync(path).every((entry) => entry === ".git") ? "empty" : "not-empty";
}

/** "my-app is not empty." — the one wording, wherever a non-empty folder stops or asks. */
export function notEmptyMessage(shownPath: string): string {
  return `${shownPath === "." ? "The current folder" : shownPath} is not empty.`;
}

/** Removes everything in `path` but its .git, as create-vite's "remove existing files" does. */
export function emptyFolderKeepingGit(path: string): void {
  for (const entry of readdirSync(path)) {
    if (entry !== ".git") rmSync(join(path, entry), { recursive: true, force: true });
  }
}
