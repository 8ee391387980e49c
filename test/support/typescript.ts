import { join } from "node:path";

/**
 * Node.js arguments that let a spawned process run TypeScript: the repository's require hook
 * (scripts/register-ts.cjs, the same esbuild transpilation as Jest and the image build).
 */
export const TYPESCRIPT_EXEC_ARGV: readonly string[] = [
  "--require",
  join(__dirname, "..", "..", "scripts", "register-ts.cjs"),
];
