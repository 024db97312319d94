/**
 * What the docs checker reads from a Markdown file: its TypeScript blocks (with the attributes of
 * their info string), its links to tests, and its promise lists and tables (a table or list right
 * after a `<!-- promises -->` comment, each row or item of which must name a test).
 *
 * markdown-it does the parsing (fences, GFM tables, lists, escapes), so a `|` escaped in a table
 * cell or a fence inside a list reads as a renderer reads it. Lines are 1-based, as editors show them.
 */
import { dirname, resolve } from "node:path";
import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";

const TYPESCRIPT_LANGUAGES = new Set(["ts", "typescript", "tsx"]);
const PROMISES_MARKER = /^<!--\s*promises\b[\s\S]*-->\s*$/;
const TEST_FILE = /\.test\.tsx?$/;

export interface CodeBlock {
  /** The Markdown file, absolute. */
  readonly file: string;
  /** The line of the opening fence. */
  readonly fenceLine: number;
  /** The line of the block's first line of code. */
  readonly firstLine: number;
  readonly language: "ts" | "tsx";
  /** `key=value` (or bare `key`, as `true`) words after the language in the info string. */
  readonly attributes: ReadonlyMap<string, string | true>;
  readonly code: string;
}

/** A link whose target is a test file and whose text names one of its tests. */
export interface TestReference {
  readonly file: string;
  readonly line: number;
  /** The test file, absolute. */
  readonly testFile: string;
  /** The link text: a test's full name (`describe > test`), or its end from a word on. */
  readonly testName: string;
}

/** One row of a promise table, or one item of a promise list. */
export interface DocPromise {
  readonly file: string;
  readonly line: number;
  /** The row's or item's text, to name it in a message. */
  readonly text: string;
  readonly references: readonly TestReference[];
}

export interface MarkdownDocument {
  readonly file: string;
  readonly codeBlocks: readonly CodeBlock[];
  /** Every test reference in the file, in promises or not. */
  readonly testReferences: readonly TestReference[];
  readonly promises: readonly DocPromise[];
  /** Markers that no table or list follows, and other misuse, as `line: message`. */
  readonly problems: readonly { line: number; message: string }[];
}

const markdown = new MarkdownIt({ html: true });

export function parseMarkdown(file: string, source: string): MarkdownDocument {
  const tokens = markdown.parse(source, {});
  const lines = source.split("\n");
  const codeBlocks: CodeBlock[] = [];
  const testReferences: TestReference[] = [];
  const promises: DocPromise[] = [];
  const problems: { line: number; message: string }[] = [];

  const referencesIn = (inline: Token, fromLine: number, toLine: number): TestReference[] => {
    const found: TestReference[] = [];
    const children = inline.children ?? [];
    for (let index = 0; index < children.length; index++) {
      const open = children[index];
      if (open?.type !== "link_open") continue;
      const href = String(open.attrGet("href") ?? "");
      const target = href.split("#")[0] ?? "";
      if (!TEST_FILE.test(target) || /^[a-z]+:/i.test(target)) continue;
      let text = "";
      for (index++; index < children.length && children[index]?.type !== "link_close"; index++) {
        text += children[index]?.content ?? "";
      }
      text = text.trim();
      // A link to the file itself ([test/x.test.ts](test/x.test.ts)) names no test.
      if (TEST_FILE.test(text)) continue;
      found.push({
        file,
        line: lineOf(lines, `](${href}`, fromLine, toLine),
        testFile: resolve(dirname(file), decodeURI(target)),
        testName: text,
      });
    }
    return found;
  };

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (!token) continue;
    const startLine = (token.map?.[0] ?? 0) + 1;

    if (token.type === "fence") {
      const [language = "", ...words] = token.info.trim().split(/\s+/);
      if (TYPESCRIPT_LANGUAGES.has(language)) {
        codeBlocks.push({
          file,
          fenceLine: startLine,
          firstLine: startLine + 1,
          language: language === "tsx" ? "tsx" : "ts",
          attributes: parseAttributes(words),
          code: token.content,
        });
      }
      continue;
    }

    if (token.type === "inline") {
      const endLine = token.map?.[1] ?? startLine;
      const owner = enclosingLines(tokens, index);
      testReferences.push(...referencesIn(token, owner?.[0] ?? startLine, owner?.[1] ?? endLine));
      continue;
    }

    if (token.type === "html_block" && PROMISES_MARKER.test(token.content.trim())) {
      const next = tokens[index + 1];
      if (next?.type === "table_open") {
        promises.push(...tableRows(tokens, index + 1, file, referencesIn));
      } else if (next?.type === "bullet_list_open" || next?.type === "ordered_list_open") {
        promises.push(...listItems(tokens, index + 1, file, referencesIn));
      } else {
        problems.push({ line: startLine, message: "a promises marker must be followed at once by a table or a list" });
      }
    }
  }
  return { file, codeBlocks, testReferences, promises, problems };
}

