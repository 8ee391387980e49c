import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CERTIFICATE, EXISTING_PARAMETERS_BY_NAME } from "../support/koaapp";
import { synthProject, type TerraformPlan, TerraformWorkdir, terraformSuite } from "../support/terraform";

const { mirror, describe: describeWithTerraform } = terraformSuite(
  "terraform plan tests of the stack's variants",
);

const SECRET_VALUES = { db_password: "plan-test-password-7f3a", app_secret: "plan-test-app-secret-91bc" };

/** The variants of the "Tests and figures", by their configuration. */
const VARIANTS = {
  "with a certificate": { KOAAPP_CERTIFICATE_ARN: CERTIFICATE },
  "with Spot": { KOAAPP_ON_DEMAND_BASE: "1", KOAAPP_SPOT_WEIGHT: "3" },
  "in an existing VPC": {
    KOAAPP_VPC_ID: "vpc-0123456789abcdef0",
    KOAAPP_SUBNET_IDS: "subnet-0aaaa1111bbbb2222,subnet-0cccc3333dddd4444",
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
  const plans: Record<string, TerraformPlan> = {};
  const validations: Record<string, string> = {};
  let workdir: TerraformWorkdir;

  beforeAll(() => {
    // Every variant has the same providers and backend, so one initialised directory plans them all,
    // each with its own cdk.tf.json swapped in.
    const outdirs = Object.fromEntries(
      Object.entries(VARIANTS).map(([name, env]) => {
        const outdir = join(base, name.replace(/\W+/g, "-"));
        synthProject(outdir, env);
        return [name, join(outdir, "stacks", "koaapp")];
      }),
    );
    const [first] = Object.values(outdirs);
    workdir = new TerraformWorkdir({ koaapp: first as string }, "koaapp", mirror, { region: "eu-west-2" });
    workdir.runOk(["init", "-input=false", "-no-color"]);
    for (const [name, dir] of Object.entries(outdirs)) {
      copyFileSync(join(dir, "cdk.tf.json"), join(workdir.dir, "cdk.tf.json"));
      validations[name] = workdir.runOk(["validate", "-no-color"]);
      // A variant with an existing password declares no db_password variable: pass only what it declares.
      const declared = Object.keys(JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")).variable ?? {});
      const secrets = Object.entries(SECRET_VALUES).filter(([variable]) => declared.includes(variable));
      plans[name] = workdir.planJson(Object.fromEntries(secrets), `${name.replace(/\W+/g, "-")}.bin`);
    }
  }, 300_000);

  afterAll(() => {
    workdir?.destroy();
    rmSync(base, { recursive: true, force: true });
  });

  it.each(Object.keys(VARIANTS))("%s: validates and plans without credentials or network", (name) => {
    expect(validations[name]).toContain("Success! The configuration is valid.");
    const creates = (plans[name] as TerraformPlan).resource_changes
      .filter((r) => r.change.actions.includes("create"))
      .map((r) => r.type);
    for (const type of ["aws_ecs_service", "aws_lb", "aws_lb_target_group", "aws_appautoscaling_target"])
      expect(creates).toContain(type);
  });

  it("with a certificate: HTTPS on 443 with the TLS 1.3/1.2 policy and the certificate, HTTP on 80 redirecting", () => {
    const listeners = after(plans["with a certificate"] as TerraformPlan, "aws_lb_listener").map((l) => ({
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
  });

  it("with Spot: the service takes the strategy and no launch type, the cluster gets both providers", () => {
    const plan = plans["with Spot"] as TerraformPlan;
    const [service] = after(plan, "aws_ecs_service");
    // Not configured, so the provider leaves it to ECS (unknown until apply) instead of FARGATE.
    expect(service?.launch_type).toBeUndefined();
    expect(service?.capacity_provider_strategy).toEqual(
      expect.arrayContaining([
        { capacity_provider: "FARGATE", base: 1, weight: 1 },
        { capacity_provider: "FARGATE_SPOT", base: null, weight: 3 },
      ]),
    );
    expect(after(plan, "aws_ecs_cluster_capacity_providers")).toEqual([
      expect.objectContaining({ capacity_providers: ["FARGATE", "FARGATE_SPOT"], cluster_name: "koaapp" }),
    ]);
  });

  it("in an existing VPC: no VPC is created, the load balancer and the tasks use the given subnets", () => {
    const plan = plans["in an existing VPC"] as TerraformPlan;
    expect(after(plan, "aws_vpc")).toEqual([]);
    expect(after(plan, "aws_lb")).toEqual([
      expect.objectContaining({ subnets: ["subnet-0aaaa1111bbbb2222", "subnet-0cccc3333dddd4444"] }),
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
  });

  it("with an existing database's parameters by name: no database, only APP_SECRET and the agent configuration created, no caller identity", () => {
    const plan = plans["with an existing database's parameters by name"] as TerraformPlan;
    expect(after(plan, "aws_db_instance")).toEqual([]);
    expect(after(plan, "aws_ssm_parameter").map((p) => p.name)).toEqual(
      expect.arrayContaining(["/koaapp/prod/APP_SECRET", "/koaapp/prod/cw-agent-config"]),
    );
    expect(after(plan, "aws_ssm_parameter")).toHaveLength(2);
    expect(JSON.stringify(plan.configuration)).not.toContain("aws_caller_identity");
  });
});
