/**
 * What an editor shows on hover is part of the API: every store and the
 * middleware carry an `@example`, and every option a user can leave out
 * says what it defaults to. Read from the public entry point with the
 * TypeScript checker, so an export added without docs fails here.
 */
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url));
const program = ts.createProgram([entry], {
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
  types: [],
  noEmit: true,
});
const checker = program.getTypeChecker();
const entryModule = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
const publicExports = checker
  .getExportsOfModule(entryModule)
  .map((symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol));

function tagNames(symbol: ts.Symbol): string[] {
  return symbol.getJsDocTags(checker).map((tag) => tag.name);
}

function hasDocs(symbol: ts.Symbol): boolean {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0;
}

function isOptional(symbol: ts.Symbol): boolean {
  return (symbol.flags & ts.SymbolFlags.Optional) !== 0;
}

function isStoreClass(symbol: ts.Symbol): boolean {
  return /Store$|DurableObject$/.test(symbol.name);
}

/** The options objects a user writes: exported `*Options` interfaces and each store constructor's option parameter. */
function optionTypes(): Array<{ label: string; type: ts.Type }> {
  const found: Array<{ label: string; type: ts.Type }> = [];
  for (const symbol of publicExports) {
    if (symbol.flags & ts.SymbolFlags.Interface && symbol.name.endsWith("Options")) {
      found.push({ label: symbol.name, type: checker.getDeclaredTypeOfSymbol(symbol) });
    }
    if (symbol.flags & ts.SymbolFlags.Class && isStoreClass(symbol)) {
      const constructorType = checker.getTypeOfSymbol(symbol);
      for (const signature of constructorType.getConstructSignatures()) {
        for (const parameter of signature.getParameters()) {
          const type = checker.getNonNullableType(checker.getTypeOfSymbol(parameter));
          if (type.isClassOrInterface() || type.getFlags() & ts.TypeFlags.Object) {
            if (checker.isArrayType(type) || checker.isTupleType(type)) continue;
            found.push({ label: `${symbol.name} constructor's ${parameter.name}`, type });
          }
        }
      }
    }
  }
  return found;
}

describe("hover docs of the public API", () => {
  const documentedWithExample = publicExports.filter(
    (symbol) => (symbol.flags & ts.SymbolFlags.Class && isStoreClass(symbol)) || symbol.name === "session",
  );

  it("finds the stores and the middleware to check", () => {
    expect(documentedWithExample.map((symbol) => symbol.name)).toEqual(
      expect.arrayContaining([
        "session",
        "UnsignedCookieStore",
        "SignedCookieStore",
        "EncryptedCookieStore",
        "UnsafeMemoryStore",
        "RedisSessionStore",
        "KvSessionStore",
        "PostgresSessionStore",
        "DurableObjectSessionStore",
        "SessionDurableObject",
        "NetlifyBlobsSessionStore",
      ]),
    );
  });

  it("gives the middleware and every store an @example", () => {
    const missing = documentedWithExample.filter((symbol) => !tagNames(symbol).includes("example")).map((symbol) => symbol.name);
    expect(missing).toEqual([]);
  });

  it("documents every option, and says what every optional one defaults to", () => {
    const types = optionTypes();
    expect(types.length).toBeGreaterThan(10);
    const undocumented: string[] = [];
    const noDefault: string[] = [];
    for (const { label, type } of types) {
      for (const property of checker.getPropertiesOfType(type)) {
        if (property.flags & ts.SymbolFlags.Method) continue;
        if (!hasDocs(property)) undocumented.push(`${label}.${property.name}`);
        if (isOptional(property) && !tagNames(property).includes("default")) noDefault.push(`${label}.${property.name}`);
      }
    }
    expect({ undocumented, noDefault }).toEqual({ undocumented: [], noDefault: [] });
  });
});
