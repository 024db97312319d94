import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { checkDocs } from "../scripts/docs/check.js";
import { parseMarkdown } from "../scripts/docs/markdown.js";
import { checkPromises } from "../scripts/docs/promises.js";
import { readerProject } from "./support/reader-project.js";
import { repoRoot } from "./support/scaffold-cli.js";

/**
 * The docs checker (scripts/docs) on planted mistakes: it must fail on them, naming the file and the
 * line, and pass what is right. Fixtures live in a folder of their own whose node_modules is this
 * checkout's, so `hattip-session` resolves to the built package as it does for the real docs.
 */
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "docs-check-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fixtureFolder = (files: Record<string, string>) => readerProject(scratch, files);

const fence = "```";

describe("TypeScript blocks of the docs", () => {
  const readme = readFileSync(join(repoRoot, "packages/session/README.md"), "utf8");

  it("passes a copy of the package README as it is", async () => {
    const dir = fixtureFolder({ "README.md": readme });
    expect(await checkDocs([join(dir, "README.md")], { promises: false })).toEqual([]);
  });

  it("fails a copy with one option renamed in one block, naming the file and the line", async () => {
    const lines = readme.split("\n");
    const planted = lines.findIndex((line) => line.includes("new RedisSessionStore({ getClient: () => redis })"));
    expect(planted).toBeGreaterThan(0);
    lines[planted] = (lines[planted] as string).replace("getClient:", "getClients:");
    const dir = fixtureFolder({ "README.md": lines.join("\n") });
    const file = join(dir, "README.md");

    const problems = await checkDocs([file], { promises: false });
    expect(problems).toEqual([expect.objectContaining({ file, line: planted + 1, message: expect.stringMatching(/^TS2561: .*'getClients'/) })]);

    // The command `npm run check:docs` runs says the same, as file:line:column, and exits 1.
    const cli = await run(join(repoRoot, "node_modules/.bin/tsx"), [join(repoRoot, "scripts/docs/check.ts"), "--blocks-only", file], {
      cwd: dir,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(new RegExp(`^README\\.md:${planted + 1}:\\d+ - TS2561: .*'getClients'`, "m"));
  });

  it("compiles a fragment with the context its prelude declares, and refuses it without", async () => {
    const fragment = `${fence}ts{info}\napp.get("/", (ctx) => new Response(String(ctx.session.isFresh)));\n${fence}\n`;
    const dir = fixtureFolder({
      "with.md": fragment.replace("{info}", " prelude=app"),
      "without.md": `# A doc\n\n${fragment.replace("{info}", "")}`,
      "unknown.md": fragment.replace("{info}", " prelude=no-such-prelude"),
    });
    expect(await checkDocs([join(dir, "with.md")], { promises: false })).toEqual([]);
    expect(await checkDocs([join(dir, "without.md")], { promises: false })).toEqual([
      expect.objectContaining({ line: 4, message: expect.stringMatching(/^TS2304: Cannot find name 'app'/) }),
      expect.objectContaining({ line: 4, message: expect.stringMatching(/^TS7006: .*'ctx'/) }),
    ]);
    expect(await checkDocs([join(dir, "unknown.md")], { promises: false })).toEqual([
      expect.objectContaining({ line: 1, message: expect.stringContaining("prelude=no-such-prelude") }),
    ]);
  });

  it("compiles a block that continues a named one as their concatenation, and maps errors to the right block", async () => {
    const doc = [
      `${fence}ts id=store`,
      'import { UnsafeMemoryStore } from "hattip-session";',
      "const store = new UnsafeMemoryStore();",
      fence,
      "",
      `${fence}ts continues=store`,
      'await store.destroy("some-id", {} as never);',
      "store.nothingLikeThis();",
      fence,
      "",
      `${fence}ts continues=missing`,
      "export {};",
      fence,
    ].join("\n");
    const dir = fixtureFolder({ "doc.md": doc });
    expect(await checkDocs([join(dir, "doc.md")], { promises: false })).toEqual([
      expect.objectContaining({ line: 8, message: expect.stringMatching(/^TS2339: .*'nothingLikeThis'/) }),
      expect.objectContaining({ line: 11, message: expect.stringContaining("continues=missing names no block") }),
    ]);
  });
});

describe("promises tied to tests", () => {
  const tests = [
    'import { describe, it } from "vitest";',
    'it("holds its promise", () => {});',
    'it.skip("is skipped", () => {});',
    'it.todo("is still to write");',
    'it.skipIf(process.platform === "linux" || process.platform !== "linux")("is skipped here by a condition", () => {});',
    'it.skipIf(false)("runs despite a skipIf", () => {});',
    'it.fails("passes only when broken", () => { throw new Error("broken"); });',
    'describe.skip("a skipped suite", () => { it("is inside it", () => {}); });',
    'describe("memory", () => { it("ends a session", () => {}); });',
    'describe("redis", () => { it("ends a session", () => {}); });',
  ].join("\n");
  const link = (name: string, file = "test/promises.test.ts") => `[${name}](${file})`;
  const doc = [
    "# Promises", // 1
    "", // 2
    "<!-- promises -->", // 3
    "| promise | tested by |", // 4
    "| --- | --- |", // 5
    `| kept | ${link("holds its promise")} |`, // 6
    "| untested | nothing |", // 7
    `| skipped | ${link("is skipped")} |`, // 8
    `| todo | ${link("is still to write")} |`, // 9
    `| skipIf | ${link("is skipped here by a condition")} |`, // 10
    `| runs | ${link("runs despite a skipIf")} |`, // 11
    `| fails | ${link("passes only when broken")} |`, // 12
    `| suite | ${link("a skipped suite > is inside it")} |`, // 13
    `| ambiguous | ${link("ends a session")} |`, // 14
    `| one of two | ${link("redis > ends a session")} |`, // 15
    `| renamed | ${link("holds its promises")} |`, // 16
    `| no file | ${link("holds its promise", "test/gone.test.ts")} |`, // 17
    "", // 18
    "<!-- promises -->", // 19
    `- a listed promise, checked: ${link("holds its promise")}`, // 20
    "- a listed promise with no test", // 21
    "", // 22
    "<!-- promises -->", // 23
    "A paragraph is neither a table nor a list.", // 24
  ].join("\n");

  it("fails a promise that names no test, or a test that is missing, skipped here, a todo or expected to fail", async () => {
    const dir = fixtureFolder({
      "vitest.config.ts":
        'import { defineConfig } from "vitest/config";\nexport default defineConfig({ test: { include: ["test/**/*.test.ts"] } });\n',
      "test/promises.test.ts": tests,
      "PROMISES.md": doc,
    });
    const file = join(dir, "PROMISES.md");
    const document = parseMarkdown(file, doc);
    const problems = [...document.problems.map((problem) => ({ file, ...problem })), ...(await checkPromises([document], dir))];
    const byLine = problems.map((problem) => [problem.line, problem.message] as const).sort((a, b) => a[0] - b[0]);
    expect(byLine).toEqual([
      [7, expect.stringContaining('this promise ("untested") names no test')],
      [8, expect.stringMatching(/the test "is skipped" .* does not run here \(skip\)/)],
      [9, expect.stringMatching(/the test "is still to write" .* does not run here \(todo\)/)],
      [10, expect.stringMatching(/the test "is skipped here by a condition" .* does not run here \(skip\)/)],
      [12, expect.stringContaining("is marked .fails")],
      [13, expect.stringMatching(/the test "a skipped suite > is inside it" .* does not run here \(skip\)/)],
      [14, expect.stringMatching(/^2 tests end with "ends a session"/)],
      [16, expect.stringMatching(/^no test "holds its promises" in .*promises\.test\.ts/)],
      [17, expect.stringMatching(/^no test file .*gone\.test\.ts/)],
      [21, expect.stringContaining('this promise ("a listed promise with no test") names no test')],
      [23, "a promises marker must be followed at once by a table or a list"],
    ]);
  });
});
