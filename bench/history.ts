/**
 * The before/after record: each change to the hot path is benched with
 * `npm run bench -- --label "<what changed>"` (or, for a build before the
 * change, `--ours <its dist/index.js> --only many-users`), and the run's
 * many-users figures are kept in bench/history.json under that label. The
 * report shows them in the order they were recorded. Absolute figures from
 * different runs are not comparable on a shared machine; the ratio to
 * @hattip/session, taken within each run, is.
 */
import { readFile, writeFile } from "node:fs/promises";
import type { CpuRow } from "./summary.js";

export interface HistoryEntry {
  label: string;
  /** The commit the run measured (HEAD of the worktree, or the one given with --ours). */
  commit: string;
  date: string;
  /** Session CPU per request (µs) and how many times cheaper than @hattip/session, ours only. */
  ours: Record<string, { sessionMicros: number | null; timesCheaperThanHattip: number | null }>;
}

const HISTORY_FILE = new URL("./history.json", import.meta.url);

export async function readHistory(): Promise<HistoryEntry[]> {
  try {
    return JSON.parse(await readFile(HISTORY_FILE, "utf8")) as HistoryEntry[];
  } catch {
    return [];
  }
}

/** Records the run under `label`, replacing an earlier run of the same label. */
export async function recordRun(label: string, commit: string, rows: readonly CpuRow[]): Promise<HistoryEntry[]> {
  const ours: HistoryEntry["ours"] = {};
  for (const row of rows) {
    if (!row.scenario.startsWith("ours:")) continue;
    ours[`${row.scenario.slice("ours:".length)} ${row.route}`] = {
      sessionMicros: row.sessionMicros,
      timesCheaperThanHattip: row.timesCheaperThanHattip,
    };
  }
  const history = (await readHistory()).filter((entry) => entry.label !== label);
  history.push({ label, commit, date: new Date().toISOString(), ours });
  await writeFile(HISTORY_FILE, JSON.stringify(history, null, 2) + "\n");
  return history;
}
