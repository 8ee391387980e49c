/**
 * A traffic-shifting EmfFargateService, synthesized whole: the ECS service's 6.x-only blocks, the listener rules ECS
 * rewrites, the infrastructure role scoped to them, and what the strategy changes in autoscaling and warnings.
 *
 * The construct reads the provider version from its DataAwsRegion (modules/provider-bindings.ts). This repository
 * installs only the 5.100 bindings, so `on6x` makes that one class report what @cdktf/provider-aws 21.22.1's
 * lib/data-aws-region/index.js passes (providerVersion "6.25.0"); the 6.x-only blocks are written as overrides, so
 * the rest of the JSON is the same with either bindings. The real 21.x and @cdktn/provider-aws 25.x classes run in
 * test/consumers/constructs.test.ts.
 */
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import type { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import type { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import type { TerraformStack } from "cdktf";
import type { DeploymentStrategy } from "../../modules/deployment-strategy";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { resolveServiceSettings, settingsWarnings } from "../../modules/emf-fargate-service-settings";
import { evaluate, type PolicyStatement, substituted } from "../support/iam-policy";
import {
  blockOf,
  childOf,
  onlyResource,
  PUBLIC_LOAD_BALANCER,
  problemLine,
  ref,
  resourcesById,
  SERVICE_PROPS,
  statementsOf,
  synthStack,
  type TerraformElement,
} from "./support";

const BINDINGS_6X = { providerName: "aws", providerVersion: "6.25.0", providerVersionConstraint: "~> 6.0" };
const HOOK = "arn:aws:lambda:eu-west-1:123456789012:function:smoke-test";
const LISTENER =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/0123456789abcdef/fedcba9876543210";

/** Runs `build` with DataAwsRegion reporting the 6.25.0 bindings' metadata (see the file comment). */
function on6x<T>(build: () => T): T {
  const prototype = DataAwsRegion.prototype as unknown as Record<string, unknown>;
  // The toolkit assigns the metadata in the constructor; an accessor on the prototype takes that assignment's place.
  Object.defineProperty(prototype, "terraformGeneratorMetadata", {
    configurable: true,
    get: () => BINDINGS_6X,
    set: () => undefined,
  });
  try {
    return build();
  } finally {
    delete prototype.terraformGeneratorMetadata;
  }
}

const shifting = (strategy: DeploymentStrategy, props: Partial<EmfFargateServiceProps> = {}) =>
  on6x(() =>
    synthStack(
      (stack) =>
        new EmfFargateService(stack, "Orders", {
          ...SERVICE_PROPS,
          loadBalancer: PUBLIC_LOAD_BALANCER,
          deployment: { strategy },
          ...props,
        }),
    ),
  );

describe("a traffic-shifting service on a created load balancer", () => {
  const synth = shifting({
    type: "canary",
    canaryBakeTimeMinutes: 10,
    testListener: { port: 8443 },
    lifecycleHooks: [{ functionArn: HOOK, stages: ["POST_TEST_TRAFFIC_SHIFT"] }],
  });
  const { stack, built } = synth;
  const at = (path: string) => childOf(built, path);
  const arnOf = (path: string) => ref(stack, at(path), "arn");
  const service = onlyResource(synth.json, "aws_ecs_service");

  it("GIVEN canary WHEN synthesized THEN load_balancer carries advanced_configuration: alternate group, both rules and the role", () => {
    expect(service.load_balancer).toEqual([
      {
        target_group_arn: arnOf("LoadBalancer/Targets/Resource"),
        container_name: "koaapp",
        container_port: 5000,
        advanced_configuration: {
          alternate_target_group_arn: arnOf("LoadBalancer/AlternateTargets/Resource"),
          production_listener_rule: arnOf("LoadBalancer/ProductionRule"),
          test_listener_rule: arnOf("LoadBalancer/TestRule"),
          role_arn: arnOf("DeploymentRoles/LoadBalancerRole"),
        },
      },
    ]);
  });

  it("GIVEN canary WHEN synthesized THEN deployment_configuration and timeouts of 20 minutes plus canary bake and bake", () => {
    expect(service.deployment_configuration).toEqual({
      strategy: "CANARY",
      bake_time_in_minutes: "10",
      canary_configuration: { canary_percent: 10, canary_bake_time_in_minutes: "10" },
      lifecycle_hook: [
        {
          hook_target_arn: HOOK,
          role_arn: arnOf("DeploymentRoles/HooksRole"),
          lifecycle_stages: ["POST_TEST_TRAFFIC_SHIFT"],
        },
      ],
    });
    expect(service.timeouts).toEqual({ create: "40m", update: "40m" });
    expect(service.depends_on).toEqual(
      expect.arrayContaining(
        ["DeploymentRoles/LoadBalancerRolePolicy", "DeploymentRoles/HooksRolePolicy"].map(
          (path) => `${at(path).terraformResourceType}.${stack.getLogicalId(at(path))}`,
        ),
      ),
    );
  });

  it("GIVEN canary WHEN synthesized THEN the service ignores no load_balancer change: Terraform keeps owning it", () => {
    // hashicorp/terraform-provider-aws internal/service/ecs/service.go (stored 6.x copy, code-index id 5237802116):
    // the read sets load_balancer from DescribeServices verbatim (flattenServiceLoadBalancers copies target_group_arn
    // and the whole advanced_configuration, test_listener_rule when present), and the update sends loadBalancers
    // only `if d.HasChange("load_balancer")`. With nothing ignored, a plan after a deployment is empty as long as ECS
    // reports the configured groups (docs/progressive-delivery.md: what is and is not known about that), and an
    // image update never sends loadBalancers, which would start a deployment of its own.
    expect(service.lifecycle).toEqual({ postcondition: expect.any(Array) });
  });

  it("GIVEN canary WHEN synthesized THEN the production and test rules forward to both groups, their action ECS's, and are replaced with the groups", () => {
    const groups = ["LoadBalancer/Targets/Resource", "LoadBalancer/AlternateTargets/Resource"];
    const lifecycle = {
      ignore_changes: ["action"],
      replace_triggered_by: groups.map((path) => `aws_lb_target_group.${stack.getLogicalId(at(path))}.id`),
    };
    const rule = (path: string) => blockOf(synth, at(path) as LbListenerRule);
    const forward = (weights: [number, number]) => [
      {
        type: "forward",
        forward: { target_group: groups.map((path, i) => ({ arn: arnOf(path), weight: weights[i] })) },
      },
    ];
    expect(rule("LoadBalancer/ProductionRule")).toMatchObject({
      listener_arn: arnOf("LoadBalancer/Http"),
      priority: 1,
      condition: [{ path_pattern: { values: ["/*"] } }],
      action: forward([100, 0]),
      lifecycle,
    });
    expect(rule("LoadBalancer/TestRule")).toMatchObject({
      listener_arn: arnOf("LoadBalancer/TestListener"),
      action: forward([0, 100]),
      lifecycle,
    });
    expect(blockOf(synth, at("LoadBalancer/TestListener") as LbListener)).toMatchObject({ port: 8443 });
  });

  it("GIVEN the infrastructure role WHEN its statements are applied THEN they name exactly this service's groups, rules and listeners", () => {
    const policy = blockOf(synth, at("DeploymentRoles/LoadBalancerRolePolicy") as TerraformElement);
    const statements = statementsOf(synth.json, policy.policy) as PolicyStatement[];
    const arns = {
      blue: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1",
      green: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2",
      production: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/koaapp/1/2/3",
      test: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/koaapp/1/4/5",
      http: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/koaapp/1/2",
      testListener: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/koaapp/1/4",
    };
    const applied = substituted(statements, {
      [arnOf("LoadBalancer/Targets/Resource")]: arns.blue,
      [arnOf("LoadBalancer/AlternateTargets/Resource")]: arns.green,
      [arnOf("LoadBalancer/ProductionRule")]: arns.production,
      [arnOf("LoadBalancer/TestRule")]: arns.test,
      [arnOf("LoadBalancer/Http")]: arns.http,
      [arnOf("LoadBalancer/TestListener")]: arns.testListener,
    });
    const decide = (action: string, resource: string) => evaluate(applied, { action, resource });
    expect([
      decide("elasticloadbalancing:RegisterTargets", arns.green),
      decide("elasticloadbalancing:DeregisterTargets", arns.blue),
      decide("elasticloadbalancing:ModifyRule", arns.production),
      decide("elasticloadbalancing:ModifyRule", arns.test),
      decide("elasticloadbalancing:ModifyListener", arns.testListener),
      decide("elasticloadbalancing:DescribeTargetHealth", "*"),
    ]).toEqual(["allowed", "allowed", "allowed", "allowed", "allowed", "allowed"]);
    // Every statement but the four Describe actions (no resource-level permissions) names only these resources.
    expect(
      applied.filter((s) => !s.resources?.every((r) => r === "*" || Object.values(arns).includes(r))),
    ).toEqual([]);
  });
});

/** The service behind a rule on a given listener (/orders/* at priority 120), instead of a created load balancer. */
const ON_EXISTING_LISTENER = {
  loadBalancer: {
    existingListener: {
      listenerArn: LISTENER,
      priority: 120,
      pathPatterns: ["/orders/*"],
      securityGroupId: "sg-0a1b2c3d4e5f67890",
    },
  },
};

describe("a traffic-shifting service on an existing listener", () => {
  const synth = shifting(
    { type: "linear", stepPercent: 25, stepBakeTimeMinutes: 2, bakeTimeMinutes: 5 },
    ON_EXISTING_LISTENER,
  );
  const { stack, built } = synth;
  const arnOf = (path: string) => ref(stack, childOf(built, path), "arn");

  it("GIVEN linear WHEN synthesized THEN the production rule is on that listener with its priority and conditions, and no test rule", () => {
    expect(blockOf(synth, childOf(built, "ProductionRule") as LbListenerRule)).toMatchObject({
      listener_arn: LISTENER,
      priority: 120,
      condition: [{ path_pattern: { values: ["/orders/*"] } }],
      lifecycle: { ignore_changes: ["action"] },
    });
    const service = onlyResource(synth.json, "aws_ecs_service");
    expect(service.load_balancer).toEqual([
      expect.objectContaining({
        advanced_configuration: {
          alternate_target_group_arn: arnOf("AlternateTargets/Resource"),
          production_listener_rule: arnOf("ProductionRule"),
          role_arn: arnOf("DeploymentRoles/LoadBalancerRole"),
        },
      }),
    ]);
    // 4 steps of 2 minutes, then 5 minutes of bake: 20 + 13
    expect(service.deployment_configuration).toEqual({
      strategy: "LINEAR",
      bake_time_in_minutes: "5",
      linear_configuration: { step_percent: 25, step_bake_time_in_minutes: "2" },
    });
    expect(service.timeouts).toEqual({ create: "33m", update: "33m" });
  });
});

describe("a test rule on an existing listener", () => {
  const TEST_LISTENER = LISTENER.replace("fedcba9876543210", "00000000000000aa");
  const synth = shifting(
    {
      type: "blueGreen",
      testRule: { listenerArn: TEST_LISTENER, priority: 7, hostHeaders: ["test.orders.example.com"] },
    },
    ON_EXISTING_LISTENER,
  );
  const { stack, built } = synth;
  const arnOf = (path: string) => ref(stack, childOf(built, path), "arn");

  it("GIVEN testRule WHEN synthesized THEN a rule like the production one, 0/100, on that listener, named by the service and granted to the role", () => {
    const groups = ["Targets/Resource", "AlternateTargets/Resource"];
    expect(blockOf(synth, childOf(built, "TestRule") as LbListenerRule)).toMatchObject({
      listener_arn: TEST_LISTENER,
      priority: 7,
      condition: [{ host_header: { values: ["test.orders.example.com"] } }],
      action: [
        {
          type: "forward",
          forward: { target_group: groups.map((path, i) => ({ arn: arnOf(path), weight: [0, 100][i] })) },
        },
      ],
      lifecycle: {
        ignore_changes: ["action"],
        replace_triggered_by: groups.map(
          (path) => `aws_lb_target_group.${stack.getLogicalId(childOf(built, path))}.id`,
        ),
      },
    });
    const service = onlyResource(synth.json, "aws_ecs_service");
    expect(service.load_balancer).toEqual([
      expect.objectContaining({
        advanced_configuration: expect.objectContaining({ test_listener_rule: arnOf("TestRule") }),
      }),
    ]);
    const policy = blockOf(synth, childOf(built, "DeploymentRoles/LoadBalancerRolePolicy"));
    const statements = statementsOf(synth.json, policy.policy);
    expect(statements.find((st) => st.sid === "ShiftRules")?.resources).toEqual([
      arnOf("ProductionRule"),
      arnOf("TestRule"),
    ]);
    expect(statements.find((st) => st.sid === "ModifyListeners")?.resources).toEqual([
      LISTENER,
      TEST_LISTENER,
    ]);
  });

  it("GIVEN the test rule on the production rule's listener WHEN synthesized THEN the listener is granted once", () => {
    const same = shifting(
      {
        type: "linear",
        testRule: { listenerArn: LISTENER, priority: 7, hostHeaders: ["test.orders.example.com"] },
      },
      {
        loadBalancer: {
          existingListener: {
            listenerArn: LISTENER,
            priority: 120,
            pathPatterns: ["/orders/*"],
            securityGroupId: "sg-0a1b2c3d4e5f67890",
          },
        },
      },
    );
    const policy = blockOf(same, childOf(same.built, "DeploymentRoles/LoadBalancerRolePolicy"));
    expect(
      statementsOf(same.json, policy.policy).find((st) => st.sid === "ModifyListeners")?.resources,
    ).toEqual([LISTENER]);
  });
});

describe("what a strategy changes around it", () => {
  it("GIVEN blueGreen on the installed hashicorp/aws 5.100 bindings WHEN built THEN it is refused, naming 6.4.0", () => {
    expect(() =>
      synthStack(
        (stack: TerraformStack) =>
          new EmfFargateService(stack, "Orders", {
            ...SERVICE_PROPS,
            loadBalancer: PUBLIC_LOAD_BALANCER,
            deployment: { strategy: { type: "blueGreen" } },
          }),
      ),
    ).toThrow(
      problemLine(
        'deployment.strategy.type "blueGreen" needs hashicorp/aws 6.4.0 or newer, and the installed provider bindings are for 5.100.0; allowed: "rolling", or bindings for hashicorp/aws 6.4.0 or newer (@cdktf/provider-aws 21.x, or @emf-fargate/constructs-cdktn with @cdktn/provider-aws)',
      ),
    );
  });

  it("GIVEN autoscaling with only maxCapacity WHEN linear THEN no request tracking (CPU and latency only), where rolling tracks requests", () => {
    const policies = (strategy: DeploymentStrategy) =>
      Object.keys(
        resourcesById(shifting(strategy, { scaling: { maxCapacity: 4 } }).json, "aws_appautoscaling_policy"),
      )
        .map((id) => id.split("_")[2])
        .sort();
    expect(policies({ type: "linear" })).toEqual(["Cpu", "LatencyStep"]);
    expect(policies({ type: "rolling" })).toEqual(["Cpu", "LatencyStep", "Requests"]);
  });

  it("GIVEN requestsPerTargetPerMinute set explicitly WHEN linear THEN it is refused: the metric follows one target group", () => {
    expect(() =>
      shifting({ type: "linear" }, { scaling: { maxCapacity: 4, requestsPerTargetPerMinute: 1000 } }),
    ).toThrow(
      problemLine(
        'scaling.requestsPerTargetPerMinute 1000 cannot track requests per target with deployment.strategy "linear": the metric follows one target group, and traffic moves to the other at every release; allowed: false (CPU and latency still scale the service)',
      ),
    );
  });

  it("GIVEN canary with the default share and default alarms WHEN judged THEN no warning; a 5 % canary is warned about", () => {
    const warnings = (strategy: DeploymentStrategy) =>
      settingsWarnings(
        resolveServiceSettings(
          { ...SERVICE_PROPS, loadBalancer: PUBLIC_LOAD_BALANCER, deployment: { strategy } },
          "test/Orders",
        ),
      );
    expect(warnings({ type: "canary" })).toEqual([]);
    expect(warnings({ type: "canary", canaryPercent: 5 })).toEqual([
      "deployment.strategy.canaryPercent 5 is not above alarms.errorRateThresholdPercent 5: a canary that fails every request moves the service-wide 5xx rate to 5% only, so the error-rate alarm cannot stop it before the full shift",
    ]);
  });
});
