import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import type { ContainerDefinition } from "../../modules/container-definition";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import { newStack, SERVICE_PROPS } from "../modules/support";
import { type TerraformPlan, TerraformWorkdir, terraformSuite } from "../support/terraform";
import { applyOffline, changesOf, type ResourceSchemas } from "../support/terraform-state";

const { mirror, describe: describeWithTerraform } = terraformSuite(
  "terraform plans of ECS Exec, Service Connect and pipeline releases",
);

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-0abc-def012345678";
const CLIENTS = "sg-0a1b2c3d4e5f67890";
/** The revisions a pipeline registered and rolled out after the first apply, by service. */
const PIPELINE_REVISIONS: Readonly<Record<string, string>> = {
  orders: "arn:aws:ecs:eu-west-2:123456789012:task-definition/orders:7",
  billing: "arn:aws:ecs:eu-west-2:123456789012:task-definition/billing:7",
};
/** What the tests do not look at: fewer resources, a shorter plan. */
const LEAN = { alarms: false, dashboard: false, queryDefinitions: false } as const;

/**
 * One stack, two services, one `terraform init`: "orders" is released by a pipeline, with ECS Exec audited under a
 * KMS key and serving its port in a Service Connect namespace it creates; "billing" is released by Terraform (the
 * default) and joins that namespace as a client. The guards (Availability Zone rebalancing, version consistency)
 * are on in both by default.
 */
function synthesizedStack(): string {
  const stack = newStack();
  const orders = new EmfFargateService(stack, "Orders", {
    ...SERVICE_PROPS,
    ...LEAN,
    serviceName: "orders",
    task: { cpu: 1024, memoryMiB: 2048 },
    kmsKeyArn: KEY,
    exec: { enabled: true },
    deployment: { releasedBy: "pipeline" },
    serviceConnect: {
      namespace: { create: { name: "shop.internal" } },
      server: { ingressSecurityGroupIds: [CLIENTS] },
    },
  });
  new EmfFargateService(stack, "Billing", {
    ...SERVICE_PROPS,
    ...LEAN,
    serviceName: "billing",
    task: { cpu: 1024, memoryMiB: 2048 },
    serviceConnect: {
      namespace: { arn: orders.serviceConnectNamespaceArn as string },
    },
  });
  return Testing.synth(stack);
}

/** Runs terraform in `dir` with the work directory's environment, without blocking: two can run at once. */
function terraform(
  workdir: TerraformWorkdir,
  args: readonly string[],
  dir = workdir.dir,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "terraform",
      [...args],
      { cwd: dir, env: workdir.env, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

async function planJson(workdir: TerraformWorkdir, file: string, args: readonly string[] = []) {
  const plan = ["plan", "-input=false", "-no-color", "-lock=false", `-out=${file}`, ...args];
  const planned = await terraform(workdir, plan);
  if (planned.status !== 0) throw new Error(`terraform plan failed:\n${planned.stdout}\n${planned.stderr}`);
  return JSON.parse((await terraform(workdir, ["show", "-json", file])).stdout) as TerraformPlan;
}

interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before: Record<string, unknown> | null;
    readonly after: Record<string, unknown> | null;
  };
}

function named(plan: TerraformPlan, type: string, name: string): ResourceChange {
  const found = (plan.resource_changes as unknown as ResourceChange[]).find(
    (r) => r.type === type && (r.change.after ?? r.change.before)?.name === name,
  );
  if (!found) throw new Error(`no ${type} ${name} in the plan`);
  return found;
}

