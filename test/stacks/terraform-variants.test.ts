import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CERTIFICATE, EXISTING_PARAMETERS_BY_NAME, PLAN_SECRET_VALUES } from "../support/koaapp";
import {
  started,
  synthProjectAsync,
  type TerraformPlan,
  TerraformWorkdir,
  terraformSuite,
} from "../support/terraform";

const { mirror, describe: describeWithTerraform } = terraformSuite(
  "terraform plan tests of the stack's variants",
);

/** The variants of the "Tests and figures", by their configuration. */
const VARIANTS = {
  "with a certificate": { KOAAPP_CERTIFICATE_ARN: CERTIFICATE },
  // The on-demand base of one task is the default with Spot.
  "with Spot": { KOAAPP_SPOT_WEIGHT: "3" },
  "in an existing VPC": {
    KOAAPP_VPC_ID: "vpc-0123456789abcdef0",
    KOAAPP_SUBNET_IDS: "subnet-0aaaa1111bbbb2222,subnet-0cccc3333dddd4444",
    KOAAPP_OUTBOUND: "nat",
    KOAAPP_LB_SUBNET_IDS: "subnet-0aaaa9999bbbb0000,subnet-0cccc1111dddd2222",
    KOAAPP_DB_SUBNET_IDS: "subnet-0eeee5555ffff6666,subnet-0aaaa7777bbbb8888",
  },
  // Names, not ARNs: before issue 13 this added aws_caller_identity, which cannot be read offline.
  "with an existing database's parameters by name": EXISTING_PARAMETERS_BY_NAME,
} as const;

function after(plan: TerraformPlan, type: string): Record<string, unknown>[] {
  return plan.resource_changes.filter((r) => r.type === type).map((r) => r.change.after ?? {});
}

