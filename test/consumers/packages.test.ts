import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCdktfSpecifier, moduleSpecifiers } from "../../scripts/toolkit-specifiers";
import { artifactOf, REPO_ROOT } from "./support/consumer-project";
import { exampleApp } from "./support/toolkits";

/** What a tarball may hold: the compiled code, its declarations, the manifest, README and CHANGELOG. */
const SHIPPED = /^package\/(package\.json|README\.md|CHANGELOG\.md|dist\/.+\.(js|mjs|d\.ts|d\.mts))$/;

describe.each(["packages/constructs", "packages/constructs-cdktn", "packages/koa-latency"])(
  "the package in %s",
  (dir) => {
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
  },
);

describe("the packages' READMEs", () => {
  it.each([
    ["packages/constructs/README.md", "cdktf"],
    ["packages/constructs-cdktn/README.md", "cdktn"],
  ] as const)("%s shows the example the consumer test runs on %s, verbatim", (readme, toolkit) => {
    const text = readFileSync(join(REPO_ROOT, readme), "utf8");
    const example = exampleApp(toolkit);
    // The fixture is the one copy: a README that shows an older version fails here with the current one.
    expect({ readme, showsExample: text.includes(`\n${example}\`\`\``) }).toEqual({
      readme,
      showsExample: true,
    });
  });
});

describe("@emf-fargate/constructs-cdktn", () => {
  /** The files of a tarball, by path inside it. */
  function filesOf(tarball: string): Map<string, string> {
    const dir = mkdtempSync(join(tmpdir(), "emf-fargate-tarball-"));
    try {
      execFileSync("tar", ["-xzf", tarball, "-C", dir]);
      const root = join(dir, "package");
      return new Map(
        (readdirSync(root, { recursive: true }) as string[])
          .filter((file) => /\.(js|d\.ts)$/.test(file))
          .map((file) => [file, readFileSync(join(root, file), "utf8")]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("ships the constructs package's files with cdktf's module specifiers, and only those, renamed to CDK Terrain's", () => {
    // GIVEN both tarballs WHEN their compiled files are compared
    const cdktf = filesOf(artifactOf("packages/constructs"));
    const cdktn = filesOf(artifactOf("packages/constructs-cdktn"));
    expect([...cdktn.keys()].sort()).toEqual([...cdktf.keys()].sort());
    const files = [...cdktf.keys()].sort();
    const specifiersIn = (tarball: Map<string, string>) =>
      files.flatMap((file) =>
        moduleSpecifiers(tarball.get(file) as string, file).map(({ specifier }) => specifier),
      );
    // THEN the CDK Terrain package imports no cdktf package; its specifiers are the cdktf package's, with
    // cdktf for cdktn and @cdktf/provider-aws for @cdktn/provider-aws and no other change; and each file is
    // the cdktf one byte for byte outside its module specifiers
    const [fromCdktf, fromCdktn] = [specifiersIn(cdktf), specifiersIn(cdktn)];
    expect(fromCdktn.filter(isCdktfSpecifier)).toEqual([]);
    expect(fromCdktf.filter(isCdktfSpecifier).length).toBeGreaterThan(30);
    expect(fromCdktn).toEqual(
      fromCdktf.map((specifier) =>
        specifier.replace(/^cdktf$/, "cdktn").replace(/^@cdktf\/provider-aws\//, "@cdktn/provider-aws/"),
      ),
    );
    for (const file of files) {
      const strip = (text: string) =>
        moduleSpecifiers(text, file)
          .reverse()
          .reduce((out, { start, end }) => `${out.slice(0, start)}""${out.slice(end)}`, text);
      expect({ file, rest: strip(cdktn.get(file) as string) }).toEqual({
        file,
        rest: strip(cdktf.get(file) as string),
      });
    }
  });
});
