/**
 * Turns a doc's TypeScript blocks into the source files that get type-checked, and remembers where
 * each line came from.
 *
 * A block is compiled as the reader sees it. A fragment declares its context in its info string
 * (invisible on GitHub and npm, which read only the first word):
 * - `prelude=<name>[,<name>]`: the names exported by `scripts/docs/preludes/<name>.ts` (an `app`, a
 *   `store`, a `checkPassword` of yours) are imported into the block by one hidden line;
 * - `continues=<id>`: the block goes on from the block marked `id=<id>` earlier in the same file,
 *   so the two (and that one's own `continues`) are compiled as one file, as a reader pasting them
 *   one after the other would.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import ts from "typescript";
import type { CodeBlock } from "./markdown.js";

export const PRELUDES_DIR = join(import.meta.dirname, "preludes");

/** Where a line of a generated file comes from. */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
  /** Set for the hidden line that imports the preludes. */
  readonly note?: string;
}

export interface GeneratedFile {
  /** A path beside the doc (so packages resolve from there, as from a reader's project); never written to disk. */
  readonly path: string;
  readonly text: string;
  /** `lines[i]`: the origin of line `i + 1`. */
  readonly lines: readonly SourceLine[];
  readonly block: CodeBlock;
}

export interface FragmentProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export function generateFiles(blocks: readonly CodeBlock[]): { files: GeneratedFile[]; problems: FragmentProblem[] } {
  const files: GeneratedFile[] = [];
  const problems: FragmentProblem[] = [];
  const byId = new Map<string, CodeBlock>();
  for (const block of blocks) {
    const id = block.attributes.get("id");
    if (typeof id !== "string") continue;
    const key = `${block.file}#${id}`;
    if (byId.has(key)) problems.push({ file: block.file, line: block.fenceLine, message: `a second block with id=${id}` });
    byId.set(key, block);
  }

  for (const block of blocks) {
    const chain: CodeBlock[] = [block];
    let problem: string | undefined;
    for (let current = block; ; ) {
      const continues = current.attributes.get("continues");
      if (continues === undefined) break;
      const previous = typeof continues === "string" ? byId.get(`${block.file}#${continues}`) : undefined;
      if (!previous || previous.fenceLine >= current.fenceLine) {
        problem = `continues=${String(continues)} names no block with that id above it in this file`;
        break;
      }
      chain.unshift(previous);
      current = previous;
    }
    const preludeNames = [...new Set(chain.flatMap((link) => preludesOf(link)))];
    const imports: string[] = [];
    for (const name of preludeNames) {
      const path = join(PRELUDES_DIR, `${name}.ts`);
      if (!existsSync(path)) {
        problem ??= `prelude=${name}: there is no ${relative(process.cwd(), path)}`;
        continue;
      }
      const exported = exportedNames(path);
      if (exported.length > 0) imports.push(`import { ${exported.join(", ")} } from ${JSON.stringify(path)};`);
    }
    if (problem) {
      problems.push({ file: block.file, line: block.fenceLine, message: problem });
      continue;
    }

    const note = preludeNames.length > 0 ? `in the hidden import of prelude ${preludeNames.join(", ")}` : undefined;
    const lines: SourceLine[] = [{ file: block.file, line: block.fenceLine, ...(note ? { note } : {}) }];
    const text = [imports.join(" ")];
    for (const link of chain) {
      const codeLines = link.code.replace(/\n$/, "").split("\n");
      codeLines.forEach((code, offset) => {
        text.push(code);
        lines.push({ file: link.file, line: link.firstLine + offset });
      });
    }
    const extension = block.language === "tsx" ? "tsx" : "ts";
    files.push({
      // In the doc's own folder, so that a relative import in a block resolves as the reader reads it.
      path: join(dirname(block.file), `${basename(block.file)}.L${block.firstLine}.docs-check.${extension}`),
      text: `${text.join("\n")}\n`,
      lines,
      block,
    });
  }
  return { files, problems };
}

function preludesOf(block: CodeBlock): string[] {
  const value = block.attributes.get("prelude");
  return typeof value === "string" ? value.split(",").filter(Boolean) : [];
}

const exportedNamesCache = new Map<string, string[]>();

/** The names a prelude exports, as an import clause's items (`type X` for a type). */
function exportedNames(path: string): string[] {
  const cached = exportedNamesCache.get(path);
  if (cached) return cached;
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, false);
  const names: string[] = [];
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
      }
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      names.push(statement.name.text);
    } else if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && statement.name) {
      names.push(`type ${statement.name.text}`);
    }
  }
  exportedNamesCache.set(path, names);
  return names;
}
