/**
 * `npm run check:docs`: every TypeScript block of the docs compiles against the built package, and
 * every promise names a test that exists and runs. Prints `file:line:column - message` per problem
 * (paths relative to the current folder, as editors and terminals link them) and exits 1 on any.
 *
 *   tsx scripts/docs/check.ts                 every doc of documents.ts
 *   tsx scripts/docs/check.ts a.md b.md       only these
 *   tsx scripts/docs/check.ts --blocks-only   skip the test references (no vitest collection)
 */
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { documents } from "./documents.js";
import { generateFiles } from "./fragments.js";
import { parseMarkdown } from "./markdown.js";
import { checkPromises } from "./promises.js";
import { typecheckFiles } from "./typecheck.js";

export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  readonly message: string;
}

export async function checkDocs(paths: readonly string[], options: { blocks?: boolean; promises?: boolean } = {}): Promise<Problem[]> {
  const parsed = paths.map((path) => parseMarkdown(path, readFileSync(path, "utf8")));
  const problems: Problem[] = parsed.flatMap((document) => document.problems.map((problem) => ({ file: document.file, ...problem })));
  if (options.blocks ?? true) {
    const { files, problems: fragmentProblems } = generateFiles(parsed.flatMap((document) => document.codeBlocks));
    problems.push(...fragmentProblems);
    for (const error of typecheckFiles(files)) {
      problems.push({ file: error.file, line: error.line, column: error.column, message: `TS${error.code}: ${error.message}` });
    }
  }
  if (options.promises ?? true) problems.push(...(await checkPromises(parsed)));
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

export function formatProblem(problem: Problem, base = process.cwd()): string {
  return `${relative(base, problem.file)}:${problem.line}:${problem.column ?? 1} - ${problem.message}`;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("scripts/docs/check.ts")) {
  const args = process.argv.slice(2);
  const named = args.filter((arg) => !arg.startsWith("--")).map((path) => resolve(path));
  const started = performance.now();
  const problems = await checkDocs(named.length > 0 ? named : documents(), { promises: !args.includes("--blocks-only") });
  for (const problem of problems) console.error(formatProblem(problem));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length > 0) {
    console.error(`\n${problems.length} problem(s) in the docs (${seconds} s). How blocks and promises are written: CONTRIBUTING.md, "Docs".`);
    process.exit(1);
  }
  console.log(`Docs: every TypeScript block compiles and every promise names a test that runs (${seconds} s).`);
}