function parseAttributes(words: string[]): Map<string, string | true> {
  const attributes = new Map<string, string | true>();
  for (const word of words) {
    const equals = word.indexOf("=");
    if (equals === -1) attributes.set(word, true);
    else attributes.set(word.slice(0, equals), word.slice(equals + 1));
  }
  return attributes;
}

type ReferencesIn = (inline: Token, fromLine: number, toLine: number) => TestReference[];

function tableRows(tokens: Token[], open: number, file: string, referencesIn: ReferencesIn): DocPromise[] {
  const rows: DocPromise[] = [];
  let inBody = false;
  let row: { line: number; end: number; text: string[]; references: TestReference[] } | undefined;
  for (let index = open + 1; index < tokens.length; index++) {
    const token = tokens[index];
    if (!token || token.type === "table_close") break;
    if (token.type === "tbody_open") inBody = true;
    if (!inBody) continue;
    if (token.type === "tr_open") {
      const line = (token.map?.[0] ?? 0) + 1;
      row = { line, end: token.map?.[1] ?? line, text: [], references: [] };
    } else if (token.type === "inline" && row) {
      row.text.push(token.content);
      row.references.push(...referencesIn(token, row.line, row.end));
    } else if (token.type === "tr_close" && row) {
      rows.push({ file, line: row.line, text: describeRow(row.text), references: row.references });
      row = undefined;
    }
  }
  return rows;
}

function listItems(tokens: Token[], open: number, file: string, referencesIn: ReferencesIn): DocPromise[] {
  const items: DocPromise[] = [];
  const listLevel = tokens[open]?.level ?? 0;
  let item: { line: number; end: number; text: string[]; references: TestReference[] } | undefined;
  for (let index = open + 1; index < tokens.length; index++) {
    const token = tokens[index];
    if (!token) break;
    if ((token.type === "bullet_list_close" || token.type === "ordered_list_close") && token.level === listLevel) break;
    if (token.type === "list_item_open" && token.level === listLevel + 1) {
      const line = (token.map?.[0] ?? 0) + 1;
      item = { line, end: token.map?.[1] ?? line, text: [], references: [] };
    } else if (token.type === "inline" && item) {
      item.text.push(token.content);
      item.references.push(...referencesIn(token, item.line, item.end));
    } else if (token.type === "list_item_close" && token.level === listLevel + 1 && item) {
      items.push({ file, line: item.line, text: describeRow(item.text), references: item.references });
      item = undefined;
    }
  }
  return items;
}

/** The first words of a row, to name it in a message. */
function describeRow(cells: string[]): string {
  const text = cells.find((cell) => cell.trim() !== "") ?? "";
  const words = text.replace(/\s+/g, " ").trim();
  return words.length > 60 ? `${words.slice(0, 57)}...` : words;
}

/** The 1-based line range of the nearest block around an inline token (a table row has no map of its own cells). */
function enclosingLines(tokens: Token[], index: number): [number, number] | undefined {
  for (let at = index; at >= 0; at--) {
    const map = tokens[at]?.map;
    if (map) return [map[0] + 1, map[1]];
  }
  return undefined;
}

/** The line, among `fromLine..toLine`, where `needle` first appears; `fromLine` if none. */
function lineOf(lines: string[], needle: string, fromLine: number, toLine: number): number {
  for (let line = fromLine; line <= Math.max(fromLine, toLine); line++) {
    if (lines[line - 1]?.includes(needle)) return line;
  }
  return fromLine;
}