describeWithTerraform(
  "ECS Exec, Service Connect and pipeline releases with the real provider, offline",
  () => {
    const base = mkdtempSync(join(tmpdir(), "emf-fargate-ops-"));
    let workdir: TerraformWorkdir;
    let created: TerraformPlan;
    let deployed: Record<string, unknown>;
    let drifted: TerraformPlan;
    let control: { status: number; stdout: string; stderr: string };

    beforeAll(async () => {
      const source = join(base, "ops");
      mkdirSync(source);
      const config = synthesizedStack();
      writeFileSync(join(source, "cdk.tf.json"), config);
      workdir = new TerraformWorkdir({ ops: source }, "ops", mirror, { overrideDefault: true });
      workdir.runOk(["init", "-input=false", "-no-color"]);
      // The plan of the new stack and the provider's schemas (to build a state from that plan) side by side.
      const [plan, schema] = await Promise.all([
        planJson(workdir, "create.bin"),
        terraform(workdir, ["providers", "schema", "-json"]),
      ]);
      created = plan;
      const schemas = (
        JSON.parse(schema.stdout) as {
          provider_schemas: Record<string, { resource_schemas: ResourceSchemas }>;
        }
      ).provider_schemas["registry.terraform.io/hashicorp/aws"]?.resource_schemas as ResourceSchemas;

      // GIVEN the state an apply of that plan leaves: one round folds in what only a second plan knows (values
      // built from ARNs AWS assigns, such as the container definitions); the drifted plan below shows it settled,
      // AND a pipeline that rolled a new revision out to each service since
      ({ state: deployed } = await applyOffline(workdir, created, schemas, {}, 1));
      const resources = (
        deployed.resources as { type: string; instances: { attributes: Record<string, unknown> }[] }[]
      ).map((r) => {
        const [instance] = r.instances;
        const revision = PIPELINE_REVISIONS[String(instance?.attributes.name)];
        return r.type === "aws_ecs_service" && instance && revision
          ? {
              ...r,
              instances: [{ ...instance, attributes: { ...instance.attributes, task_definition: revision } }],
            }
          : r;
      });
      const state = JSON.stringify({ ...deployed, resources });
      writeFileSync(join(workdir.dir, "terraform.tfstate"), state);

      // AND, in a copy sharing the initialised providers, the pipeline-driven service with the terraform-driven
      // mode's postcondition put back
      const controlDir = join(base, "control");
      mkdirSync(controlDir);
      for (const file of ["zz_test_override.tf.json", ".terraform.lock.hcl"])
        copyFileSync(join(workdir.dir, file), join(controlDir, file));
      writeFileSync(join(controlDir, "terraform.tfstate"), state);
      const tf = JSON.parse(config) as {
        resource: {
          aws_ecs_service: Record<string, { name: string; task_definition: string; lifecycle: object }>;
        };
      };
      const orders = Object.values(tf.resource.aws_ecs_service).find((s) => s.name === "orders");
      if (!orders) throw new Error("no orders service");
      orders.lifecycle = {
        ...orders.lifecycle,
        postcondition: [
          {
            condition: `\${(self.task_definition == ${orders.task_definition.slice(2, -1)})}`,
            error_message: "orders did not reach a steady state on the task definition this apply registered",
          },
        ],
      };
      writeFileSync(join(controlDir, "cdk.tf.json"), JSON.stringify(tf));

      // WHEN both are planned against that state as a refresh would have read it
      [drifted, control] = await Promise.all([
        planJson(workdir, "drifted.bin", ["-refresh=false"]),
        terraform(
          workdir,
          ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false"],
          controlDir,
        ),
      ]);
    }, 180_000);

    afterAll(() => {
      workdir?.destroy();
      rmSync(base, { recursive: true, force: true });
    });

    it("plans the namespace, the session log group, the cluster's session logging and the services' new settings", () => {
      const after = (type: string, name: string) => named(created, type, name).change.after ?? {};
      expect(after("aws_service_discovery_http_namespace", "shop.internal")).toMatchObject({
        name: "shop.internal",
      });
      expect(after("aws_cloudwatch_log_group", "/ecs/orders/exec")).toMatchObject({
        retention_in_days: 365,
        kms_key_id: KEY,
      });
      expect(after("aws_ecs_cluster", "orders")).toMatchObject({
        configuration: [
          {
            execute_command_configuration: [
              {
                kms_key_id: KEY,
                logging: "OVERRIDE",
                log_configuration: [{ cloud_watch_encryption_enabled: true }],
              },
            ],
          },
        ],
      });
      expect(after("aws_ecs_service", "orders")).toMatchObject({
        enable_execute_command: true,
        availability_zone_rebalancing: "ENABLED",
        service_connect_configuration: [
          {
            enabled: true,
            service: [
              {
                port_name: "http",
                discovery_name: "orders",
                client_alias: [{ dns_name: "orders", port: 5000 }],
              },
            ],
          },
        ],
      });
      expect(after("aws_ecs_service", "billing")).toMatchObject({
        enable_execute_command: false,
        availability_zone_rebalancing: "ENABLED",
        service_connect_configuration: [{ enabled: true, service: [] }],
      });
    });

    it("the provider keeps the container definition's new fields in what it plans: versionConsistency, the port name and protocol", () => {
      // The provider normalises container_definitions through the ECS SDK's types, which would drop fields it
      // does not know; the state holds what the settling round planned, that normalised JSON.
      const task = (
        deployed.resources as { type: string; instances: { attributes: Record<string, unknown> }[] }[]
      )
        .flatMap((r) => (r.type === "aws_ecs_task_definition" ? r.instances : []))
        .find((i) => i.attributes.family === "orders");
      const containers = JSON.parse(String(task?.attributes.container_definitions)) as ContainerDefinition[];
      expect(containers.find((c) => c.name === "orders")).toMatchObject({
        versionConsistency: "enabled",
        portMappings: [{ containerPort: 5000, name: "http", appProtocol: "http" }],
      });
    });

    it("pipeline-driven: the revision the pipeline rolled out is kept, nothing at all is planned for the service, and no postcondition fails", () => {
      const orders = named(drifted, "aws_ecs_service", "orders");
      expect(orders.change.actions).toEqual(["no-op"]);
      expect(orders.change.before?.task_definition).toBe(PIPELINE_REVISIONS.orders);
      expect(orders.change.after?.task_definition).toBe(PIPELINE_REVISIONS.orders);
    });

    it("control, terraform-driven: the same drift is planned back to the revision Terraform registered, and nothing else in the stack changes", () => {
      const billing = named(drifted, "aws_ecs_service", "billing");
      expect(billing.change.actions).toEqual(["update"]);
      expect(billing.change.before?.task_definition).toBe(PIPELINE_REVISIONS.billing);
      expect(billing.change.after?.task_definition).toMatch(
        /^arn:aws:ecs:eu-west-2:123456789012:\w+\/billing/,
      );
      expect(billing.change.after?.task_definition).not.toBe(PIPELINE_REVISIONS.billing);
      expect(changesOf(drifted)).toEqual([`${billing.address} update`]);
    });

    it("control: with the terraform-driven postcondition kept, pipeline mode would fail every plan after the pipeline's first release", () => {
      expect(control.status).toBe(1);
      expect(control.stderr).toContain("Resource postcondition failed");
      expect(control.stderr).toContain("orders did not reach a steady state");
    });
  },
);
