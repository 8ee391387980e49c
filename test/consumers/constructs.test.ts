import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findProviderMirror, hasTerraform, TerraformWorkdir } from "../support/terraform";
import { artifactOf, ConsumerProject, lockedVersion } from "./support/consumer-project";

const mirror = findProviderMirror();
if ((!hasTerraform() || mirror === undefined) && process.env.CI === "true") {
  throw new Error(
    `the construct consumer test needs terraform and the provider mirror; mirror: ${mirror ?? "missing"}`,
  );
}
const describeWithTerraform = hasTerraform() && mirror !== undefined ? describe : describe.skip;

/** The peers a cdktf project brings, for each toolkit the package declares it works with. */
const TOOLKITS = [
  {
    toolkit: "cdktf",
    dependencies: {
      cdktf: lockedVersion("cdktf"),
      constructs: lockedVersion("constructs"),
      "@cdktf/provider-aws": lockedVersion("@cdktf/provider-aws"),
    },
    overrides: {},
  },
  {
    toolkit: "CDK Terrain (cdktn under the name cdktf)",
    dependencies: {
      cdktf: "npm:cdktn@0.24.0",
      constructs: "10.7.2",
      "@cdktf/provider-aws": lockedVersion("@cdktf/provider-aws"),
    },
    // The bindings declare peers cdktf ^0.21 and constructs ^10.4: point them at the alias.
    overrides: { "@cdktf/provider-aws": { cdktf: "$cdktf", constructs: "$constructs" } },
  },
];

describeWithTerraform.each(TOOLKITS)(
  "a cdktf TypeScript project using @emf-fargate/constructs with $toolkit",
  ({ dependencies, overrides }) => {
    let project: ConsumerProject;
    let before: { bytes: number; packages: string[] };
    let after: { bytes: number; packages: string[] };
    let stack: Record<string, any>;

    beforeAll(() => {
      // GIVEN a fresh project with its toolkit, TypeScript and the package from artifacts/, and the
      // README's example: a non-Koa image on 8080, an existing VPC, a secret by SSM parameter name,
      // the image's own health check
      project = new ConsumerProject("constructs", {
        dependencies,
        devDependencies: {
          typescript: lockedVersion("typescript"),
          "@types/node": lockedVersion("@types/node"),
        },
        overrides,
      });
      project.copyDirFromRepo("test/consumers/fixtures/cdktf-app");
      project.install();
      before = { bytes: project.nodeModulesBytes(), packages: project.installedPackages() };
      project.install([artifactOf("packages/constructs")]);
      after = { bytes: project.nodeModulesBytes(), packages: project.installedPackages() };
      // WHEN it is compiled with tsc (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess,
      // skipLibCheck false) and synthesized with plain node
      project.run(join(project.dir, "node_modules", ".bin", "tsc"), ["-p", "."]);
      project.run(process.execPath, ["dist/main.js"]);
      stack = JSON.parse(
        readFileSync(join(project.dir, "cdktf.out", "stacks", "orders", "cdk.tf.json"), "utf8"),
      );
      process.stdout.write(
        `construct consumer (${dependencies.cdktf}): node_modules ${(before.bytes / 1e6).toFixed(1)} MB with the peers, ` +
          `+${((after.bytes - before.bytes) / 1e3).toFixed(0)} kB with the package\n`,
      );
    }, 600_000);

    afterAll(() => project?.destroy());

    it("adds nothing to node_modules but the package itself", () => {
      expect(after.packages.filter((name) => !before.packages.includes(name))).toEqual([
        "@emf-fargate/constructs",
      ]);
      expect(after.bytes - before.bytes).toBeLessThan(1_000_000);
    });

    it("synthesizes the service with the secret's exact ARN in the execution role's policy and no account lookup", () => {
      expect(Object.keys(stack.resource.aws_ecs_service ?? {})).toHaveLength(1);
      expect(Object.keys(stack.data ?? {})).not.toContain("aws_caller_identity");
      const documents = Object.values(stack.data.aws_iam_policy_document) as {
        statement: { actions: string[]; resources?: string[] }[];
      }[];
      const ssmResources = documents
        .flatMap((d) => d.statement)
        .filter((s) => s.actions.includes("ssm:GetParameters"))
        .flatMap((s) => s.resources ?? []);
      const task = Object.values(stack.resource.aws_ecs_task_definition)[0] as {
        container_definitions: string;
      };
      const [app] = JSON.parse(task.container_definitions) as {
        secrets: { name: string; valueFrom: string }[];
        healthCheck: { command: string[] };
      }[];
      const parameterArn = /^arn:.+:ssm:.+:parameter\/orders\/prod\/database-url$/;
      expect(ssmResources.filter((arn) => parameterArn.test(arn))).toHaveLength(1);
      expect(ssmResources.filter((arn) => !arn.startsWith("arn:") && !arn.startsWith("${"))).toEqual([]);
      expect(app?.secrets).toEqual([
        { name: "DATABASE_URL", valueFrom: expect.stringMatching(parameterArn) },
      ]);
      expect(app?.healthCheck.command).toEqual([
        "CMD-SHELL",
        "curl -fsS http://127.0.0.1:8080/healthz || exit 1",
      ]);
    });

    it("passes terraform validate and plans offline", () => {
      const workdir = new TerraformWorkdir(
        { orders: join(project.dir, "cdktf.out", "stacks", "orders") },
        "orders",
        mirror as string,
        { overrideDefault: true },
      );
      try {
        workdir.runOk(["init", "-input=false", "-no-color"]);
        expect(workdir.runOk(["validate", "-no-color"])).toMatch(/The configuration is valid/);
        const plan = workdir.planJson({});
        const service = plan.resource_changes.find((r) => r.type === "aws_ecs_service");
        expect(service?.change.actions).toEqual(["create"]);
        expect(existsSync(join(workdir.dir, ".terraform"))).toBe(true);
      } finally {
        workdir.destroy();
      }
    });
  },
);
