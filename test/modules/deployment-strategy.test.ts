/**
 * The deployment strategies' options, checks and the `deployment_configuration` block they write, as pure functions
 * of the provider version (`StrategyContext.providerVersion`): this repository installs only the hashicorp/aws 5.100
 * bindings, so the 6.x cases pass the version the bindings would report. The whole service on 6.x is synthesized in
 * deployment-strategy-service.test.ts (simulated 6.x metadata) and, with the real @cdktf/provider-aws 21.x and
 * @cdktn/provider-aws 25.x, in test/consumers/constructs.test.ts.
 *
 * The ranges are the provider's. The v6.25.0 tag of hashicorp/terraform-provider-aws could not be read from here (no
 * GitHub access; the code index holds other versions), so these are read from stored copies and checked against the
 * 6.25.0 bindings (@cdktf/provider-aws 21.22.1 lib/ecs-service, whose attributes are generated from that schema):
 * - internal/service/ecs/service.go, the newest stored copy (code-index id 5237802116, a 6.x after 6.25.0 whose
 *   deployment_configuration schema equals the 6.25.0 bindings'): `bake_time_in_minutes`,
 *   `step_bake_time_in_minutes`, `canary_bake_time_in_minutes` are `nullable.TypeNullableInt` (strings in the JSON)
 *   with `ValidateTypeStringNullableIntBetween(0, 1440)`; `step_percent` is `FloatBetween(3.0, 100.0)`,
 *   `canary_percent` `FloatBetween(0.1, 100.0)`; `lifecycle_hook` is a set whose `hook_target_arn`, `role_arn` and
 *   `lifecycle_stages` are Required; the resource's CustomizeDiff covers only capacity providers and triggers, so
 *   no cross-field rule (strategy ↔ blocks, hooks ↔ role) is checked before ECS refuses it at apply time;
 * - website/docs/r/ecs_service.html.markdown (stored copy at 0205d166, a 6.x before 6.21): "`advanced_configuration`
 *   - (Optional) ... Required when using `BLUE_GREEN` deployment strategy", and `lifecycle_stages` "Valid values:
 *   `RECONCILE_SERVICE`, `PRE_SCALE_UP`, `POST_SCALE_UP`, `TEST_TRAFFIC_SHIFT`, `POST_TEST_TRAFFIC_SHIFT`,
 *   `PRODUCTION_TRAFFIC_SHIFT`, `POST_PRODUCTION_TRAFFIC_SHIFT`" — the seven stages the construct accepts.
 * The 0.1 steps are the ECS API's ("multiples of 0.1", @aws-sdk/client-ecs LinearConfiguration, CanaryConfiguration).
 */
import { TerraformVariable } from "cdktf";
import {
  checkStrategy,
  type DeploymentStrategy,
  deploymentConfiguration,
  LIFECYCLE_STAGES,
  resolveStrategy,
  type StrategyContext,
  shiftMinutes,
} from "../../modules/deployment-strategy";
import { Checker } from "../../modules/validation";
import { newStack } from "./support";

const HOOK = "arn:aws:lambda:eu-west-1:123456789012:function:deploy-hook";
const LISTENER =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/0123456789abcdef/fedcba9876543210";
const HOOKS_ROLE = "arn:aws:iam::123456789012:role/koaapp-hooks-1";
const ON_6X: StrategyContext = { providerVersion: "6.25.0", frontDoor: "create" };
const STAGES = LIFECYCLE_STAGES.join(", ");

/** The problems `checkStrategy` records for `deployment.strategy` = `raw`. */
function problems(raw: unknown, context: Partial<StrategyContext> = {}): readonly string[] {
  const c = new Checker().at("deployment").at("strategy");
  checkStrategy(c, raw, resolveStrategy(raw as DeploymentStrategy), { ...ON_6X, ...context });
  return c.problems.all;
}

