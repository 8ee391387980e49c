// Jest's transform for .ts files: the same esbuild transpilation as the require hook (transpile-ts.cjs),
// with a source map so stack traces point at the TypeScript lines. Tests only transpile; the type-check
// is its own step (npm run typecheck).
const { transpile } = require("./transpile-ts.cjs");

module.exports = {
  process(source, filename) {
    return transpile(source, filename, true);
  },
};
