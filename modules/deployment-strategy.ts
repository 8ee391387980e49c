/**
 * Native ECS deployment strategies (hashicorp/aws ≥ 6.4 for blue/green, ≥ 6.21 for linear and canary): the
 * options, their checks, and the JSON of the 6.x-only blocks the ECS service gets. The traffic-shifting parts (two
 * target groups, the listener rules ECS rewrites) are built by the front door; the roles ECS assumes, here.
 */
import { ARN, checkArn, checkCidrs } from "./aws-rules";
import { checkListenerRule, LISTENER_RULE_KEYS, type ListenerRuleOptions } from "./service-target-group";
import { type Checker, isKnown, isObject, keysOf } from "./validation";

/** The stages of a deployment at which ECS can call a lifecycle hook. */
export const LIFECYCLE_STAGES = [
  "RECONCILE_SERVICE",
  "PRE_SCALE_UP",
  "POST_SCALE_UP",
  "TEST_TRAFFIC_SHIFT",
  "POST_TEST_TRAFFIC_SHIFT",
  "PRODUCTION_TRAFFIC_SHIFT",
  "POST_PRODUCTION_TRAFFIC_SHIFT",
] as const;

/** One of {@link LIFECYCLE_STAGES}. */
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/**
 * A Lambda function ECS invokes at the given stages of a deployment. It answers with a `hookStatus` of
 * `SUCCEEDED`, `FAILED` or `IN_PROGRESS`; `FAILED` rolls the deployment back.
 */
export interface LifecycleHook {
  /** ARN of the Lambda function. */
  readonly functionArn: string;
  /** Stages at which ECS invokes it. */
  readonly stages: readonly LifecycleStage[];
}

/** A listener for test traffic on the created load balancer: it reaches the new tasks before production does. */
export interface TestListenerOptions {
  /** Port of the test listener (HTTPS with the load balancer's certificate, else HTTP); not 80 or 443. */
  readonly port: number;
  /** CIDRs admitted to the test port. @default - none: only the load balancer's ingressSecurityGroupIds */
  readonly ingressCidrs?: readonly string[];
}

/** What the traffic-shifting strategies share. */
export interface TrafficShiftOptions {
  /**
   * Minutes after the last traffic shift during which the old tasks keep running and a deployment alarm rolls the
   * release back by shifting traffic back to them (0-1440). Keep it longer than the alarms need to fire.
   * @default 10
   */
  readonly bakeTimeMinutes?: number;
  /** A test listener on the created load balancer. @default - none */
  readonly testListener?: TestListenerOptions;
  /**
   * A rule for test traffic on an existing listener (with loadBalancer.existingListener), built like the production
   * rule: ECS points it at the new tasks before production traffic shifts. Give it conditions production traffic
   * does not match (a test host name, or a path only your tests use), or a listener of its own.
   * @default - none
   */
  readonly testRule?: ListenerRuleOptions;
  /** Lambda functions ECS invokes at deployment stages. @default - none */
  readonly lifecycleHooks?: readonly LifecycleHook[];
}

/** Replace tasks in place, a share at a time (ECS's rolling update). */
export interface RollingStrategy {
  /** The strategy. */
  readonly type: "rolling";
}

/** Start the new tasks beside the old, then shift all production traffic at once. */
export interface BlueGreenStrategy extends TrafficShiftOptions {
  /** The strategy. */
  readonly type: "blueGreen";
}

/** Shift production traffic in equal steps, with a bake time after each. */
export interface LinearStrategy extends TrafficShiftOptions {
  /** The strategy. */
  readonly type: "linear";
  /** Percent of traffic each step shifts (3-100, in steps of 0.1). @default 10 */
  readonly stepPercent?: number;
  /** Minutes between steps (0-1440). @default 6 */
  readonly stepBakeTimeMinutes?: number;
}

