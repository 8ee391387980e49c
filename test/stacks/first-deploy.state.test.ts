/**
 * The first deploy of the koaapp stack, planned offline: `KOAAPP_PHASE=registry` creates the ECR repository alone
 * (so the pipeline can push the image before any task starts), then the full stack, planned against the state the
 * first apply leaves, creates everything else and keeps the repository as it is. State is built from the registry
 * plan (test/support/terraform-state.ts); plans run with -refresh=false.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthProject, type TerraformPlan, TerraformWorkdir, terraformSuite } from "../support/terraform";
import { awsResourceSchemas, changesOf, settleState, stateFromPlan } from "../support/terraform-state";

const { mirror, describe: describeWithTerraform } = terraformSuite("the first-deploy plans");

const SECRET_VALUES = {
  db_password: "first-deploy-password-5c2e",
  app_secret: "first-deploy-app-secret-8d41",
};

describeWithTerraform("the koaapp stack's first deploy: the registry phase, then the service phase", () => {
  const registryOut = mkdtempSync(join(tmpdir(), "emf-fargate-registry-"));
  const serviceOut = mkdtempSync(join(tmpdir(), "emf-fargate-service-"));
  let workdir: TerraformWorkdir;
  let registryPlan: TerraformPlan;
  let remaining: string[];
  let servicePlan: TerraformPlan;

  beforeAll(async () => {
    // GIVEN the registry phase, synthesized and planned as a pipeline's first deploy would
    synthProject(registryOut, { KOAAPP_PHASE: "registry", KOAAPP_BACKEND: "none" });
    synthProject(serviceOut, { KOAAPP_BACKEND: "none" });
    workdir = new TerraformWorkdir({ koaapp: join(registryOut, "stacks", "koaapp") }, "koaapp", mirror, {
      region: "eu-west-2",
    });
    workdir.runOk(["init", "-input=false", "-no-color"]);
    registryPlan = workdir.planJson({}, "registry.bin");
    // WHEN it is applied (the state an apply leaves, built offline) and the full stack is planned against it
    const settled = await settleState(
      workdir,
      stateFromPlan(registryPlan as never, await awsResourceSchemas(workdir)),
      {},
    );
    remaining = settled.remaining;
    copyFileSync(join(serviceOut, "stacks", "koaapp", "cdk.tf.json"), join(workdir.dir, "cdk.tf.json"));
    writeFileSync(join(workdir.dir, "terraform.tfstate"), JSON.stringify(settled.state));
    servicePlan = workdir.planJson(SECRET_VALUES, "service.bin", ["-refresh=false"]);
  }, 300_000);

  afterAll(() => {
    workdir?.destroy();
    rmSync(registryOut, { recursive: true, force: true });
    rmSync(serviceOut, { recursive: true, force: true });
  });

  it("THEN the first apply creates the repository and nothing else: no task can start before its image is pushed", () => {
    expect(changesOf(registryPlan as never)).toEqual(["aws_ecr_repository.Repository_22E53BBD create"]);
    expect(remaining).toEqual([]);
  });

  it("THEN the second apply keeps the repository and creates the rest of the stack", () => {
    const changes = servicePlan.resource_changes.filter(
      (r) => r.type !== "data" && !r.address.startsWith("data."),
    );
    const repository = changes.find((r) => r.type === "aws_ecr_repository");
    expect(repository?.change.actions).toEqual(["no-op"]);
    const created = changes.filter((r) => r.change.actions.join() === "create").map((r) => r.type);
    expect(created).toContain("aws_ecs_service");
    expect(created.length).toBe(changes.length - 1);
  });
});
