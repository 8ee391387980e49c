import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLAN_SECRET_VALUES } from "../support/koaapp";
import {
  addressOf,
  type ProcessResult,
  runProcess,
  started,
  synthProjectAsync,
  type TerraformModuleConfig,
  type TerraformPlan,
  TerraformWorkdir,
  terraformSuite,
  varArgs,
} from "../support/terraform";

// In CI this suite must run: a missing terraform or provider mirror is a failure there, not a skip.
const { mirror, describe: describeWithTerraform } = terraformSuite("terraform plan tests");

const PROJECT_ROOT = join(__dirname, "..", "..");

/** One bad value for each variable validation; Terraform reports every failed validation of a run. */
const BAD_VALUES = {
  ...PLAN_SECRET_VALUES,
  image_tag: "latest",
  db_password: "short",
  desired_count: "-1",
  // A validation that reads another variable (Terraform 1.9+): max_count against min_count.
  min_count: "5",
  max_count: "2",
};

/** A failed plan's error output on one line, as the messages are asserted. */
const oneLine = (result: ProcessResult) => result.stderr.replace(/\s+/g, " ");

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
  const workdirs: TerraformWorkdir[] = [];
  const pending: Promise<unknown>[] = [];
  let root: TerraformWorkdir;
  /**
   * Every terraform run of this file, started in beforeAll so they share the cores, each awaited by the test
   * that reads it (so a failed run fails that test only).
   */
  let runs: {
    plan: Promise<TerraformPlan>;
    validation: Promise<string>;
    next: Promise<TerraformPlan>;
    badValues: Promise<ProcessResult>;
    planScript: Promise<{ result: ProcessResult; dir: string; saved?: TerraformPlan }>;
    withoutSecrets: Promise<ProcessResult>;
    child: Promise<TerraformPlan>;
    elsewhere: Promise<ProcessResult>;
  };

  const workdir = (...args: ConstructorParameters<typeof TerraformWorkdir>) => {
    const made = new TerraformWorkdir(...args);
    workdirs.push(made);
    return made;
  };
  const start = <T>(run: Promise<T>): Promise<T> => {
    pending.push(run);
    return started(run);
  };
  const init = (dir: TerraformWorkdir) => dir.runOkAsync(["init", "-input=false", "-no-color"]);

  beforeAll(async () => {
    const stackDir = await synthProjectAsync(outdir);
    // The stack as a root module, initialised once: every plan below with this configuration runs here.
    root = workdir({ koaapp: stackDir }, "koaapp", mirror, { region: "eu-west-2" });
    await init(root);
    // The copies the script, the HCL caller and the other region plan get the stack as synth wrote it.
    const fresh = workdir({ koaapp: stackDir }, "koaapp", mirror, { region: "eu-west-2" });
    const child = workdir(
      { koaapp: stackDir, root: join(__dirname, "..", "fixtures", "child-module") },
      "root",
      mirror,
      { overrideAlias: "main" },
    );
    const elsewhere = workdir({ koaapp: stackDir }, "koaapp", mirror, { region: "us-east-1" });
    runs = {
      plan: start(root.planJsonAsync(PLAN_SECRET_VALUES)),
      validation: start(root.runOkAsync(["validate", "-no-color"])),
      next: start(
        root.planJsonAsync(
          { ...PLAN_SECRET_VALUES, image_tag: "sha-4f2a9c1", desired_count: "3" },
          "next.bin",
        ),
      ),
      badValues: start(
        root.runAsync(["plan", "-input=false", "-no-color", "-lock=false", ...varArgs(BAD_VALUES)]),
      ),
      planScript: start(planThroughScript(fresh)),
      withoutSecrets: start(root.runAsync(["plan", "-input=false", "-no-color", "-lock=false"])),
      child: start(init(child).then(() => child.planJsonAsync(PLAN_SECRET_VALUES))),
      elsewhere: start(
        init(elsewhere).then(() =>
          elsewhere.runAsync([
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            ...varArgs(PLAN_SECRET_VALUES),
          ]),
        ),
      ),
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled(pending);
    for (const made of workdirs) made.destroy();
    rmSync(outdir, { recursive: true, force: true });
  });

  /** `npm run plan`'s script on a stack nobody initialised, with the example .tfvars and a pipeline's tag. */
  async function planThroughScript(
    fresh: TerraformWorkdir,
  ): Promise<{ result: ProcessResult; dir: string; saved?: TerraformPlan }> {
    const example = readFileSync(join(PROJECT_ROOT, "koaapp.tfvars.example"), "utf8");
    const varFile = join(fresh.dir, "..", "deploy.tfvars");
    writeFileSync(varFile, example.replace('image_tag       = "0.1.0"', 'image_tag       = "sha-77aa01"'));
    const result = await runProcess(
      "bash",
      [join(PROJECT_ROOT, "scripts", "plan.sh"), varFile, "-no-color", "-lock=false"],
      { cwd: PROJECT_ROOT, env: { ...fresh.env, STACK_DIR: fresh.dir } },
    );
    if (result.status !== 0 || !existsSync(join(fresh.dir, "tfplan"))) return { result, dir: fresh.dir };
    const saved = JSON.parse(await fresh.runOkAsync(["show", "-json", "tfplan"])) as TerraformPlan;
    return { result, dir: fresh.dir, saved };
  }

  describe("as a root module", () => {
    it("validates", async () => {
      // GIVEN the stack as `npm run synth` writes it WHEN validated THEN terraform accepts it
      expect(await runs.validation).toContain("Success! The configuration is valid.");
    }, 300_000);

    it("plans the whole service without credentials or network", async () => {
      const plan = await runs.plan;
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
    }, 300_000);

    it("keeps the secret values out of the plan file and its JSON", async () => {
      const plan = await runs.plan;
      const planFile = readFileSync(join(root.dir, "plan.bin"));
      const planText = JSON.stringify(plan);
      for (const value of Object.values(PLAN_SECRET_VALUES)) {
        expect(planFile.includes(value)).toBe(false);
        expect(planText.includes(value)).toBe(false);
      }
      const secure = plan.resource_changes.filter(
        (r) => r.type === "aws_ssm_parameter" && r.change.after?.type === "SecureString",
      );
      expect(secure).toHaveLength(2);
      for (const r of secure) expect(r.change.after).toMatchObject({ value_wo: null, value_wo_version: 1 });
    }, 300_000);

    it("takes per-deploy values as variables: image_tag reaches only the task definition and the service", async () => {
      // GIVEN a reviewed cdk.tf.json WHEN planned with another image tag and task count
      const next = await runs.next;
      // THEN the values are taken without re-synthesis
      expect(next.variables?.image_tag.value).toBe("sha-4f2a9c1");
      expect(next.resource_changes.find((r) => r.type === "aws_ecs_service")?.change.after).toMatchObject({
        desired_count: 3,
      });
      // AND the only resources whose configuration depends on image_tag are the task definition and the
      // service that points at it
      expect(dependents(next.configuration.root_module, "var.image_tag")).toEqual(
        [addressOf(next, "aws_ecs_service"), addressOf(next, "aws_ecs_task_definition")].sort(),
      );
    }, 300_000);

    it("rejects bad variable values, each with its validation message", async () => {
      // GIVEN one bad value for each validated variable WHEN planned THEN the plan fails, and each failed
      // validation is its own error naming the variable and what it allows (Terraform reports them all)
      const result = await runs.badValues;
      expect(result.status).not.toBe(0);
      expect(oneLine(result)).toContain(
        'image_tag must be 1-128 letters, digits, _ . - (not starting with . or -) and not "latest".',
      );
      expect(oneLine(result)).toContain('db_password must be 12-128 characters without /, ", @ or spaces.');
      expect(oneLine(result)).toContain("desired_count must be a whole number from 0 to 100.");
      expect(oneLine(result)).toContain(
        "max_count must be a whole number from 1 to 100, and at least min_count.",
      );
    }, 300_000);

    it("plans through `npm run plan` with a .tfvars file", async () => {
      // GIVEN the example .tfvars with a pipeline's values WHEN the convenience script plans the stack
      const { result, dir, saved } = await runs.planScript;
      // THEN it initialises, plans with the file's values and saves the plan for apply
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
      expect(result.stdout).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
      expect(existsSync(join(dir, "tfplan"))).toBe(true);
      expect(saved?.variables?.image_tag.value).toBe("sha-77aa01");
    }, 300_000);

    it("fails to plan without the secret variables rather than writing empty secrets", async () => {
      const result = await runs.withoutSecrets;
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/No value for required variable/);
    }, 300_000);
  });

  describe("as a child module of plain HCL", () => {
    it("plans with the caller's provider, variables and outputs", async () => {
      // GIVEN an HCL root passing its own aliased provider, the variables and reading outputs
      const childPlan = await runs.child;
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
    it("stops at the network's precondition with a message saying what to do", async () => {
      const result = await runs.elsewhere;
      expect(result.status).not.toBe(0);
      expect(oneLine(result)).toContain(
        "The network was synthesized for eu-west-2 (zones eu-west-2a, eu-west-2b); configure the AWS provider for eu-west-2, e.g. AWS_REGION=eu-west-2, or synthesize again for your region.",
      );
    }, 300_000);
  });
});