/** Shift a small share first, then the rest after a bake time. */
export interface CanaryStrategy extends TrafficShiftOptions {
  /** The strategy. */
  readonly type: "canary";
  /**
   * Percent of traffic the canary gets (0.1-100, in steps of 0.1). Keep it above alarms.errorRateThresholdPercent:
   * a canary that fails every request raises the service-wide 5xx rate to this share only.
   * @default 10 (ECS's own default, 5, equals the default error-rate threshold, so that alarm could not stop it)
   */
  readonly canaryPercent?: number;
  /** Minutes the canary runs before the rest shifts (0-1440). @default 10 */
  readonly canaryBakeTimeMinutes?: number;
}

/** How ECS rolls a release out. */
export type DeploymentStrategy = RollingStrategy | BlueGreenStrategy | LinearStrategy | CanaryStrategy;

/** A traffic-shifting strategy with every default resolved. */
export interface ResolvedTrafficShift {
  readonly type: "blueGreen" | "linear" | "canary";
  readonly bakeTimeMinutes: number;
  readonly stepPercent: number;
  readonly stepBakeTimeMinutes: number;
  readonly canaryPercent: number;
  readonly canaryBakeTimeMinutes: number;
  readonly testListener?: { readonly port: number; readonly ingressCidrs: readonly string[] };
  readonly testRule?: ListenerRuleOptions;
  readonly lifecycleHooks: readonly LifecycleHook[];
}

/** The hashicorp/aws version each strategy needs (CHANGELOG 6.4.0: #43434; 6.21.0: #44842). */
export const STRATEGY_PROVIDER_VERSION = { blueGreen: "6.4.0", linear: "6.21.0", canary: "6.21.0" } as const;

const SHIFT_KEYS = ["type", "bakeTimeMinutes", "testListener", "testRule", "lifecycleHooks"];
const STRATEGY_KEYS: Readonly<Record<DeploymentStrategy["type"], readonly string[]>> = {
  rolling: keysOf<RollingStrategy>({ type: true }),
  blueGreen: keysOf<BlueGreenStrategy>({
    type: true,
    bakeTimeMinutes: true,
    testListener: true,
    testRule: true,
    lifecycleHooks: true,
  }),
  linear: [
    ...SHIFT_KEYS,
    ...keysOf<Omit<LinearStrategy, keyof TrafficShiftOptions | "type">>({
      stepPercent: true,
      stepBakeTimeMinutes: true,
    }),
  ],
  canary: [
    ...SHIFT_KEYS,
    ...keysOf<Omit<CanaryStrategy, keyof TrafficShiftOptions | "type">>({
      canaryPercent: true,
      canaryBakeTimeMinutes: true,
    }),
  ],
};
const TEST_LISTENER_KEYS = keysOf<TestListenerOptions>({ port: true, ingressCidrs: true });
const HOOK_KEYS = keysOf<LifecycleHook>({ functionArn: true, stages: true });

/** The traffic-shifting strategy, resolved; undefined for a rolling update (the default). */
export function resolveStrategy(strategy: DeploymentStrategy | undefined): ResolvedTrafficShift | undefined {
  const given: unknown = strategy;
  if (
    !isObject(given) ||
    typeof given.type !== "string" ||
    !Object.hasOwn(STRATEGY_PROVIDER_VERSION, given.type)
  )
    return undefined;
  const s = given as Partial<Omit<LinearStrategy, "type"> & Omit<CanaryStrategy, "type">> & {
    type: ResolvedTrafficShift["type"];
  };
  return {
    type: s.type,
    bakeTimeMinutes: s.bakeTimeMinutes ?? 10,
    stepPercent: s.stepPercent ?? 10,
    stepBakeTimeMinutes: s.stepBakeTimeMinutes ?? 6,
    canaryPercent: s.canaryPercent ?? 10,
    canaryBakeTimeMinutes: s.canaryBakeTimeMinutes ?? 10,
    testListener: isObject(s.testListener)
      ? { port: s.testListener.port, ingressCidrs: s.testListener.ingressCidrs ?? [] }
      : undefined,
    testRule: isObject(s.testRule) ? s.testRule : undefined,
    lifecycleHooks: s.lifecycleHooks ?? [],
  };
}

