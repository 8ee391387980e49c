/**
 * The first deploy of the koaapp stack, planned offline with the real provider. Two documented paths create the ECR
 * repository alone, so the pipeline can push the image before any task starts:
 * - `KOAAPP_PHASE=registry` synthesizes a configuration holding the repository alone: right on an empty state, and
 *   a plan to delete the rest of the stack on a deployed one (docs/first-deploy.md: first deploy only);
 * - `terraform apply -target=<the repository's address>` on the full configuration: on an empty state it creates
 *   the repository alone, on a deployed state it changes nothing, so a pipeline may run it before every deploy.
 * States are built from plans (test/support/terraform-state.ts); plans against them run with -refresh=false.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PLAN_SECRET_VALUES } from "../support/koaapp";
import {
  started,
  synthProjectAsync,
  type TerraformPlan,
  TerraformWorkdir,
  terraformSuite,
} from "../support/terraform";
import { applyOffline, awsResourceSchemas, changesOf } from "../support/terraform-state";

const { mirror, describe: describeWithTerraform } = terraformSuite("the first-deploy plans");

/**
 * The repository's Terraform address, as docs/first-deploy.md and the README print it for `-target`. It is made of
 * the construct path (koaapp → Repository), so it only changes when that path does; the tests below read it from
 * the synthesized configuration and fail if it drifts from the documented one.
 */
const REPOSITORY_ADDRESS = "aws_ecr_repository.Repository_22E53BBD";

/** `-target` for the repository. */
const TARGET = [`-target=${REPOSITORY_ADDRESS}`];

interface Change {
  readonly address: string;
  readonly type: string;
  readonly mode?: string;
  readonly change: { readonly actions: readonly string[] };
}

/** The managed resources a plan touches, including no-ops. */
function managed(plan: TerraformPlan): readonly Change[] {
  return (plan.resource_changes as readonly Change[]).filter((r) => r.mode !== "data");
}

/** The actions of each managed resource, by address. */
function actionsOf(plan: TerraformPlan): Record<string, string> {
  return Object.fromEntries(managed(plan).map((r) => [r.address, r.change.actions.join("+")]));
}

