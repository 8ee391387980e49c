// npm run build: the service's JavaScript for the container image. Transpiles app/ and contract/ file by
// file (transpile-ts.cjs) into dist/, beside a copy of package.json (app/app.ts reads its version), so the
// image's build stage needs esbuild and nothing else: no TypeScript, no type packages, none of the
// infrastructure's dependencies. `npm run typecheck` is where the types are checked.
const { mkdirSync, readdirSync, readFileSync, rmSync, copyFileSync, writeFileSync } = require("node:fs");
const { dirname, join, relative } = require("node:path");
const { transpile } = require("./transpile-ts.cjs");

const root = join(__dirname, "..");
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
let files = 0;
for (const dir of ["app", "contract"]) {
  for (const entry of readdirSync(join(root, dir), { recursive: true })) {
    if (!entry.endsWith(".ts") || entry.endsWith(".d.ts")) continue;
    const source = join(root, dir, entry);
    const target = join(dist, dir, entry.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, transpile(readFileSync(source, "utf8"), relative(root, source)).code);
    files++;
  }
}
copyFileSync(join(root, "package.json"), join(dist, "package.json"));
process.stdout.write(`build: ${files} files from app/ and contract/ into dist/\n`);
