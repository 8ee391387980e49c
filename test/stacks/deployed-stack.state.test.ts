import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLAN_SECRET_VALUES } from "../support/koaapp";
import {
  addressOf,
  started,
  synthProjectAsync,
  type TerraformPlan,
  TerraformWorkdir,
  terraformSuite,
} from "../support/terraform";
import { applyOffline, awsResourceSchemas, changesOf } from "../support/terraform-state";

const { mirror, describe: describeWithTerraform } = terraformSuite(
  "terraform plans against an existing state",
);

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
  const spotOutdir = mkdtempSync(join(tmpdir(), "emf-fargate-spot-"));
  const workdirs: TerraformWorkdir[] = [];
  const pending: Promise<unknown>[] = [];
  let remaining: string[];
  /**
   * The plans against the settled state, started in beforeAll so they share the cores, each in its own copy
   * of the settled work directory (configuration, state, initialised .terraform) that its test may change.
   */
  let plans: {
    count: Promise<TerraformPlan>;
    control: Promise<TerraformPlan>;
    image: Promise<TerraformPlan>;
    spot: Promise<TerraformPlan>;
  };

  beforeAll(async () => {
    // No backend block: the state is terraform.tfstate in the working directory.
    const spotStack = started(
      synthProjectAsync(spotOutdir, {
        KOAAPP_BACKEND: "none",
        KOAAPP_ON_DEMAND_BASE: "1",
        KOAAPP_SPOT_WEIGHT: "3",
      }),
    );
    pending.push(spotStack);
    const workdir = new TerraformWorkdir(
      { koaapp: await synthProjectAsync(outdir, { KOAAPP_BACKEND: "none" }) },
      "koaapp",
      mirror,
      { region: "eu-west-2" },
    );
    workdirs.push(workdir);
    await workdir.runOkAsync(["init", "-input=false", "-no-color"]);
    const [created, schemas] = await Promise.all([
      workdir.planJsonAsync(PLAN_SECRET_VALUES, "create.bin"),
      awsResourceSchemas(workdir),
    ]);
    ({ remaining } = await applyOffline(workdir, created, schemas, PLAN_SECRET_VALUES));

    /** Plans `vars` against the settled state in a copy of the work directory, after `change` to that copy. */
    const planAgainstState = (
      vars: Record<string, string>,
      file: string,
      change: (dir: string) => void | Promise<void> = () => undefined,
    ): Promise<TerraformPlan> => {
      const run = (async () => {
        const copy = workdir.fork({ state: true });
        workdirs.push(copy);
        await change(copy.dir);
        return copy.planJsonAsync({ ...PLAN_SECRET_VALUES, ...vars }, file, ["-refresh=false"]);
      })();
      pending.push(run);
      return started(run);
    };
    plans = {
      count: planAgainstState({ desired_count: "3" }, "count.bin"),
      control: planAgainstState({ desired_count: "3" }, "control.bin", (dir) => {
        // The same configuration with ignore_changes removed from the service.
        const config = join(dir, "cdk.tf.json");
        const tf = JSON.parse(readFileSync(config, "utf8"));
        for (const service of Object.values(tf.resource.aws_ecs_service) as {
          lifecycle: Record<string, unknown>;
        }[])
          delete service.lifecycle.ignore_changes;
        writeFileSync(config, JSON.stringify(tf));
      }),
      image: planAgainstState({ image_tag: "sha-4f2a9c1" }, "image.bin"),
      spot: planAgainstState({}, "spot.bin", async (dir) => {
        writeFileSync(join(dir, "cdk.tf.json"), readFileSync(join(await spotStack, "cdk.tf.json")));
      }),
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled(pending);
    for (const made of workdirs) made.destroy();
    rmSync(outdir, { recursive: true, force: true });
    rmSync(spotOutdir, { recursive: true, force: true });
  });

  it("settles: against the built state, a plan with the same variables changes nothing", () => {
    expect(remaining).toEqual([]);
  });

  it("a plan that changes only desired_count changes nothing: autoscaling keeps the running count", async () => {
    // GIVEN the deployed service (created with desired_count 1) WHEN planned with desired_count=3
    const plan = await plans.count;
    // THEN nothing changes, and the service keeps the count it has
    expect(changesOf(plan)).toEqual([]);
    expect(serviceOf(plan).change).toMatchObject({
      actions: ["no-op"],
      before: { desired_count: 1 },
      after: { desired_count: 1 },
    });
  }, 300_000);

  it("control: without the lifecycle rule, the same plan would reset the service to desired_count", async () => {
    // GIVEN the same configuration with ignore_changes removed from the service
    // WHEN planned with desired_count=3 THEN the service would be updated to 3 tasks
    const plan = await plans.control;
    expect(changesOf(plan)).toEqual([`${addressOf(plan, "aws_ecs_service")} update`]);
    expect(serviceOf(plan).change.after).toMatchObject({ desired_count: 3 });
  }, 300_000);

  it("control: a new image_tag still deploys, replacing the task definition and updating the service", async () => {
    const plan = await plans.image;
    expect(changesOf(plan).sort()).toEqual(
      [
        `${addressOf(plan, "aws_ecs_service")} update`,
        `${addressOf(plan, "aws_ecs_task_definition")} delete+create`,
      ].sort(),
    );
    expect(serviceOf(plan).change.after).toMatchObject({ desired_count: 1 });
  }, 300_000);

  it("switching a running service from the launch type to a Spot strategy replaces it, as the README warns", async () => {
    // GIVEN the deployed on-demand stack WHEN a Spot configuration is planned against it
    const plan = await plans.spot;
    // THEN the provider replaces the ECS service and adds the cluster's capacity providers
    expect(changesOf(plan).sort()).toEqual(
      [
        `${addressOf(plan, "aws_ecs_cluster_capacity_providers")} create`,
        `${addressOf(plan, "aws_ecs_service")} delete+create`,
      ].sort(),
    );
  }, 300_000);
});