describeWithTerraform("the koaapp stack's variants with the real AWS provider, offline", () => {
  const base = mkdtempSync(join(tmpdir(), "emf-fargate-variants-"));
  const workdirs: TerraformWorkdir[] = [];
  /** Each variant's `terraform validate` output and plan, started in beforeAll, awaited by its tests. */
  const runs: Record<string, Promise<{ validation: string; plan: TerraformPlan }>> = {};

  beforeAll(() => {
    const stacks = Object.entries(VARIANTS).map(
      ([name, env]) =>
        [name, started(synthProjectAsync(join(base, name.replace(/\W+/g, "-")), env))] as const,
    );
    // Every variant has the same providers and backend, so one directory is initialised and each variant
    // plans in a copy of it (its .terraform and lock file) with its own cdk.tf.json swapped in.
    const initialised = (stacks[0] as (typeof stacks)[number])[1].then(async (dir) => {
      const workdir = new TerraformWorkdir({ koaapp: dir }, "koaapp", mirror, { region: "eu-west-2" });
      workdirs.push(workdir);
      await workdir.runOkAsync(["init", "-input=false", "-no-color"]);
      return workdir;
    });
    for (const [name, stack] of stacks) {
      runs[name] = started(
        Promise.all([stack, initialised]).then(async ([dir, initialisedDir]) => {
          const workdir = initialisedDir.fork();
          workdirs.push(workdir);
          copyFileSync(join(dir, "cdk.tf.json"), join(workdir.dir, "cdk.tf.json"));
          // A variant with an existing password declares no db_password variable: pass only what it declares.
          const declared = Object.keys(
            JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")).variable ?? {},
          );
          const secrets = Object.entries(PLAN_SECRET_VALUES).filter(([variable]) =>
            declared.includes(variable),
          );
          const [validation, plan] = await Promise.all([
            workdir.runOkAsync(["validate", "-no-color"]),
            workdir.planJsonAsync(Object.fromEntries(secrets), `${name.replace(/\W+/g, "-")}.bin`),
          ]);
          return { validation, plan };
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.allSettled(Object.values(runs));
    for (const made of workdirs) made.destroy();
    rmSync(base, { recursive: true, force: true });
  });

  /** The plan of variant `name`. */
  const planOf = async (name: keyof typeof VARIANTS) => (await runs[name])?.plan as TerraformPlan;

  it.each(Object.keys(VARIANTS))(
    "%s: validates and plans without credentials or network",
    async (name) => {
      const { validation, plan } = await (runs[name] as Promise<{ validation: string; plan: TerraformPlan }>);
      expect(validation).toContain("Success! The configuration is valid.");
      const creates = plan.resource_changes
        .filter((r) => r.change.actions.includes("create"))
        .map((r) => r.type);
      for (const type of ["aws_ecs_service", "aws_lb", "aws_lb_target_group", "aws_appautoscaling_target"])
        expect(creates).toContain(type);
    },
    300_000,
  );

  it("with a certificate: HTTPS on 443 with the TLS 1.3/1.2 policy and the certificate, HTTP on 80 redirecting", async () => {
    const listeners = after(await planOf("with a certificate"), "aws_lb_listener").map((l) => ({
      port: l.port,
      protocol: l.protocol,
      ssl_policy: l.ssl_policy,
      certificate_arn: l.certificate_arn,
      action: (l.default_action as { type: string }[])[0]?.type,
    }));
    expect(listeners.sort((a, b) => Number(a.port) - Number(b.port))).toEqual([
      { port: 80, protocol: "HTTP", ssl_policy: undefined, certificate_arn: null, action: "redirect" },
      {
        port: 443,
        protocol: "HTTPS",
        ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
        certificate_arn: CERTIFICATE,
        action: "forward",
      },
    ]);
  }, 300_000);

  it("with Spot: the service takes the strategy and no launch type, the cluster gets both providers", async () => {
    const plan = await planOf("with Spot");
    const [service] = after(plan, "aws_ecs_service");
    // Not configured, so the provider leaves it to ECS (unknown until apply) instead of FARGATE.
    expect(service?.launch_type).toBeUndefined();
    expect(service?.capacity_provider_strategy).toEqual(
      expect.arrayContaining([
        { capacity_provider: "FARGATE", base: 1, weight: 1 },
        { capacity_provider: "FARGATE_SPOT", base: 0, weight: 3 },
      ]),
    );
    expect(after(plan, "aws_ecs_cluster_capacity_providers")).toEqual([
      expect.objectContaining({ capacity_providers: ["FARGATE", "FARGATE_SPOT"], cluster_name: "koaapp" }),
    ]);
  }, 300_000);

  it("in an existing VPC: no VPC is created, the load balancer and the tasks use the subnets given to each", async () => {
    const plan = await planOf("in an existing VPC");
    expect(after(plan, "aws_vpc")).toEqual([]);
    expect(after(plan, "aws_lb")).toEqual([
      expect.objectContaining({ subnets: ["subnet-0aaaa9999bbbb0000", "subnet-0cccc1111dddd2222"] }),
    ]);
    expect(after(plan, "aws_lb_target_group")).toEqual([
      expect.objectContaining({ vpc_id: "vpc-0123456789abcdef0", target_type: "ip", port: 5000 }),
    ]);
    expect(after(plan, "aws_ecs_service")).toEqual([
      expect.objectContaining({
        network_configuration: [
          expect.objectContaining({ subnets: ["subnet-0aaaa1111bbbb2222", "subnet-0cccc3333dddd4444"] }),
        ],
      }),
    ]);
  }, 300_000);

  it("with an existing database's parameters by name: no database, only APP_SECRET and the agent configuration created, no caller identity", async () => {
    const plan = await planOf("with an existing database's parameters by name");
    expect(after(plan, "aws_db_instance")).toEqual([]);
    expect(after(plan, "aws_ssm_parameter").map((p) => p.name)).toEqual(
      expect.arrayContaining(["/koaapp/prod/APP_SECRET", "/koaapp/prod/cw-agent-config"]),
    );
    expect(after(plan, "aws_ssm_parameter")).toHaveLength(2);
    expect(JSON.stringify(plan.configuration)).not.toContain("aws_caller_identity");
  }, 300_000);
});
