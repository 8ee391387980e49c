import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BAD_PRODUCTION_SETTINGS,
  CERTIFICATE,
  EXISTING_NETWORK,
  synthKoaApp as synth,
} from "../support/koaapp";
import { synthProject } from "../support/terraform";

type Json = Record<string, any>;

function resources(tf: Json, type: string): Json[] {
  return Object.values(tf.resource?.[type] ?? {}) as Json[];
}

function only(tf: Json, type: string): Json {
  const all = resources(tf, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as Json;
}

describe("koaapp stack's front door by default", () => {
  const tf = synth();

  it("puts a public, HTTP-only load balancer in the created VPC's public subnets, deletion-protected in prod", () => {
    expect(only(tf, "aws_lb")).toMatchObject({
      name: "koaapp",
      internal: false,
      subnets: [
        expect.stringMatching(/^\$\{aws_subnet\.Network_Public0_\w+\.id\}$/),
        expect.stringMatching(/^\$\{aws_subnet\.Network_Public1_\w+\.id\}$/),
      ],
      idle_timeout: 60,
      drop_invalid_header_fields: true,
      enable_deletion_protection: true,
    });
    expect(
      resources(tf, "aws_lb_listener").map((l) => [l.port, l.protocol, l.default_action[0].type]),
    ).toEqual([[80, "HTTP", "forward"]]);
    expect(only(tf, "aws_lb_target_group")).toMatchObject({
      port: 5000,
      target_type: "ip",
      deregistration_delay: "15",
      health_check: { path: "/health" },
    });
  });

  it("registers the service with it and outputs its DNS name, zone and URL", () => {
    expect(only(tf, "aws_ecs_service")).toMatchObject({
      load_balancer: [{ container_name: "koaapp", container_port: 5000 }],
      health_check_grace_period_seconds: 30,
    });
    expect(tf.output.load_balancer_dns_name.value).toMatch(
      /^\$\{aws_lb\.Service_LoadBalancer_\w+\.dns_name\}$/,
    );
    expect(tf.output.load_balancer_zone_id.value).toMatch(
      /^\$\{aws_lb\.Service_LoadBalancer_\w+\.zone_id\}$/,
    );
  });
});

describe("koaapp stack's autoscaling and deployment safety by default", () => {
  const tf = synth();
  const service = only(tf, "aws_ecs_service");

  it("scales between the min_count and max_count variables and leaves the running count alone after creation", () => {
    expect(only(tf, "aws_appautoscaling_target")).toMatchObject({
      min_capacity: "${var.min_count}",
      max_capacity: "${var.max_count}",
      resource_id: expect.stringMatching(
        /^service\/\$\{aws_ecs_cluster\.\w+\.name\}\/\$\{aws_ecs_service\.\w+\.name\}$/,
      ),
    });
    expect(service.desired_count).toBe("${var.desired_count}");
    expect(service.lifecycle.ignore_changes).toEqual(["desired_count"]);
    expect(tf.variable.desired_count.description).toBe(
      "Tasks the service starts with; autoscaling owns the count after creation, so later changes are ignored",
    );
  });

  it("tracks CPU and requests per task, and steps out on the EMF p99 above scale_out_latency_p99_ms", () => {
    const policies = Object.fromEntries(resources(tf, "aws_appautoscaling_policy").map((p) => [p.name, p]));
    expect(Object.keys(policies).sort()).toEqual(["koaapp-cpu", "koaapp-latency-step", "koaapp-requests"]);
    expect(policies["koaapp-requests"].target_tracking_scaling_policy_configuration).toMatchObject({
      target_value: 1000,
      predefined_metric_specification: {
        predefined_metric_type: "ALBRequestCountPerTarget",
        resource_label: expect.stringMatching(
          /^\$\{aws_lb\.\w+\.arn_suffix\}\/\$\{aws_lb_target_group\.\w+\.arn_suffix\}$/,
        ),
      },
    });
    const alarm = resources(tf, "aws_cloudwatch_metric_alarm").find(
      (a) => a.alarm_name === "koaapp-latency-p99-scale-out",
    );
    expect(alarm?.metric_query[1].metric).toMatchObject({
      namespace: "koaapp",
      stat: "PR(:${var.scale_out_latency_p99_ms})",
    });
    expect(alarm?.threshold).toBe(1);
  });

  it("declares the scaling variables with defaults and validation, max checked against min", () => {
    expect(tf.variable.min_count).toMatchObject({ type: "number", default: 1 });
    expect(tf.variable.max_count).toMatchObject({ type: "number", default: 4 });
    // The rule itself is proven by terraform (test/stacks/terraform.test.ts plans min_count=5, max_count=2).
    expect(tf.variable.max_count.validation).toEqual([
      {
        condition: expect.stringContaining("(var.min_count <= var.max_count)"),
        error_message: "max_count must be a whole number from 1 to 100, and at least min_count.",
      },
    ]);
    expect(tf.variable.scale_out_latency_p99_ms).toMatchObject({ type: "number", default: 500 });
  });

  it("rolls back on the p99 and 5xx alarms as well as the circuit breaker, and fails apply on a rolled-back rollout", () => {
    expect(service).toMatchObject({
      alarms: {
        alarm_names: [
          expect.stringMatching(/LatencyP99_\w+\.alarm_name\}$/),
          expect.stringMatching(/ErrorRate_\w+\.alarm_name\}$/),
        ],
        enable: true,
        rollback: true,
      },
      deployment_circuit_breaker: { enable: true, rollback: true },
      wait_for_steady_state: true,
      launch_type: "FARGATE",
    });
    expect(service.lifecycle.postcondition).toHaveLength(1);
  });
});

