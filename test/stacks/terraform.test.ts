import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  synthProject,
  type TerraformModuleConfig,
  type TerraformPlan,
  TerraformWorkdir,
  terraformSuite,
  varArgs,
} from "../support/terraform";

// In CI this suite must run: a missing terraform or provider mirror is a failure there, not a skip.
const { mirror, describe: describeWithTerraform } = terraformSuite("terraform plan tests");

const SECRET_VALUES = { db_password: "plan-test-password-7f3a", app_secret: "plan-test-app-secret-91bc" };

/**
 * What an expression refers to. Terraform lists a reference to `aws_x.name.attr` together with its resource
 * `aws_x.name`; the bare resource is dropped then, so a reference to one attribute is judged by that attribute.
 */
function referencesOf(expression: unknown, out: string[] = []): string[] {
  if (Array.isArray(expression)) {
    for (const item of expression) referencesOf(item, out);
  } else if (typeof expression === "object" && expression !== null) {
    for (const [key, value] of Object.entries(expression)) {
      if (key !== "references" || !Array.isArray(value)) referencesOf(value, out);
      else
        out.push(
          ...value.map(String).filter((ref, _, all) => !all.some((other) => other.startsWith(`${ref}.`))),
        );
    }
  }
  return out;
}

/**
 * Resources of a module whose configuration depends, directly or through other resources, on `variable`.
 * A reference to another resource's attribute counts when that attribute's own expression depends on the
 * variable, or, for an attribute only AWS sets (an ARN), when that resource does. So a policy naming the
 * service by its configured name does not depend on the image the service runs.
 */
