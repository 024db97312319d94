/**
 * Type-checks generated doc files in one TypeScript program, against the built package as a
 * reader's project resolves it (`hattip-session` through node_modules and its `exports`, so
 * `packages/session/dist`), under the settings of the starter apps' tsconfig: strict,
 * noUncheckedIndexedAccess, NodeNext, verbatimModuleSyntax.
 *
 * One program for every block keeps the check to a few seconds. The price: module augmentations
 * (`declare module "hattip-session" { interface SessionData ... }`) are program-wide, as they are
 * in an app, so two blocks that augment one interface must agree, and TypeScript says so if not.
 */
import ts from "typescript";
import type { GeneratedFile } from "./fragments.js";

export const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  strict: true,
  noUncheckedIndexedAccess: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  skipLibCheck: true,
  allowImportingTsExtensions: true,
  noEmit: true,
  types: ["node"],
  jsx: ts.JsxEmit.Preserve,
};

export interface BlockError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly code: number;
  readonly message: string;
}

export function typecheckFiles(files: readonly GeneratedFile[]): BlockError[] {
  const generated = new Map(files.map((file) => [file.path, file]));
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (path) => generated.has(path) || fileExists.call(host, path);
  host.readFile = (path) => generated.get(path)?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, languageVersion, onError, shouldCreate) => {
    const file = generated.get(path);
    if (file) return ts.createSourceFile(path, file.text, languageVersion, true);
    return getSourceFile.call(host, path, languageVersion, onError, shouldCreate);
  };

  const program = ts.createProgram({ rootNames: [...generated.keys()], options: COMPILER_OPTIONS, host });
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const path of generated.keys()) {
    const source = program.getSourceFile(path);
    if (source) diagnostics.push(...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source));
  }

  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n  ");
    const source = diagnostic.file;
    if (!source || diagnostic.start === undefined) return { file: "(program)", line: 0, column: 0, code: diagnostic.code, message };
    const position = source.getLineAndCharacterOfPosition(diagnostic.start);
    const origin = generated.get(source.fileName)?.lines[position.line];
    if (!origin) return { file: source.fileName, line: position.line + 1, column: position.character + 1, code: diagnostic.code, message };
    return {
      file: origin.file,
      line: origin.line,
      column: origin.note ? 1 : position.character + 1,
      code: diagnostic.code,
      message: origin.note ? `${message} (${origin.note})` : message,
    };
  });
}
