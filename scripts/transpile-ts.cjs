// The repository's one TypeScript runner: esbuild strips the types of one file at a time, in-process and
// without a type-check (that is `npm run typecheck`'s job, and tsc also writes the packages' declarations in
// `npm run pack`). Used by the require hook (register-ts.cjs: synth, benches, the processes tests spawn), by
// Jest (jest-transform.cjs) and by the image build (build-app.cjs), so all three run the same JavaScript.
const { transformSync } = require("esbuild");

/**
 * CommonJS for Node.js 20 and later from one TypeScript file.
 * @param {string} source - the file's text
 * @param {string} filename - its path, for messages and source maps
 * @param {boolean} [withMap] - also return a source map (Jest maps stack traces with it)
 * @returns {{ code: string, map: string }}
 */
function transpile(source, filename, withMap = false) {
  const { code, map } = transformSync(source, {
    loader: "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
    sourcemap: withMap ? "external" : false,
  });
  return { code, map };
}

module.exports = { transpile };