/** True for a percentage ECS accepts: within [min, 100] and a multiple of 0.1. */
function isTenthPercent(value: unknown, min: number): boolean {
  return (
    typeof value === "number" &&
    value >= min &&
    value <= 100 &&
    Math.abs(value * 10 - Math.round(value * 10)) < 1e-9
  );
}

/** Compares dotted versions: negative when a < b. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((part) => Number.parseInt(part, 10));
  const pb = b.split(".").map((part) => Number.parseInt(part, 10));
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** What the strategy's checks need to know about the rest of the service. */
export interface StrategyContext {
  /** The hashicorp/aws version the installed bindings were generated for. */
  readonly providerVersion: string;
  /** Which front door the service has. */
  readonly frontDoor: "create" | "existingListener" | "existingTargetGroup" | "none";
}

/** Checks the strategy (`c` is the `deployment.strategy` checker). */
export function checkStrategy(
  c: Checker,
  raw: unknown,
  s: ResolvedTrafficShift | undefined,
  context: StrategyContext,
): void {
  if (raw === undefined) return;
  if (!isObject(raw)) {
    c.fail(raw, "is not an object", '{ type: "rolling" | "blueGreen" | "linear" | "canary", ... }');
    return;
  }
  const type = raw.type as DeploymentStrategy["type"];
  if (!c.at("type").required(type, '"rolling", "blueGreen", "linear" or "canary"')) return;
  c.at("type").oneOf(type, Object.keys(STRATEGY_KEYS), "is not a deployment strategy");
  const keys = STRATEGY_KEYS[type];
  if (!keys || !s) {
    if (keys) c.object(raw, keys, "RollingStrategy");
    return;
  }
  c.object(raw, keys, `${type[0]?.toUpperCase()}${type.slice(1)}Strategy`);
  const needed = STRATEGY_PROVIDER_VERSION[s.type];
  if (compareVersions(context.providerVersion, needed) < 0)
    c.at("type").fail(
      type,
      `needs hashicorp/aws ${needed} or newer, and the installed provider bindings are for ${context.providerVersion}`,
      `"rolling", or bindings for hashicorp/aws ${needed} or newer (@cdktf/provider-aws 21.x, or @emf-fargate/constructs-cdktn with @cdktn/provider-aws)`,
    );
  if (context.frontDoor !== "create" && context.frontDoor !== "existingListener")
    c.at("type").fail(
      type,
      `shifts traffic between two target groups through a listener rule, which needs ${context.frontDoor === "none" ? "a load balancer" : "a rule the construct owns (not an existing target group)"}`,
      '"rolling", or with loadBalancer.create or loadBalancer.existingListener',
    );
  c.at("bakeTimeMinutes").integer(s.bakeTimeMinutes, 0, 1440);
  if (s.type === "linear") {
    if (isKnown(s.stepPercent))
      c.at("stepPercent").check(
        !isTenthPercent(s.stepPercent, 3),
        s.stepPercent,
        "is out of range",
        "3 to 100, in steps of 0.1",
      );
    c.at("stepBakeTimeMinutes").integer(s.stepBakeTimeMinutes, 0, 1440);
  }
  if (s.type === "canary") {
    if (isKnown(s.canaryPercent))
      c.at("canaryPercent").check(
        !isTenthPercent(s.canaryPercent, 0.1),
        s.canaryPercent,
        "is out of range",
        "0.1 to 100, in steps of 0.1",
      );
    c.at("canaryBakeTimeMinutes").integer(s.canaryBakeTimeMinutes, 0, 1440);
  }
  const given = raw as Partial<TrafficShiftOptions>;
  if (given.testListener !== undefined) {
    const t = c.at("testListener");
    const listener = t.object(given.testListener, TEST_LISTENER_KEYS, "TestListenerOptions");
    if (t.at("port").required(listener.port, "a port other than 80 and 443")) {
      t.at("port").integer(listener.port, 1, 65535);
      t.at("port").check(
        listener.port === 80 || listener.port === 443,
        listener.port,
        "is a production listener's port",
        "a port other than 80 and 443",
      );
    }
    checkCidrs(t.at("ingressCidrs"), t.at("ingressCidrs").list(listener.ingressCidrs, "a list of CIDRs"));
    t.check(
      context.frontDoor !== "create",
      given.testListener,
      "needs a created load balancer",
      "testListener with loadBalancer.create",
    );
  }
  if (given.testRule !== undefined) {
    const t = c.at("testRule");
    const rule = t.object(given.testRule, LISTENER_RULE_KEYS, "ListenerRuleOptions");
    if (isObject(given.testRule)) checkListenerRule(t, rule);
    t.check(
      context.frontDoor !== "existingListener",
      given.testRule,
      "needs an existing listener",
      "testRule with loadBalancer.existingListener (with loadBalancer.create: testListener)",
    );
  }
  const hooks = c.at("lifecycleHooks");
  for (const [i, item] of hooks.list(given.lifecycleHooks, "a list of { functionArn, stages }").entries()) {
    const h = hooks.at(i);
    const hook = h.object(item, HOOK_KEYS, "LifecycleHook") as Partial<LifecycleHook>;
    if (h.at("functionArn").required(hook.functionArn, "the ARN of a Lambda function"))
      checkArn(h.at("functionArn"), hook.functionArn, ARN.lambda, "Lambda function ARN");
    const stages = h.at("stages").list(hook.stages, LIFECYCLE_STAGES.join(", "));
    h.at("stages").check(
      hook.stages !== undefined && Array.isArray(hook.stages) && stages.length === 0,
      hook.stages,
      "is empty",
      `one or more of ${LIFECYCLE_STAGES.join(", ")}`,
    );
    h.at("stages").required(hook.stages, `one or more of ${LIFECYCLE_STAGES.join(", ")}`);
    for (const [k, stage] of stages.entries()) {
      h.at("stages").at(k).oneOf(stage, LIFECYCLE_STAGES, "is not a lifecycle stage");
      h.at("stages")
        .at(k)
        .check(stages.indexOf(stage) !== k, stage, "is listed twice", "each stage once");
    }
  }
}

