/**
 * Promises tied to tests. Each row of a promise table and each item of a promise list (a table or
 * list right after `<!-- promises -->`) names at least one test, as a link whose target is the test
 * file and whose text is the test's name; every such link, in a promise or not, must name exactly
 * one test of that file that runs here (not `.skip`, `.todo`, a `skipIf` that holds, or `.fails`).
 */
import { REPO_ROOT } from "./documents.js";
import type { MarkdownDocument, TestReference } from "./markdown.js";
import { type CollectedTest, collectTests } from "./test-index.js";

interface Problem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export async function checkPromises(documents: readonly MarkdownDocument[], root = REPO_ROOT): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const document of documents) {
    for (const promise of document.promises) {
      if (promise.references.length === 0) {
        problems.push({
          file: promise.file,
          line: promise.line,
          message: `this promise ("${promise.text}") names no test: link the test that checks it, [<its name>](<its file>)`,
        });
      }
    }
  }
  const references = documents.flatMap((document) => document.testReferences);
  if (references.length === 0) return problems;
  const index = await collectTests(
    references.map((reference) => reference.testFile),
    root,
  );
  for (const reference of references) {
    const problem = judge(reference, index.tests.get(reference.testFile), index.errors.get(reference.testFile));
    if (problem) problems.push({ file: reference.file, line: reference.line, message: problem });
  }
  return problems;
}

function judge(reference: TestReference, tests: readonly CollectedTest[] | undefined, error: string | undefined): string | undefined {
  const named = `"${reference.testName}" in ${reference.testFile}`;
  if (error) return `cannot read the tests of ${reference.testFile}: ${error}`;
  if (!tests) return `no test file ${reference.testFile}`;
  // The whole name, or its end from a word on: "'RedisSessionStore' > rejects ..." picks one store's copy of a shared test.
  const matches = tests.filter((test) => test.fullName === reference.testName || test.fullName.endsWith(` ${reference.testName}`));
  if (matches.length === 0) return `no test ${named}`;
  if (matches.length > 1) {
    return `${matches.length} tests end with ${named}: name one by more of its full name (${matches.map((test) => `"${test.fullName}"`).join(", ")})`;
  }
  const [test] = matches as [CollectedTest];
  if (test.mode === "skip" || test.mode === "todo") return `the test ${named} does not run here (${test.mode})`;
  if (test.fails) return `the test ${named} is marked .fails: it passes only when what it checks is broken`;
  return undefined;
}