describe("resolveStrategy", () => {
  it("GIVEN no strategy or rolling WHEN resolved THEN there is no traffic shift", () => {
    expect(resolveStrategy(undefined)).toBeUndefined();
    expect(resolveStrategy({ type: "rolling" })).toBeUndefined();
  });

  it("GIVEN only the type WHEN resolved THEN every default is filled in", () => {
    expect(resolveStrategy({ type: "canary" })).toEqual({
      type: "canary",
      bakeTimeMinutes: 10,
      stepPercent: 10,
      stepBakeTimeMinutes: 6,
      // Above the default alarms.errorRateThresholdPercent (5), so the error-rate alarm can stop a failing canary.
      canaryPercent: 10,
      canaryBakeTimeMinutes: 10,
      testListener: undefined,
      lifecycleHooks: [],
    });
  });

  it("GIVEN a test listener without CIDRs WHEN resolved THEN it admits none", () => {
    expect(resolveStrategy({ type: "blueGreen", testListener: { port: 8443 } })?.testListener).toEqual({
      port: 8443,
      ingressCidrs: [],
    });
  });
});

describe("checkStrategy", () => {
  it.each<[string, DeploymentStrategy, Partial<StrategyContext>]>([
    [
      "rolling on 5.x with no front door",
      { type: "rolling" },
      { providerVersion: "5.100.0", frontDoor: "none" },
    ],
    ["blue/green on exactly 6.4.0", { type: "blueGreen" }, { providerVersion: "6.4.0" }],
    ["linear on exactly 6.21.0", { type: "linear" }, { providerVersion: "6.21.0" }],
    ["canary on an existing listener", { type: "canary" }, { frontDoor: "existingListener" }],
    [
      "every option at its bounds",
      {
        type: "linear",
        bakeTimeMinutes: 1440,
        stepPercent: 3,
        stepBakeTimeMinutes: 0,
        testListener: { port: 8443, ingressCidrs: ["10.0.0.0/16"] },
        lifecycleHooks: [{ functionArn: HOOK, stages: [...LIFECYCLE_STAGES] }],
      },
      {},
    ],
    ["a canary of 0.1 %", { type: "canary", canaryPercent: 0.1, canaryBakeTimeMinutes: 1440 }, {}],
    ["a canary of 100 %", { type: "canary", canaryPercent: 100 }, {}],
  ])("GIVEN %s WHEN checked THEN there is no problem", (_case, strategy, context) => {
    expect(problems(strategy, context)).toEqual([]);
  });

  it("GIVEN bake time and percent as Terraform variables WHEN checked THEN they are not judged: known at plan time only", () => {
    const stack = newStack();
    const minutes = new TerraformVariable(stack, "bake", { type: "number" }).numberValue;
    const percent = new TerraformVariable(stack, "percent", { type: "number" }).numberValue;
    expect(problems({ type: "canary", bakeTimeMinutes: minutes, canaryPercent: percent })).toEqual([]);
  });

  it.each([
    ["blueGreen", "5.100.0", "6.4.0"],
    ["linear", "5.100.0", "6.21.0"],
    ["canary", "6.20.1", "6.21.0"],
  ] as const)(
    "GIVEN %s on bindings for hashicorp/aws %s WHEN checked THEN it is refused, naming %s",
    (type, version, needed) => {
      expect(problems({ type }, { providerVersion: version })).toEqual([
        `deployment.strategy.type "${type}" needs hashicorp/aws ${needed} or newer, and the installed provider bindings are for ${version}; allowed: "rolling", or bindings for hashicorp/aws ${needed} or newer (@cdktf/provider-aws 21.x, or @emf-fargate/constructs-cdktn with @cdktn/provider-aws)`,
      ]);
    },
  );

  it.each([
    ["none", "a load balancer"],
    ["existingTargetGroup", "a rule the construct owns (not an existing target group)"],
  ] as const)(
    "GIVEN a traffic shift with front door %s WHEN checked THEN it is refused: it needs %s",
    (frontDoor, needs) => {
      expect(problems({ type: "canary" }, { frontDoor })).toEqual([
        `deployment.strategy.type "canary" shifts traffic between two target groups through a listener rule, which needs ${needs}; allowed: "rolling", or with loadBalancer.create or loadBalancer.existingListener`,
      ]);
    },
  );

  it("GIVEN bake times out of ECS's 0-1440 minutes or not whole WHEN checked THEN each is refused", () => {
    expect(
      problems({ type: "linear", bakeTimeMinutes: 1441, stepBakeTimeMinutes: -1 }).concat(
        problems({ type: "canary", bakeTimeMinutes: 2.5, canaryBakeTimeMinutes: 1.5 }),
      ),
    ).toEqual([
      "deployment.strategy.bakeTimeMinutes 1441 is out of range; allowed: an integer from 0 to 1440",
      "deployment.strategy.stepBakeTimeMinutes -1 is out of range; allowed: an integer from 0 to 1440",
      "deployment.strategy.bakeTimeMinutes 2.5 is out of range; allowed: an integer from 0 to 1440",
      "deployment.strategy.canaryBakeTimeMinutes 1.5 is out of range; allowed: an integer from 0 to 1440",
    ]);
  });

  it.each([2.9, 100.1, 10.05])(
    "GIVEN stepPercent %p WHEN checked THEN it is refused: 3-100 in steps of 0.1",
    (stepPercent) => {
      expect(problems({ type: "linear", stepPercent })).toEqual([
        `deployment.strategy.stepPercent ${stepPercent} is out of range; allowed: 3 to 100, in steps of 0.1`,
      ]);
    },
  );

  it.each([0, 100.1, 5.55])(
    "GIVEN canaryPercent %p WHEN checked THEN it is refused: 0.1-100 in steps of 0.1",
    (canaryPercent) => {
      expect(problems({ type: "canary", canaryPercent })).toEqual([
        `deployment.strategy.canaryPercent ${canaryPercent} is out of range; allowed: 0.1 to 100, in steps of 0.1`,
      ]);
    },
  );

  it("GIVEN another strategy's option WHEN checked THEN it is refused, listing the strategy's own", () => {
    expect(problems({ type: "blueGreen", stepPercent: 10 } as DeploymentStrategy)).toEqual([
      "deployment.strategy.stepPercent 10 is not a prop of BlueGreenStrategy; allowed: type, bakeTimeMinutes, testListener, testRule, lifecycleHooks",
    ]);
    expect(problems({ type: "rolling", bakeTimeMinutes: 10 } as DeploymentStrategy)).toEqual([
      "deployment.strategy.bakeTimeMinutes 10 is not a prop of RollingStrategy; allowed: type",
    ]);
  });

  it("GIVEN no type, an unknown type or a string WHEN checked THEN each is refused with the four types", () => {
    expect([...problems({}), ...problems({ type: "blugreen" }), ...problems("canary")]).toEqual([
      'deployment.strategy.type undefined is required; allowed: "rolling", "blueGreen", "linear" or "canary"',
      'deployment.strategy.type "blugreen" is not a deployment strategy; allowed: "rolling", "blueGreen", "linear", "canary"',
      'deployment.strategy "canary" is not an object; allowed: { type: "rolling" | "blueGreen" | "linear" | "canary", ... }',
    ]);
  });

  it("GIVEN a test listener on a production port, out of range, without a port or misspelt WHEN checked THEN each is refused", () => {
    const listener = (testListener: unknown) =>
      problems({ type: "blueGreen", testListener } as DeploymentStrategy);
    expect([
      ...listener({ port: 443 }),
      ...listener({ port: 70000, ingressCidrs: ["10.0.0.0/33"] }),
      ...listener({}),
      ...listener({ port: 8443, prt: 1 }),
    ]).toEqual([
      "deployment.strategy.testListener.port 443 is a production listener's port; allowed: a port other than 80 and 443",
      "deployment.strategy.testListener.port 70000 is out of range; allowed: an integer from 1 to 65535",
      'deployment.strategy.testListener.ingressCidrs[0] "10.0.0.0/33" is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"',
      "deployment.strategy.testListener.port undefined is required; allowed: a port other than 80 and 443",
      "deployment.strategy.testListener.prt 1 is not a prop of TestListenerOptions (did you mean port?); allowed: port, ingressCidrs",
    ]);
  });

  it("GIVEN a test listener with an existing listener WHEN checked THEN it is refused: it needs a created load balancer", () => {
    expect(
      problems({ type: "blueGreen", testListener: { port: 8443 } }, { frontDoor: "existingListener" }),
    ).toEqual([
      'deployment.strategy.testListener {"port":8443} needs a created load balancer; allowed: testListener with loadBalancer.create',
    ]);
  });

  it("GIVEN a test rule on an existing listener WHEN checked THEN there is no problem", () => {
    const testRule = { listenerArn: LISTENER, priority: 121, hostHeaders: ["test.orders.example.com"] };
    expect(problems({ type: "blueGreen", testRule }, { frontDoor: "existingListener" })).toEqual([]);
  });

  it("GIVEN a test rule with a bad ARN and priority, misspelt, without conditions or with a created load balancer WHEN checked THEN each is refused", () => {
    const rule = (testRule: unknown, frontDoor: StrategyContext["frontDoor"] = "existingListener") =>
      problems({ type: "canary", testRule } as DeploymentStrategy, { frontDoor });
    expect([
      ...rule({ listenerArn: `${LISTENER.split("/app/")[0]}/x`, priority: 0, pathPatterns: ["/test/*"] }),
      ...rule({ listenerArn: LISTENER, piority: 3, pathPatterns: "/test/*" }),
      ...rule("test.orders.example.com"),
      ...rule({ listenerArn: LISTENER, priority: 121, hostHeaders: ["t.example.com"] }, "create"),
    ]).toEqual([
      'deployment.strategy.testRule.listenerArn "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/x" is not a listener ARN; allowed: arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb>/<id>/<id>',
      "deployment.strategy.testRule.priority 0 is out of range; allowed: an integer from 1 to 50000",
      "deployment.strategy.testRule.piority 3 is not a prop of ListenerRuleOptions (did you mean priority?); allowed: listenerArn, priority, pathPatterns, hostHeaders",
      "deployment.strategy.testRule.priority undefined is required; allowed: a rule priority from 1 to 50000, unique on the listener",
      'deployment.strategy.testRule.pathPatterns "/test/*" is not a list; allowed: path patterns, e.g. ["/orders/*"]',
      'deployment.strategy.testRule {"pathPatterns":"/test/*"} has no condition; allowed: pathPatterns, hostHeaders or both',
      'deployment.strategy.testRule "test.orders.example.com" is not an object; allowed: ListenerRuleOptions',
      `deployment.strategy.testRule {"listenerArn":"${LISTENER}","priority":121,"hostHeaders":["t.example.com"]} needs an existing listener; allowed: testRule with loadBalancer.existingListener (with loadBalancer.create: testListener)`,
    ]);
  });

  it("GIVEN hooks with a bad ARN, no stages, no ARN or not a list WHEN checked THEN each is refused", () => {
    const hooks = (lifecycleHooks: unknown) =>
      problems({ type: "blueGreen", lifecycleHooks } as DeploymentStrategy);
    expect([
      ...hooks([{ functionArn: "arn:aws:lambda:eu-west-1:hook", stages: [] }]),
      ...hooks([{ stages: ["POST_SCALE_UP"] }, { functionArn: HOOK }]),
      ...hooks("POST_SCALE_UP"),
    ]).toEqual([
      'deployment.strategy.lifecycleHooks[0].functionArn "arn:aws:lambda:eu-west-1:hook" is not a Lambda function ARN; allowed: arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]',
      `deployment.strategy.lifecycleHooks[0].stages [] is empty; allowed: one or more of ${STAGES}`,
      "deployment.strategy.lifecycleHooks[0].functionArn undefined is required; allowed: the ARN of a Lambda function",
      `deployment.strategy.lifecycleHooks[1].stages undefined is required; allowed: one or more of ${STAGES}`,
      'deployment.strategy.lifecycleHooks "POST_SCALE_UP" is not a list; allowed: a list of { functionArn, stages }',
    ]);
  });

  it("GIVEN a hook with a stage ECS does not have for 6.25 and a stage twice WHEN checked THEN both are refused", () => {
    // PRE_PRODUCTION_TRAFFIC_SHIFT came with linear/canary in the ECS API; whether the 6.25.0 provider's enum has it
    // is not known here, so the construct offers the seven stages both the API and every 6.x provider accept.
    expect(
      problems({
        type: "blueGreen",
        lifecycleHooks: [
          { functionArn: HOOK, stages: ["PRE_PRODUCTION_TRAFFIC_SHIFT", "POST_SCALE_UP", "POST_SCALE_UP"] },
        ],
      } as unknown as DeploymentStrategy),
    ).toEqual([
      `deployment.strategy.lifecycleHooks[0].stages[0] "PRE_PRODUCTION_TRAFFIC_SHIFT" is not a lifecycle stage; allowed: ${LIFECYCLE_STAGES.map((s) => `"${s}"`).join(", ")}`,
      'deployment.strategy.lifecycleHooks[0].stages[2] "POST_SCALE_UP" is listed twice; allowed: each stage once',
    ]);
  });
});