describe("koaapp stack configured for production variants", () => {
  it("with a certificate: HTTPS on 443 with a TLS 1.3/1.2 policy, HTTP on 80 redirecting, an https URL", () => {
    const tf = synth({ KOAAPP_CERTIFICATE_ARN: CERTIFICATE });
    expect(
      resources(tf, "aws_lb_listener")
        .map((l) => [l.port, l.protocol, l.ssl_policy ?? "-", l.default_action[0].type])
        .sort(),
    ).toEqual([
      [443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06", "forward"],
      [80, "HTTP", "-", "redirect"],
    ]);
    expect(tf.output.service_url.value).toMatch(/^https:\/\//);
  });

  it("internal, outside prod, with access logs and a longer drain: the VPC is admitted, protection is off", () => {
    const tf = synth({
      KOAAPP_LOAD_BALANCER: "internal",
      KOAAPP_ENVIRONMENT: "staging",
      KOAAPP_ACCESS_LOGS_BUCKET: "acme-lb-logs",
      KOAAPP_DEREGISTRATION_DELAY_SECONDS: "120",
    });
    expect(only(tf, "aws_lb")).toMatchObject({
      internal: true,
      enable_deletion_protection: false,
      access_logs: { bucket: "acme-lb-logs", prefix: "koaapp", enabled: true },
    });
    expect(only(tf, "aws_lb_target_group").deregistration_delay).toBe("120");
    const lbIngress = resources(tf, "aws_vpc_security_group_ingress_rule").filter((r) =>
      /LoadBalancer_SecurityGroup/.test(r.security_group_id),
    );
    expect(lbIngress.map((r) => r.cidr_ipv4)).toEqual([
      expect.stringMatching(/^\$\{aws_vpc\.Network_\w+\.cidr_block\}$/),
    ]);
  });

  it("with Spot: a capacity provider strategy instead of the launch type, and the cluster's providers", () => {
    const tf = synth({ KOAAPP_ON_DEMAND_BASE: "1", KOAAPP_SPOT_WEIGHT: "3" });
    const service = only(tf, "aws_ecs_service");
    expect(service).not.toHaveProperty("launch_type");
    expect(service.capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 1, weight: 1 },
      { capacity_provider: "FARGATE_SPOT", base: 0, weight: 3 },
    ]);
    expect(only(tf, "aws_ecs_cluster_capacity_providers").capacity_providers).toEqual([
      "FARGATE",
      "FARGATE_SPOT",
    ]);
  });

  it("without a load balancer: the tasks admit the VPC on the container port, no request tracking", () => {
    const tf = synth({ KOAAPP_LOAD_BALANCER: "none" });
    expect(resources(tf, "aws_lb")).toEqual([]);
    expect(tf.output.service_url.value).toBe("");
    const taskIngress = resources(tf, "aws_vpc_security_group_ingress_rule").filter((r) =>
      /Service_Ecs_SecurityGroup/.test(r.security_group_id),
    );
    expect(taskIngress.map((r) => [r.from_port, r.cidr_ipv4])).toEqual([
      [5000, expect.stringMatching(/^\$\{aws_vpc\.Network_\w+\.cidr_block\}$/)],
    ]);
    expect(resources(tf, "aws_appautoscaling_policy").map((p) => p.name)).toEqual([
      "koaapp-cpu",
      "koaapp-latency-step",
    ]);
  });

  it("with waitForSteadyState off: apply returns before the rollout ends, without the rollback check", () => {
    const service = only(synth({ KOAAPP_WAIT_FOR_STEADY_STATE: "false" }), "aws_ecs_service");
    expect(service.wait_for_steady_state).toBe(false);
    expect(service.lifecycle).toEqual({ ignore_changes: ["desired_count"] });
  });

  it("in an existing VPC: the load balancer uses the subnets given for it, never the tasks' by default", () => {
    expect(only(synth(EXISTING_NETWORK), "aws_lb").subnets).toEqual(
      EXISTING_NETWORK.KOAAPP_LB_SUBNET_IDS?.split(","),
    );
    const { KOAAPP_LB_SUBNET_IDS: _, ...withoutLbSubnets } = EXISTING_NETWORK;
    expect(() => synth(withoutLbSubnets)).toThrow(
      "loadBalancerSubnetIds (KOAAPP_LB_SUBNET_IDS) is empty while vpcId is set; allowed: two or more subnets in different zones for the load balancer — public ones (a route to an internet gateway) for loadBalancer=public",
    );
  });
});