describeWithTerraform(
  "the koaapp stack's first deploy, planned against an empty and a deployed state",
  () => {
    const registryOut = mkdtempSync(join(tmpdir(), "emf-fargate-registry-"));
    const serviceOut = mkdtempSync(join(tmpdir(), "emf-fargate-service-"));
    const workdirs: TerraformWorkdir[] = [];
    const pending: Promise<unknown>[] = [];
    let registryConfig: string;
    let serviceConfig: Record<string, Record<string, Record<string, unknown>>>;
    let plans: {
      registryOnEmpty: Promise<TerraformPlan>;
      registrySettled: Promise<string[]>;
      serviceAfterRegistry: Promise<TerraformPlan>;
      targetOnEmpty: Promise<TerraformPlan>;
      deployedSettled: Promise<string[]>;
      targetOnDeployed: Promise<TerraformPlan>;
      registryOnDeployed: Promise<TerraformPlan>;
    };

    beforeAll(async () => {
      // No backend block: the state is terraform.tfstate in the working directory.
      const [registryDir, serviceDir] = await Promise.all([
        synthProjectAsync(registryOut, { KOAAPP_PHASE: "registry", KOAAPP_BACKEND: "none" }),
        synthProjectAsync(serviceOut, { KOAAPP_BACKEND: "none" }),
      ]);
      registryConfig = readFileSync(join(registryDir, "cdk.tf.json"), "utf8");
      serviceConfig = JSON.parse(readFileSync(join(serviceDir, "cdk.tf.json"), "utf8"));
      const full = new TerraformWorkdir({ koaapp: serviceDir }, "koaapp", mirror, { region: "eu-west-2" });
      workdirs.push(full);
      await full.runOkAsync(["init", "-input=false", "-no-color"]);
      const schemas = await awsResourceSchemas(full);

      /** A copy of the initialised full-stack directory, with the registry configuration in place of the full one. */
      const fork = (options: { state?: boolean; registry?: boolean }) => {
        const copy = full.fork({ state: options.state });
        workdirs.push(copy);
        if (options.registry) writeFileSync(join(copy.dir, "cdk.tf.json"), registryConfig);
        return copy;
      };
      const track = <T>(work: Promise<T>): Promise<T> => {
        pending.push(work);
        return started(work);
      };

      // The registry phase on an empty state, applied (a state built from its plan), then the full stack after it.
      const registry = fork({ registry: true });
      const registryOnEmpty = track(registry.planJsonAsync({}, "registry.bin"));
      const registryApplied = track(
        (async () => applyOffline(registry, await registryOnEmpty, schemas, {}))(),
      );
      const serviceAfterRegistry = track(
        (async () => {
          await registryApplied;
          writeFileSync(join(registry.dir, "cdk.tf.json"), JSON.stringify(serviceConfig));
          return registry.planJsonAsync(PLAN_SECRET_VALUES, "service.bin", ["-refresh=false"]);
        })(),
      );

      // The -target path on an empty state: the full configuration, its variables, the repository's address.
      const targetOnEmpty = track(fork({}).planJsonAsync(PLAN_SECRET_VALUES, "target.bin", TARGET));

      // The deployed stack: a state built from the full stack's own plan, settled.
      const deployedApplied = track(
        (async () => {
          const created = await full.planJsonAsync(PLAN_SECRET_VALUES, "create.bin");
          return applyOffline(full, created, schemas, PLAN_SECRET_VALUES);
        })(),
      );
      const onDeployed = (plan: (copy: TerraformWorkdir) => Promise<TerraformPlan>, registryPhase = false) =>
        track(
          (async () => {
            await deployedApplied;
            return plan(fork({ state: true, registry: registryPhase }));
          })(),
        );
      plans = {
        registryOnEmpty,
        registrySettled: registryApplied.then((s) => s.remaining),
        serviceAfterRegistry,
        targetOnEmpty,
        deployedSettled: deployedApplied.then((s) => s.remaining),
        targetOnDeployed: onDeployed((copy) =>
          copy.planJsonAsync(PLAN_SECRET_VALUES, "target.bin", ["-refresh=false", ...TARGET]),
        ),
        registryOnDeployed: onDeployed(
          (copy) => copy.planJsonAsync({}, "registry.bin", ["-refresh=false"]),
          true,
        ),
      };
    }, 300_000);

    afterAll(async () => {
      await Promise.allSettled(pending);
      for (const made of workdirs) made.destroy();
      rmSync(registryOut, { recursive: true, force: true });
      rmSync(serviceOut, { recursive: true, force: true });
    });

    it("GIVEN the synthesized full stack THEN the repository's address is the one the docs give to -target", () => {
      expect(Object.keys(serviceConfig.resource?.aws_ecr_repository ?? {})).toEqual([
        REPOSITORY_ADDRESS.split(".")[1],
      ]);
      expect(JSON.parse(registryConfig).resource).toEqual({
        aws_ecr_repository: { [REPOSITORY_ADDRESS.split(".")[1] as string]: expect.any(Object) },
      });
    });

    describe("KOAAPP_PHASE=registry, the first deploy", () => {
      it("WHEN planned on an empty state THEN it creates the repository and nothing else: no task can start before its image is pushed", async () => {
        expect(changesOf(await plans.registryOnEmpty)).toEqual([`${REPOSITORY_ADDRESS} create`]);
        expect(await plans.registrySettled).toEqual([]);
      });

      it("WHEN the full stack is planned after it THEN it keeps the repository and creates the rest", async () => {
        const actions = actionsOf(await plans.serviceAfterRegistry);
        const { [REPOSITORY_ADDRESS]: repository, ...rest } = actions;

        expect(repository).toBe("no-op");
        expect(Object.values(rest)).toContain("create");
        expect(Object.entries(rest).filter(([, action]) => action !== "create")).toEqual([]);
        expect(Object.keys(rest)).toContain(
          Object.keys(serviceConfig.resource?.aws_ecs_service ?? {}).map((id) => `aws_ecs_service.${id}`)[0],
        );
      });

      // Why the docs say "first deploy only": the registry configuration declares the repository alone, and Terraform
      // plans to destroy whatever the state holds that the configuration no longer declares. Nothing in the
      // configuration can refuse that (docs/first-deploy.md, "Why no guard in the registry phase").
      it("WHEN planned against a deployed stack THEN it plans to delete every resource but the repository", async () => {
        const deployedResources = Object.entries(serviceConfig.resource ?? {}).flatMap(([type, byId]) =>
          Object.keys(byId).map((id) => `${type}.${id}`),
        );
        expect(await plans.deployedSettled).toEqual([]);

        const actions = actionsOf(await plans.registryOnDeployed);

        expect(actions[REPOSITORY_ADDRESS]).toBe("no-op");
        expect(Object.keys(actions).sort()).toEqual([...deployedResources].sort());
        const deleted = Object.entries(actions).filter(([, action]) => action === "delete");
        expect(deleted.length).toBe(deployedResources.length - 1);
        expect(deleted.map(([address]) => address.split(".")[0])).toEqual(
          expect.arrayContaining(["aws_ecs_service", "aws_db_instance", "aws_lb", "aws_vpc", "aws_iam_role"]),
        );
      });
    });

    describe("terraform apply -target=<repository> on the full configuration, safe on any state", () => {
      it("WHEN planned on an empty state THEN it creates the repository and nothing else, and its URL output", async () => {
        const plan = await plans.targetOnEmpty;

        expect(changesOf(plan)).toEqual([`${REPOSITORY_ADDRESS} create`]);
        expect(Object.keys(actionsOf(plan))).toEqual([REPOSITORY_ADDRESS]);
        expect(
          Object.keys((plan as unknown as { output_changes?: Record<string, unknown> }).output_changes ?? {}),
        ).toContain("ecr_repository_url");
      });

      it("WHEN planned against a deployed stack THEN it changes nothing", async () => {
        const plan = await plans.targetOnDeployed;

        expect(changesOf(plan)).toEqual([]);
        expect(actionsOf(plan)).toEqual({ [REPOSITORY_ADDRESS]: "no-op" });
      });
    });
  },
);
