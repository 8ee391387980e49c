/**
 * Every optional prop a package user can set states its default (`@default` in its TSDoc), as the house style asks:
 * the TypeScript compiler reads each package's entry point, and every optional property declared in this repository
 * that is reachable from an export — the exported interfaces and type aliases, the parameters of exported functions
 * and constructors, and the types of their properties, nested object literals included — is checked.
 */
import { join, relative } from "node:path";
import ts from "typescript";

const ROOT = join(__dirname, "..", "..");

/** The package entry points whose surface is checked. */
const ENTRIES = ["modules/index.ts", "app/metrics/index.ts"];

/** `<Owner>.<prop> (file:line)` for each optional property without `@default` reachable from `entries`. */
function optionalPropsWithoutDefault(entries: readonly string[]): string[] {
  const files = entries.map((entry) => join(ROOT, entry));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const ours = (node: ts.Node) => {
    const file = node.getSourceFile().fileName;
    return file.startsWith(ROOT) && !file.includes("/node_modules/");
  };
  const seen = new Set<ts.Type>();
  const missing = new Set<string>();

  const visitSignature = (signature: ts.Signature, at: ts.Node) => {
    for (const parameter of signature.getParameters())
      visit(checker.getTypeOfSymbolAtLocation(parameter, parameter.valueDeclaration ?? at), at);
  };

  function visit(type: ts.Type, at: ts.Node): void {
    if (seen.has(type)) return;
    seen.add(type);
    if (type.isUnionOrIntersection()) {
      for (const part of type.types) visit(part, at);
      return;
    }
    for (const argument of checker.getTypeArguments(type as ts.TypeReference) ?? []) visit(argument, at);
    if (!(type.flags & ts.TypeFlags.Object)) return;
    for (const property of checker.getPropertiesOfType(type)) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (!declaration || !ours(declaration)) continue;
      const hasDefault = ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === "default");
      if (property.flags & ts.SymbolFlags.Optional && !hasDefault) {
        const owner = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
        const file = declaration.getSourceFile();
        const line = file.getLineAndCharacterOfPosition(declaration.getStart()).line + 1;
        missing.add(
          `${owner.length > 60 ? "{…}" : owner}.${property.name} (${relative(ROOT, file.fileName)}:${line})`,
        );
      }
      visit(checker.getTypeOfSymbolAtLocation(property, declaration), declaration);
    }
  }

  for (const file of files) {
    const source = program.getSourceFile(file);
    const entry = source && checker.getSymbolAtLocation(source);
    if (!entry) throw new Error(`${file}: not a module`);
    for (const exported of checker.getExportsOfModule(entry)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.declarations?.[0];
      if (!declaration) continue;
      if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))
        visit(checker.getDeclaredTypeOfSymbol(symbol), declaration);
      if (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) {
        const valueType = checker.getTypeOfSymbolAtLocation(symbol, declaration);
        for (const signature of [...valueType.getCallSignatures(), ...valueType.getConstructSignatures()])
          visitSignature(signature, declaration);
      }
    }
  }
  return [...missing].sort();
}

describe("the packages' optional props", () => {
  it("GIVEN the entry points of both packages WHEN every reachable optional prop is read THEN each states its @default", () => {
    expect(optionalPropsWithoutDefault(ENTRIES)).toEqual([]);
  });
});