/**
 * Minutes a deployment with `s` may take beyond starting tasks: the traffic steps and the final bake. What the
 * provider's wait for a steady state must allow on top of its own 20 minutes.
 */
export function shiftMinutes(s: ResolvedTrafficShift): number {
  if (s.type === "linear") return Math.ceil(100 / s.stepPercent) * s.stepBakeTimeMinutes + s.bakeTimeMinutes;
  if (s.type === "canary") return s.canaryBakeTimeMinutes + s.bakeTimeMinutes;
  return s.bakeTimeMinutes;
}

/** The ECS `deployment_configuration` block (hashicorp/aws ≥ 6.4; bake times are strings in its schema). */
export function deploymentConfiguration(
  s: ResolvedTrafficShift,
  hooksRoleArn: string | undefined,
): Record<string, unknown> {
  return {
    strategy: { blueGreen: "BLUE_GREEN", linear: "LINEAR", canary: "CANARY" }[s.type],
    bake_time_in_minutes: String(s.bakeTimeMinutes),
    // The provider sends 0 for an unset percent or step bake time instead of the API's default: always set them.
    ...(s.type === "linear"
      ? {
          linear_configuration: {
            step_percent: s.stepPercent,
            step_bake_time_in_minutes: String(s.stepBakeTimeMinutes),
          },
        }
      : {}),
    ...(s.type === "canary"
      ? {
          canary_configuration: {
            canary_percent: s.canaryPercent,
            canary_bake_time_in_minutes: String(s.canaryBakeTimeMinutes),
          },
        }
      : {}),
    ...(s.lifecycleHooks.length > 0
      ? {
          lifecycle_hook: s.lifecycleHooks.map((hook) => ({
            hook_target_arn: hook.functionArn,
            role_arn: hooksRoleArn,
            lifecycle_stages: [...hook.stages],
          })),
        }
      : {}),
  };
}
