// Module specifiers of TypeScript and JavaScript files, found by TypeScript's own parser and renamed by an
// explicit table: `npm run pack` builds @emf-fargate/constructs-cdktn from @emf-fargate/constructs' output
// with it, and the consumer tests derive the CDK Terrain example from the cdktf one with it. A parser, not
// a regular expression over the text, so a comment or a string that merely mentions "cdktf" is never touched
// and every form of import is found: import/export ... from, import x = require(), require(), import(),
// `import("x").T` types in declarations and `declare module "x"`.
import ts from "typescript";

/** A module specifier in a file: its text and the offsets of the string literal, quotes included. */
export interface ModuleSpecifier {
  readonly specifier: string;
  readonly start: number;
  readonly end: number;
}

/** A renaming of module specifiers: the new specifier, or undefined to leave it as it is. */
export type SpecifierRename = (specifier: string) => string | undefined;

/** The string literal naming a module in `node`, if `node` is an import, export, require or import type. */
function specifierLiteral(node: ts.Node): ts.StringLiteralLike | undefined {
  let candidate: ts.Node | undefined;
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) candidate = node.moduleSpecifier;
  else if (ts.isExternalModuleReference(node)) candidate = node.expression;
  else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
    candidate = node.argument.literal;
  else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) candidate = node.name;
  else if (
    ts.isCallExpression(node) &&
    (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
      (ts.isIdentifier(node.expression) && node.expression.text === "require"))
  ) {
    candidate = node.arguments[0];
  }
  return candidate !== undefined && ts.isStringLiteralLike(candidate) ? candidate : undefined;
}

/** Every module specifier of a .ts, .d.ts, .js, .mjs or .cjs file, in order. */
export function moduleSpecifiers(text: string, fileName: string): ModuleSpecifier[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: ModuleSpecifier[] = [];
  const visit = (node: ts.Node): void => {
    const literal = specifierLiteral(node);
    if (literal !== undefined) {
      found.push({ specifier: literal.text, start: literal.getStart(source), end: literal.getEnd() });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * `text` with each module specifier that `rename` maps replaced, quote style kept; nothing else changes, so
 * the same input always gives the same output.
 */
export function renameModuleSpecifiers(text: string, fileName: string, rename: SpecifierRename): string {
  let out = "";
  let at = 0;
  for (const { specifier, start, end } of moduleSpecifiers(text, fileName)) {
    const renamed = rename(specifier);
    if (renamed === undefined || renamed === specifier) continue;
    const quote = text[start];
    out += `${text.slice(at, start)}${quote}${renamed}${quote}`;
    at = end;
  }
  return out + text.slice(at);
}

/** The packages of cdktf and their CDK Terrain counterparts, with the same module layout under them. */
const CDKTF_TO_CDKTN: readonly (readonly [string, string])[] = [
  ["cdktf", "cdktn"],
  // Same lib/<resource>/index layout and class names: checked against @cdktn/provider-aws 25.7.0 for every
  // binding modules/ imports, and compiled against it by test/consumers/constructs.test.ts.
  ["@cdktf/provider-aws", "@cdktn/provider-aws"],
];

/** Whether `specifier` names the package `name` or a file inside it. */
function isOf(specifier: string, name: string): boolean {
  return specifier === name || specifier.startsWith(`${name}/`);
}

/** Whether `specifier` belongs to cdktf: the toolkit, its CLI or any @cdktf/ package. */
export function isCdktfSpecifier(specifier: string): boolean {
  return isOf(specifier, "cdktf") || specifier.startsWith("cdktf-") || specifier.startsWith("@cdktf/");
}

/**
 * cdktf's specifiers to CDK Terrain's: `cdktf` to `cdktn`, `@cdktf/provider-aws/...` to
 * `@cdktn/provider-aws/...`, the rest unchanged. A cdktf specifier without a counterpart in the table
 * throws, so a new import cannot slip into the CDK Terrain package under its cdktf name.
 */
export function cdktfToCdktn(specifier: string): string | undefined {
  for (const [from, to] of CDKTF_TO_CDKTN) {
    if (isOf(specifier, from)) return to + specifier.slice(from.length);
  }
  if (isCdktfSpecifier(specifier)) {
    throw new Error(
      `module specifier ${JSON.stringify(specifier)} has no CDK Terrain counterpart; allowed: ${CDKTF_TO_CDKTN.map(([from]) => `${from}, ${from}/...`).join("; ")}`,
    );
  }
  return undefined;
}

/** CDK Terrain's specifiers back to cdktf's (the inverse of cdktfToCdktn). */
export function cdktnToCdktf(specifier: string): string | undefined {
  for (const [from, to] of CDKTF_TO_CDKTN) {
    if (isOf(specifier, to)) return from + specifier.slice(to.length);
  }
  return undefined;
}