describe("koaapp synth with bad production settings", () => {
  /** Synthesizes the way `npm run synth` does, with `env`; what it printed on failure and whether a stack was written. */
  function synthFailing(env: Readonly<Record<string, string>>): { message: string; written: boolean } {
    const outdir = mkdtempSync(join(tmpdir(), "emf-fargate-bad-"));
    try {
      let message = "";
      try {
        synthProject(outdir, env);
      } catch (error) {
        message = String((error as { stderr?: Buffer }).stderr ?? error);
      }
      return { message, written: existsSync(join(outdir, "stacks", "koaapp", "cdk.tf.json")) };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it("fails listing every problem of the configuration at once and writes no stack", () => {
    // GIVEN a relative health-check path, min above max, no capacity weight and an idle timeout not below
    // the app's keep-alive
    // WHEN synthesized the way `npm run synth` does
    const { message, written } = synthFailing(BAD_PRODUCTION_SETTINGS);

    // THEN one error names each setting the configuration judges, and nothing was written
    expect(message).toContain("koaapp configuration is invalid:");
    for (const setting of ["idleTimeoutSeconds", "minCount"])
      expect(message).toContain(`- ${setting} (KOAAPP_`);
    expect(written).toBe(false);
  });

  it("refuses a relative health-check path and writes no stack", () => {
    // GIVEN only the relative health-check path WHEN synthesized THEN the path is refused (by the configuration or
    // by the construct the stack gives it to), and nothing was written
    const { message, written } = synthFailing({ KOAAPP_HEALTH_CHECK_PATH: "health" });
    expect(message).toContain('"health" is not an absolute path; allowed: a path starting with /');
    expect(written).toBe(false);
  });
});
