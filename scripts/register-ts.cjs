// A minimal TypeScript require hook (`node --require ./scripts/register-ts.cjs file.ts`): `npm run synth`,
// the benches and the processes tests spawn load .ts files through it, transpiled by transpile-ts.cjs, so
// start-up stays fast and small. tsx does the same but its ESM loader thread costs ~50 MB more peak memory
// (bench/synth.bench.ts).
const { readFileSync } = require("node:fs");
const { transpile } = require("./transpile-ts.cjs");

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  module._compile(transpile(readFileSync(filename, "utf8"), filename).code, filename);
};
