import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthProject, type TerraformPlan, TerraformWorkdir, terraformSuite } from "../support/terraform";
import {
  awsResourceSchemas,
  changesOf,
  settleState,
  stateFromPlan,
  withFormerAddresses,
} from "../support/terraform-state";

const { mirror, describe: describeWithTerraform } = terraformSuite(
  "terraform plans against an existing state",
);

const SECRET_VALUES = { db_password: "plan-test-password-7f3a", app_secret: "plan-test-app-secret-91bc" };

interface Change {
  readonly address: string;
  readonly type: string;
  readonly previous_address?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before: Record<string, any> | null;
    readonly after: Record<string, any> | null;
  };
}

function changes(plan: TerraformPlan): readonly Change[] {
  return plan.resource_changes as unknown as readonly Change[];
}

function serviceOf(plan: TerraformPlan): Change {
  const service = changes(plan).find((r) => r.type === "aws_ecs_service");
  if (!service) throw new Error("no aws_ecs_service in the plan");
  return service;
}

/**
 * No AWS account is reachable here, so "the deployed stack" is a state built from the stack's own plan:
 * every value the plan knew as planned, every value only AWS knows (ids, ARNs) of the right form, then
 * settled until a plan with the same variables changes nothing. Plans against it use -refresh=false, so
 * they show exactly how Terraform and the provider treat a changed configuration or variable.
 */
describeWithTerraform("the koaapp stack planned against the state an apply would leave, offline", () => {
  const outdir = mkdtempSync(join(tmpdir(), "emf-fargate-state-"));
  let workdir: TerraformWorkdir;
  let settled: Record<string, unknown>;
  let remaining: string[];

  beforeAll(() => {
    // No backend block: the state is terraform.tfstate in the working directory.
    synthProject(outdir, { KOAAPP_BACKEND: "none" });
    workdir = new TerraformWorkdir({ koaapp: join(outdir, "stacks", "koaapp") }, "koaapp", mirror, {
      region: "eu-west-2",
    });
    workdir.runOk(["init", "-input=false", "-no-color"]);
    const created = workdir.planJson(SECRET_VALUES, "create.bin");
    ({ state: settled, remaining } = settleState(
      workdir,
      stateFromPlan(created as never, awsResourceSchemas(workdir)),
      SECRET_VALUES,
    ));
  }, 300_000);

  afterAll(() => {
    workdir?.destroy();
    rmSync(outdir, { recursive: true, force: true });
  });

  const planAgainstState = (vars: Record<string, string>, file: string) =>
    workdir.planJson({ ...SECRET_VALUES, ...vars }, file, ["-refresh=false"]);

  it("settles: against the built state, a plan with the same variables changes nothing", () => {
    expect(remaining).toEqual([]);
  });

  it("a plan that changes only desired_count changes nothing: autoscaling keeps the running count", () => {
    // GIVEN the deployed service (created with desired_count 1) WHEN planned with desired_count=3
    const plan = planAgainstState({ desired_count: "3" }, "count.bin");
    // THEN nothing changes, and the service keeps the count it has
    expect(changesOf(plan)).toEqual([]);
    expect(serviceOf(plan).change).toMatchObject({
      actions: ["no-op"],
      before: { desired_count: 1 },
      after: { desired_count: 1 },
    });
  }, 120_000);

  it("control: without the lifecycle rule, the same plan would reset the service to desired_count", () => {
    // GIVEN the same configuration with ignore_changes removed from the service
    const config = join(workdir.dir, "cdk.tf.json");
    const original = readFileSync(config, "utf8");
    const tf = JSON.parse(original);
    for (const service of Object.values(tf.resource.aws_ecs_service) as {
      lifecycle: Record<string, unknown>;
    }[])
      delete service.lifecycle.ignore_changes;
    writeFileSync(config, JSON.stringify(tf));
    try {
      // WHEN planned with desired_count=3 THEN the service would be updated to 3 tasks
      const plan = planAgainstState({ desired_count: "3" }, "control.bin");
      expect(changesOf(plan)).toEqual([expect.stringMatching(/^aws_ecs_service\.Service_\w+ update$/)]);
      expect(serviceOf(plan).change.after).toMatchObject({ desired_count: 3 });
    } finally {
      writeFileSync(config, original);
    }
  }, 120_000);

  it("control: a new image_tag still deploys, replacing the task definition and updating the service", () => {
    const plan = planAgainstState({ image_tag: "sha-4f2a9c1" }, "image.bin");
    expect(changesOf(plan).sort()).toEqual([
      expect.stringMatching(/^aws_ecs_service\.Service_\w+ update$/),
      expect.stringMatching(/^aws_ecs_task_definition\.Service_TaskDefinition_\w+ delete\+create$/),
    ]);
    expect(serviceOf(plan).change.after).toMatchObject({ desired_count: 1 });
  }, 120_000);

  it("switching a running service from the launch type to a Spot strategy replaces it, as the README warns", () => {
    // GIVEN the deployed on-demand stack WHEN a Spot configuration is planned against it
    const spot = mkdtempSync(join(tmpdir(), "emf-fargate-spot-"));
    const config = join(workdir.dir, "cdk.tf.json");
    const original = readFileSync(config, "utf8");
    try {
      synthProject(spot, { KOAAPP_BACKEND: "none", KOAAPP_ON_DEMAND_BASE: "1", KOAAPP_SPOT_WEIGHT: "3" });
      writeFileSync(config, readFileSync(join(spot, "stacks", "koaapp", "cdk.tf.json")));
      const plan = planAgainstState({}, "spot.bin");
      // THEN the provider replaces the ECS service and adds the cluster's capacity providers
      expect(changesOf(plan).sort()).toEqual([
        expect.stringMatching(/^aws_ecs_cluster_capacity_providers\.\w+ create$/),
        expect.stringMatching(/^aws_ecs_service\.Service_\w+ delete\+create$/),
      ]);
    } finally {
      writeFileSync(config, original);
      rmSync(spot, { recursive: true, force: true });
    }
  }, 120_000);

  it("a state written before the service was split into constructs moves to the new addresses, replacing nothing", () => {
    // GIVEN the deployed stack with the roles and task definition at the addresses they had before
    const moved = (
      JSON.parse(readFileSync(join(workdir.dir, "cdk.tf.json"), "utf8")) as {
        moved: { from: string; to: string }[];
      }
    ).moved;
    const former = new Map(moved.map((m) => [m.to, m.from]));
    writeFileSync(
      join(workdir.dir, "terraform.tfstate"),
      JSON.stringify(withFormerAddresses(settled, former)),
    );
    try {
      // WHEN planned with the current configuration
      const plan = planAgainstState({}, "moved.bin");
      // THEN each is moved in the state, and nothing is created, replaced or destroyed
      expect(
        changes(plan)
          .filter((r) => r.previous_address !== undefined)
          .map((r) => [r.previous_address, r.address, r.change.actions.join("+")])
          .sort(),
      ).toEqual(moved.map((m) => [m.from, m.to, "no-op"]).sort());
      expect(changesOf(plan)).toEqual([]);
    } finally {
      writeFileSync(join(workdir.dir, "terraform.tfstate"), JSON.stringify(settled));
    }
  }, 120_000);
});
