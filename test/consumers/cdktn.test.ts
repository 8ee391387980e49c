import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  findProviderMirror,
  hasTerraform,
  synthProject,
  type TerraformPlan,
  TerraformWorkdir,
} from "../support/terraform";
import { ConsumerProject, lockedVersion } from "./support/consumer-project";

// The sample stack (this repository's own sources, not a package) on CDK Terrain through an npm alias, with
// the @cdktf/provider-aws 20.1 bindings and `overrides` pointing their peers at the alias. Not what a user of
// the packages does (@emf-fargate/constructs-cdktn imports cdktn and @cdktn/provider-aws by their names; see
// constructs.test.ts), but the only cdktn synth that terraform can plan here (hashicorp/aws 5.100.0 is the one
// provider binary), over the whole stack, and with the newest constructs cdktn accepts (10.7.2; the package
// test installs the lowest, 10.6.0).

/** CDK Terrain's release this test runs, and the constructs it accepts (>= 10.6 < 10.8). */
const CDKTN_VERSION = "0.24.0";
const CDKTN_CONSTRUCTS_VERSION = "10.7.2";

const mirror = findProviderMirror();
if ((!hasTerraform() || mirror === undefined) && process.env.CI === "true") {
  throw new Error(`the cdktn test needs terraform and the provider mirror; mirror: ${mirror ?? "missing"}`);
}
const describeWithTerraform = hasTerraform() && mirror !== undefined ? describe : describe.skip;

/** A synthesized stack without cdktf's own metadata blocks (`//`), which name the library and its version. */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "//")
      .map(([key, inner]) => [key, withoutMetadata(inner)]),
  );
}

function readStack(outdir: string): Record<string, any> {
  return JSON.parse(readFileSync(join(outdir, "stacks", "koaapp", "cdk.tf.json"), "utf8"));
}

describeWithTerraform("the koaapp stack on CDK Terrain (cdktn) instead of cdktf", () => {
  let project: ConsumerProject;
  const cdktfOut = mkdtempSync(join(tmpdir(), "emf-fargate-cdktf-synth-"));
  let workdir: TerraformWorkdir;

  beforeAll(() => {
    // GIVEN the stack's sources in a project where the name "cdktf" is CDK Terrain (an npm alias), so
    // not one import changes, with the same provider bindings (hashicorp/aws 5.100.0, plannable offline)
    project = new ConsumerProject("cdktn", {
      dependencies: {
        cdktf: `npm:cdktn@${CDKTN_VERSION}`,
        constructs: CDKTN_CONSTRUCTS_VERSION,
        "@cdktf/provider-aws": lockedVersion("@cdktf/provider-aws"),
        esbuild: lockedVersion("esbuild"),
      },
      // The bindings declare peers cdktf ^0.21 and constructs ^10.4: point them at the alias.
      overrides: { "@cdktf/provider-aws": { cdktf: "$cdktf", constructs: "$constructs" } },
    });
    project.copyFromRepo([
      "main.ts",
      "cdktf.json",
      "stacks",
      "modules",
      "contract",
      "scripts/register-ts.cjs",
      "scripts/transpile-ts.cjs",
    ]);
    project.install();
    // WHEN it is synthesized as `npm run synth` does, and the same stack with cdktf here
    project.run(process.execPath, ["--require", "./scripts/register-ts.cjs", "main.ts"]);
    synthProject(cdktfOut);
    workdir = new TerraformWorkdir(
      { koaapp: join(project.dir, "cdktf.out", "stacks", "koaapp") },
      "koaapp",
      mirror as string,
      {
        region: "eu-west-2",
      },
    );
  }, 600_000);

  afterAll(() => {
    workdir?.destroy();
    project?.destroy();
    rmSync(cdktfOut, { recursive: true, force: true });
  });

  it("is synthesized by cdktn itself, not by a cdktf left in reach", () => {
    const installed = JSON.parse(
      readFileSync(join(project.dir, "node_modules", "cdktf", "package.json"), "utf8"),
    );
    const nested = JSON.parse(
      readFileSync(join(project.dir, "node_modules", "@cdktf", "provider-aws", "package.json"), "utf8"),
    );
    expect({ name: installed.name, version: installed.version }).toEqual({
      name: "cdktn",
      version: CDKTN_VERSION,
    });
    expect(nested.version).toBe(lockedVersion("@cdktf/provider-aws"));
    expect(readStack(join(project.dir, "cdktf.out"))["//"].metadata.version).toBe(CDKTN_VERSION);
  });

  it("synthesizes exactly the resources, data sources, variables and outputs cdktf does", () => {
    const cdktn = withoutMetadata(readStack(join(project.dir, "cdktf.out"))) as Record<string, any>;
    const cdktf = withoutMetadata(readStack(cdktfOut)) as Record<string, any>;
    const addresses = (stack: Record<string, any>) =>
      ["resource", "data"].flatMap((kind) =>
        Object.entries(stack[kind] ?? {}).flatMap(([type, byName]) =>
          Object.keys(byName as object).map((name) => `${kind === "data" ? "data." : ""}${type}.${name}`),
        ),
      );
    expect(addresses(cdktn).sort()).toEqual(addresses(cdktf).sort());
    expect(addresses(cdktn).length).toBeGreaterThan(40);
    expect(cdktn).toEqual(cdktf);
  });

  it("validates and plans offline with the real provider", () => {
    workdir.runOk(["init", "-input=false", "-no-color"]);
    workdir.runOk(["validate", "-no-color"]);
    const plan: TerraformPlan = workdir.planJson({
      db_password: "cdktn-plan-password-5e1d",
      app_secret: "cdktn-plan-app-secret-0c4a",
    });
    const created = plan.resource_changes.filter((r) => r.change.actions.includes("create"));
    const declared = Object.values(readStack(join(project.dir, "cdktf.out")).resource ?? {}).reduce(
      (sum: number, byName) => sum + Object.keys(byName as object).length,
      0,
    );
    expect(created.length).toBe(declared);
  });
});
