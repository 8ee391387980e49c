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

const mirror = findProviderMirror();
const available = hasTerraform() && mirror !== undefined;

// In CI this suite must run: a missing terraform or provider mirror is a failure there, not a skip.
if (!available && process.env.CI === "true") {
  throw new Error(
    `terraform plan tests cannot run: terraform ${hasTerraform() ? "found" : "missing"}, provider mirror ${mirror ?? "missing"} (set TF_PROVIDER_MIRROR)`,
  );
}
const describeWithTerraform = available ? describe : describe.skip;

const SECRET_VALUES = { db_password: "plan-test-password-7f3a", app_secret: "plan-test-app-secret-91bc" };

describeWithTerraform("terraform with the real AWS provider 5.100.0, offline", () => {
  const outdir = mkdtempSync(join(tmpdir(), "emf-fargate-synth-"));
  let workdir: TerraformWorkdir;
  let plan: TerraformPlan;

  beforeAll(() => {
    synthProject(outdir);
    workdir = new TerraformWorkdir(join(outdir, "stacks", "koaapp"), mirror as string);
    workdir.runOk(["init", "-input=false", "-no-color"]);
  }, 300_000);

  afterAll(() => {
    workdir?.destroy();
    rmSync(outdir, { recursive: true, force: true });
  });

  it("validates the synthesized koaapp stack", () => {
    // GIVEN the stack as `npm run synth` writes it WHEN validated THEN terraform accepts it
    expect(workdir.runOk(["validate", "-no-color"])).toContain("Success! The configuration is valid.");
  });

  it("plans the whole service without credentials or network", () => {
    // WHEN planned with the secret values as variables
    plan = workdir.planJson(SECRET_VALUES);
    const creates = plan.resource_changes
      .filter((r) => r.change.actions.includes("create"))
      .map((r) => r.type);
    // THEN every part of the service is created
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
  }, 300_000);

  it("keeps the secret values out of the plan file and its JSON", () => {
    const planFile = readFileSync(join(workdir.dir, "plan.bin"));
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

  it("fails to plan without the secret variables rather than writing empty secrets", () => {
    const result = workdir.run(["plan", "-input=false", "-no-color", "-lock=false"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/No value for required variable/);
  });
});
