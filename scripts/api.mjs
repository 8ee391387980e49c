// The packages' public API, from their declarations (build-packages.mjs builds them first):
//
//   npm run api        rewrites each package's API report, packages/<dir>/api/<name>.api.md: review its diff
//                      like code, it is the release note of an API change
//   npm run api:check  fails when a report differs from the checked-in one (CI, after npm run pack)
//   npm run docs       Markdown API reference from the TSDoc into docs/api/ (generated, not committed)
//
// API Extractor (packages/<dir>/api-extractor.json, extending api-extractor.base.json; tsdoc.json) reads the .d.ts entry point of @emf-fargate/constructs and
// @emf-fargate/koa-latency. @emf-fargate/constructs-cdktn gets no report of its own: build-packages.mjs
// derives its declarations from the constructs' by renaming module specifiers only, and checks that, so its
// report would be the constructs report with `cdktn` in three import lines.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { buildPackages, ROOT } from "./build-packages.mjs";

const require = createRequire(import.meta.url);
const { Extractor, ExtractorConfig } = require("@microsoft/api-extractor");
// API Extractor's own tsdoc-config, the one that reads tsdoc.json for it.
const { TSDocConfigFile } = createRequire(require.resolve("@microsoft/api-extractor"))(
  "@microsoft/tsdoc-config",
);

/** The packages with an API report. */
const REPORTED = ["packages/constructs", "packages/koa-latency"];
const MODEL_DIR = join(ROOT, "artifacts", "api", "model");
const DOCS_DIR = join(ROOT, "docs", "api");

const mode = process.argv[2];
if (!["report", "check", "docs"].includes(mode)) {
  throw new Error(`usage: node scripts/api.mjs report|check|docs; got ${JSON.stringify(mode)}`);
}

/** Runs API Extractor on one package; returns whether its report differs from the checked-in one. */
function extract(packageDir, localBuild) {
  const configFile = join(packageDir, "api-extractor.json");
  if (localBuild) mkdirSync(join(packageDir, "api"), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: ExtractorConfig.loadFile(configFile),
    configObjectFullPath: configFile,
    packageJsonFullPath: join(packageDir, "package.json"),
    tsdocConfigFile: TSDocConfigFile.loadFile(join(ROOT, "tsdoc.json")),
  });
  // Messages about the code go into the report (api-extractor.base.json), where the diff shows them; what
  // reaches the console is about the run itself. Warnings about creating or updating the report are what
  // `npm run api` is for; any other warning or error fails the run.
  const problems = [];
  const result = Extractor.invoke(config, {
    localBuild,
    messageCallback(message) {
      if (message.messageId.startsWith("console-api-report-")) {
        // api:check prints its own instruction (below) instead of API Extractor's "copy the file" advice.
        if (!localBuild && message.messageId === "console-api-report-not-copied") message.handled = true;
        return;
      }
      if (message.logLevel === "error" || message.logLevel === "warning") problems.push(message.messageId);
    },
  });
  if (result.errorCount > 0 || problems.length > 0) {
    throw new Error(`API Extractor on ${relative(ROOT, packageDir)}: ${problems.join(", ")} (above)`);
  }
  return { config, changed: result.apiReportChanged };
}

/** The checked-in report and the one just generated, for the message of api:check. */
function reportPaths(config) {
  const [{ fileName }] = config.reportConfigs;
  return [join(config.reportFolder, fileName), join(config.reportTempFolder, fileName)];
}

/**
 * The .api.json models with house-style `@default` blocks as TSDoc's `@defaultValue`, which API Documenter
 * renders as a "Default Value" section (a custom block tag it would drop).
 */
function modelsForDocs() {
  const dir = join(ROOT, "artifacts", "api", "docs-input");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const withDefaultValue = (node) => {
    if (Array.isArray(node)) return node.map(withDefaultValue);
    if (typeof node !== "object" || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === "docComment"
          ? value.replace(/@default(?![A-Za-z])/g, "@defaultValue")
          : withDefaultValue(value),
      ]),
    );
  };
  for (const file of readdirSync(MODEL_DIR).filter((f) => f.endsWith(".api.json"))) {
    const model = JSON.parse(readFileSync(join(MODEL_DIR, file), "utf8"));
    writeFileSync(join(dir, file), JSON.stringify(withDefaultValue(model), null, 2));
  }
  return dir;
}

buildPackages();
rmSync(MODEL_DIR, { recursive: true, force: true });
const stale = [];
for (const dir of REPORTED) {
  const { config, changed } = extract(join(ROOT, dir), mode !== "check");
  if (mode === "check" && changed) stale.push(reportPaths(config));
}

if (mode === "check") {
  for (const [checkedIn, generated] of stale) {
    const diff = spawnSync(
      "diff",
      [
        "-u",
        `--label=${relative(ROOT, checkedIn)} (checked in)`,
        `--label=${relative(ROOT, checkedIn)} (from the code)`,
        existsSync(checkedIn) ? checkedIn : "/dev/null",
        generated,
      ],
      { encoding: "utf8" },
    );
    process.stderr.write(`\n${diff.stdout.split("\n").slice(0, 200).join("\n")}\n`);
  }
  if (stale.length > 0) {
    process.stderr.write(
      `\nThe public API differs from ${stale.map(([checkedIn]) => relative(ROOT, checkedIn)).join(", ")} (diff above).\n` +
        "Run `npm run api` to update the report, then review `git diff -- packages/*/api` and commit it with the change:\n" +
        "a diff there is a release note (CHANGELOG).\n",
    );
    process.exit(1);
  }
  process.stdout.write(`API reports current: ${REPORTED.map((dir) => `${dir}/api/`).join(", ")}\n`);
} else if (mode === "docs") {
  rmSync(DOCS_DIR, { recursive: true, force: true });
  const manifest = require.resolve("@microsoft/api-documenter/package.json");
  const documenter = join(manifest, "..", require(manifest).bin["api-documenter"]);
  const run = spawnSync(process.execPath, [documenter, "markdown", "-i", modelsForDocs(), "-o", DOCS_DIR], {
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`api-documenter failed:\n${run.stdout}\n${run.stderr}`);
  process.stdout.write(
    `API reference: ${relative(ROOT, DOCS_DIR)}/index.md (${readdirSync(DOCS_DIR).length} pages)\n`,
  );
}
