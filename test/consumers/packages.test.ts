import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { artifactOf, REPO_ROOT } from "./support/consumer-project";

/** What a tarball may hold: the compiled code, its declarations, the manifest, README and CHANGELOG. */
const SHIPPED = /^package\/(package\.json|README\.md|CHANGELOG\.md|dist\/.+\.(js|mjs|d\.ts|d\.mts))$/;

describe.each(["packages/constructs", "packages/koa-latency"])("the package in %s", (dir) => {
  it("ships only compiled code, declarations, README and CHANGELOG (no tests, benches or fixtures)", () => {
    const listing = spawnSync("tar", ["-tzf", artifactOf(dir)], { encoding: "utf8" });
    const files = listing.stdout.trim().split("\n");
    expect(files.filter((file) => !SHIPPED.test(file))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["package/README.md", "package/CHANGELOG.md"]));
    expect(files.filter((file) => /(^|\/)(test|bench|fixtures?)\//.test(file))).toEqual([]);
  });

  it("passes npm publish --dry-run", () => {
    const result = spawnSync("npm", ["publish", "--dry-run", "--access", "public"], {
      cwd: join(REPO_ROOT, dir),
      encoding: "utf8",
      env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: "false" },
    });
    expect({ status: result.status, stderr: result.status === 0 ? "" : result.stderr }).toEqual({
      status: 0,
      stderr: "",
    });
    expect(result.stderr).toMatch(/\(dry-run\)/);
  });
});

describe("the packages' READMEs", () => {
  it.each([["packages/constructs/README.md", "test/consumers/fixtures/cdktf-app/main.ts"]])(
    "%s shows %s, the example the consumer test runs, verbatim",
    (readme, fixture) => {
      const text = readFileSync(join(REPO_ROOT, readme), "utf8");
      expect(text).toContain(`\n${readFileSync(join(REPO_ROOT, fixture), "utf8")}\`\`\``);
    },
  );
});
