// A minimal TypeScript require hook for `npm run synth`: esbuild strips types file by file, in-process
// and without a type-check (that is `npm run typecheck`'s job), so synthesis starts fast and stays small.
// tsx does the same but its ESM loader thread costs ~50 MB more peak memory (bench/synth.bench.ts).
const { readFileSync } = require("node:fs");
const { transformSync } = require("esbuild");

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, "utf8"), {
    loader: "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
  });
  module._compile(code, filename);
};