function dependents(module: TerraformModuleConfig, variable: string): string[] {
  const resources = new Map((module.resources ?? []).map((r) => [r.address, r]));
  const reached = new Set<string>();
  const dependsOnVariable = (expression: unknown): boolean =>
    referencesOf(expression).some((ref) => {
      if (ref === variable) return true;
      const [type, name, attribute] = ref.split(/[.[]/);
      const address = `${type}.${name}`;
      if (!reached.has(address)) return false;
      const own = resources.get(address)?.expressions?.[attribute ?? ""];
      return attribute === undefined || own === undefined || dependsOnVariable(own);
    });
  for (let grown = true; grown; ) {
    grown = false;
    for (const [address, r] of resources) {
      if (reached.has(address)) continue;
      if (dependsOnVariable(r.expressions) || (r.depends_on ?? []).some((d) => reached.has(d))) {
        reached.add(address);
        grown = true;
      }
    }
  }
  return [...reached].sort();
}

describeWithTerraform("the synthesized koaapp stack with the real AWS provider 5.100.0, offline", () => {
  const outdir = mkdtempSync(join(tmpdir(), "emf-fargate-synth-"));
  const stackDir = join(outdir, "stacks", "koaapp");
  let root: TerraformWorkdir;
  let plan: TerraformPlan;

  beforeAll(() => {
    synthProject(outdir);
    root = new TerraformWorkdir({ koaapp: stackDir }, "koaapp", mirror, { region: "eu-west-2" });
    root.runOk(["init", "-input=false", "-no-color"]);
    plan = root.planJson(SECRET_VALUES);
  }, 300_000);

  afterAll(() => {
    root?.destroy();
    rmSync(outdir, { recursive: true, force: true });
  });

  describe("as a root module", () => {
    it("validates", () => {
      // GIVEN the stack as `npm run synth` writes it WHEN validated THEN terraform accepts it
      expect(root.runOk(["validate", "-no-color"])).toContain("Success! The configuration is valid.");
    });

    it("plans the whole service without credentials or network", () => {
      const creates = plan.resource_changes
        .filter((r) => r.change.actions.includes("create"))
        .map((r) => r.type);
      for (const type of [
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_ecs_cluster",
        "aws_db_instance",
        "aws_ecr_repository",
        "aws_iam_role",
        "aws_cloudwatch_log_group",
        "aws_ssm_parameter",
        "aws_vpc",
      ]) {
        expect(creates).toContain(type);
      }
      const taskDefinition = plan.resource_changes.find((r) => r.type === "aws_ecs_task_definition");
      // container_definitions holds references, so terraform knows it only after apply.
      expect(taskDefinition?.change.after).toMatchObject({
        family: "koaapp",
        cpu: "512",
        memory: "1024",
        network_mode: "awsvpc",
        requires_compatibilities: ["FARGATE"],
      });
      const service = plan.resource_changes.find((r) => r.type === "aws_ecs_service");
      expect(service?.change.after).toMatchObject({ desired_count: 1 });
    });

    it("keeps the secret values out of the plan file and its JSON", () => {
      const planFile = readFileSync(join(root.dir, "plan.bin"));
      const planText = JSON.stringify(plan);
      for (const value of Object.values(SECRET_VALUES)) {
        expect(planFile.includes(value)).toBe(false);
        expect(planText.includes(value)).toBe(false);
      }
      const secure = plan.resource_changes.filter(
        (r) => r.type === "aws_ssm_parameter" && r.change.after?.type === "SecureString",
      );
      expect(secure).toHaveLength(2);
      for (const r of secure) expect(r.change.after).toMatchObject({ value_wo: null, value_wo_version: 1 });
    });

    it("takes per-deploy values as variables: image_tag reaches only the task definition and the service", () => {
      // GIVEN a reviewed cdk.tf.json WHEN planned with another image tag and task count
      const next = root.planJson(
        { ...SECRET_VALUES, image_tag: "sha-4f2a9c1", desired_count: "3" },
        "next.bin",
      );
      // THEN the values are taken without re-synthesis
      expect(next.variables?.image_tag.value).toBe("sha-4f2a9c1");
      expect(next.resource_changes.find((r) => r.type === "aws_ecs_service")?.change.after).toMatchObject({
        desired_count: 3,
      });
      // AND the only resources whose configuration depends on image_tag are the task definition and the
      // service that points at it
      expect(dependents(next.configuration.root_module, "var.image_tag")).toEqual([
        expect.stringMatching(/^aws_ecs_service\.Service_\w+$/),
        expect.stringMatching(/^aws_ecs_task_definition\.Service_TaskDefinition_\w+$/),
      ]);
    }, 300_000);

    it("rejects a bad variable value with its validation message", () => {
      const result = root.run([
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        ...varArgs({ ...SECRET_VALUES, image_tag: "latest" }),
      ]);
      expect(result.status).not.toBe(0);
      expect(result.stderr.replace(/\s+/g, " ")).toContain(
        'image_tag must be 1-128 letters, digits, _ . - (not starting with . or -) and not "latest".',
      );
      const short = root.run([
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        ...varArgs({ ...SECRET_VALUES, db_password: "short" }),
      ]);
      expect(short.status).not.toBe(0);
      const negative = root.run([
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        ...varArgs({ ...SECRET_VALUES, desired_count: "-1" }),
      ]);
      expect(negative.stderr.replace(/\s+/g, " ")).toContain(
        "desired_count must be a whole number from 0 to 100.",
      );
      expect(short.stderr.replace(/\s+/g, " ")).toContain(
        'db_password must be 12-128 characters without /, ", @ or spaces.',
      );
      // A validation that reads another variable (Terraform 1.9+): max_count against min_count.
      const inverted = root.run([
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        ...varArgs({ ...SECRET_VALUES, min_count: "5", max_count: "2" }),
      ]);
      expect(inverted.status).not.toBe(0);
      expect(inverted.stderr.replace(/\s+/g, " ")).toContain(
        "max_count must be a whole number from 1 to 100, and at least min_count.",
      );
    }, 300_000);

    it("plans through `npm run plan` with a .tfvars file", () => {
      // GIVEN the example .tfvars with a pipeline's values
      const example = readFileSync(join(__dirname, "..", "..", "koaapp.tfvars.example"), "utf8");
      const varFile = join(root.dir, "..", "deploy.tfvars");
      writeFileSync(varFile, example.replace('image_tag       = "0.1.0"', 'image_tag       = "sha-77aa01"'));
      // WHEN the convenience script plans the stack
      const result = spawnSync(
        "bash",
        [join(__dirname, "..", "..", "scripts", "plan.sh"), varFile, "-no-color", "-lock=false"],
        {
          env: { ...root.env, STACK_DIR: root.dir },
          encoding: "utf8",
          timeout: 300_000,
        },
      );
      // THEN it initialises, plans with the file's values and saves the plan for apply
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
      expect(result.stdout).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
      expect(existsSync(join(root.dir, "tfplan"))).toBe(true);
      const saved = JSON.parse(root.runOk(["show", "-json", "tfplan"])) as TerraformPlan;
      expect(saved.variables?.image_tag.value).toBe("sha-77aa01");
    }, 300_000);

    it("fails to plan without the secret variables rather than writing empty secrets", () => {
      const result = root.run(["plan", "-input=false", "-no-color", "-lock=false"]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/No value for required variable/);
    }, 300_000);
  });

  describe("as a child module of plain HCL", () => {
    let child: TerraformWorkdir;

    beforeAll(() => {
      child = new TerraformWorkdir(
        { koaapp: stackDir, root: join(__dirname, "..", "fixtures", "child-module") },
        "root",
        mirror,
        { overrideAlias: "main" },
      );
      child.runOk(["init", "-input=false", "-no-color"]);
    }, 300_000);

    afterAll(() => child?.destroy());

    it("plans with the caller's provider, variables and outputs", () => {
      // GIVEN an HCL root passing its own aliased provider, the variables and reading outputs
      const childPlan = child.planJson(SECRET_VALUES);
      // THEN the module's resources are planned with the caller's values
      const service = childPlan.resource_changes.find((r) =>
        r.address.startsWith("module.koaapp.aws_ecs_service."),
      );
      expect(service?.change.after).toMatchObject({ name: "koaapp", desired_count: 2 });
      expect(JSON.stringify(childPlan.planned_values)).toContain('"emf_log_group_name"');
      const images = dependents(
        childPlan.configuration.root_module.module_calls?.koaapp.module as TerraformModuleConfig,
        "var.image_tag",
      );
      expect(images).toHaveLength(2);
    }, 300_000);
  });

  describe("against a provider configured for another region", () => {
    it("stops at the network's precondition with a message saying what to do", () => {
      const elsewhere = new TerraformWorkdir({ koaapp: stackDir }, "koaapp", mirror, {
        region: "us-east-1",
      });
      try {
        elsewhere.runOk(["init", "-input=false", "-no-color"]);
        const result = elsewhere.run([
          "plan",
          "-input=false",
          "-no-color",
          "-lock=false",
          ...varArgs(SECRET_VALUES),
        ]);
        expect(result.status).not.toBe(0);
        expect(result.stderr.replace(/\s+/g, " ")).toContain(
          "The network was synthesized for eu-west-2 (zones eu-west-2a, eu-west-2b); configure the AWS provider for eu-west-2, e.g. AWS_REGION=eu-west-2, or synthesize again for your region.",
        );
      } finally {
        elsewhere.destroy();
      }
    }, 300_000);
  });
});