describe("deploymentConfiguration", () => {
  const block = (strategy: DeploymentStrategy, hooksRoleArn?: string) =>
    deploymentConfiguration(
      resolveStrategy(strategy) as NonNullable<ReturnType<typeof resolveStrategy>>,
      hooksRoleArn,
    );

  it("GIVEN blue/green with a hook WHEN written THEN the strategy, the bake time as a string and the hook with its role and stages", () => {
    expect(
      block(
        {
          type: "blueGreen",
          bakeTimeMinutes: 5,
          lifecycleHooks: [{ functionArn: HOOK, stages: ["POST_TEST_TRAFFIC_SHIFT"] }],
        },
        HOOKS_ROLE,
      ),
    ).toEqual({
      strategy: "BLUE_GREEN",
      bake_time_in_minutes: "5",
      lifecycle_hook: [
        { hook_target_arn: HOOK, role_arn: HOOKS_ROLE, lifecycle_stages: ["POST_TEST_TRAFFIC_SHIFT"] },
      ],
    });
  });

  it("GIVEN linear with only its type WHEN written THEN linear_configuration carries both defaults, never left to the provider's 0", () => {
    // The provider's expandLinearConfiguration sends 0 for an unset step_percent / step bake time (service.go), not
    // the API's defaults: every value is written.
    expect(block({ type: "linear" })).toEqual({
      strategy: "LINEAR",
      bake_time_in_minutes: "10",
      linear_configuration: { step_percent: 10, step_bake_time_in_minutes: "6" },
    });
  });

  it("GIVEN canary with only its type WHEN written THEN canary_configuration carries 10 % and 10 minutes, and no linear block", () => {
    expect(block({ type: "canary" })).toEqual({
      strategy: "CANARY",
      bake_time_in_minutes: "10",
      canary_configuration: { canary_percent: 10, canary_bake_time_in_minutes: "10" },
    });
  });
});

describe("shiftMinutes", () => {
  it.each<[DeploymentStrategy, number]>([
    [{ type: "blueGreen", bakeTimeMinutes: 7 }, 7],
    // ceil(100 / 30) = 4 steps of 5 minutes, then the bake time
    [{ type: "linear", stepPercent: 30, stepBakeTimeMinutes: 5, bakeTimeMinutes: 10 }, 30],
    [{ type: "canary", canaryBakeTimeMinutes: 15, bakeTimeMinutes: 10 }, 25],
  ])("GIVEN %j WHEN the deployment's extra minutes are counted THEN %p", (strategy, minutes) => {
    expect(shiftMinutes(resolveStrategy(strategy) as NonNullable<ReturnType<typeof resolveStrategy>>)).toBe(
      minutes,
    );
  });
});
