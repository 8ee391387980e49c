import type { Construct } from "constructs";
import { ARN, checkArn, checkResourceId } from "./aws-rules";
import type { ITerraformDependable } from "./cdktf";
import type { ResolvedTrafficShift } from "./deployment-strategy";
import type { LoadBalancerTarget } from "./fargate-service";
import {
  type CreateLoadBalancerOptions,
  checkLoadBalancer,
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  type ResolvedLoadBalancer,
  resolveLoadBalancer,
  ServiceLoadBalancer,
} from "./service-load-balancer";
import {
  checkDeregistrationDelay,
  checkListenerRule,
  checkTargetHealthCheck,
  type ListenerRuleOptions,
  type ResolvedHealthCheck,
  resolveTargetHealthCheck,
  ServiceTargetGroup,
  type ShiftedRules,
  shiftedRules,
  type TargetHealthCheck,
} from "./service-target-group";
import { type Checker, isObject, keysOf } from "./validation";

/** A target group and a rule on an existing listener, which forwards matching requests to the tasks. */
export interface ExistingListenerOptions extends ListenerRuleOptions {
  /** Security group of that listener's load balancer (admitted to the container port). */
  readonly securityGroupId: string;
  /** Health check of the target group. @default - see TargetHealthCheck */
  readonly healthCheck?: TargetHealthCheck;
  /** Seconds a deregistering task keeps its in-flight requests (0-3600). @default 15 */
  readonly deregistrationDelaySeconds?: number;
}

/** An existing `ip` target group the tasks register with. */
export interface ExistingTargetGroupOptions {
  /** ARN of the target group (target type `ip`, the container's port). */
  readonly targetGroupArn: string;
  /** Security group of its load balancer (admitted to the container port). */
  readonly securityGroupId: string;
}

/** Where the service's traffic comes from: exactly one of the three. */
export interface LoadBalancerOptions {
  /** Create an Application Load Balancer for the service. @default - not created */
  readonly create?: CreateLoadBalancerOptions;
  /** Create a target group and a rule on an existing listener. @default - none */
  readonly existingListener?: ExistingListenerOptions;
  /** Register the tasks with an existing `ip` target group. @default - none */
  readonly existingTargetGroup?: ExistingTargetGroupOptions;
}

/** {@link LoadBalancerOptions} with every default resolved. */
export interface ResolvedFrontDoor {
  readonly create?: ResolvedLoadBalancer;
  readonly existingListener?: ExistingListenerOptions & {
    readonly healthCheck: ResolvedHealthCheck;
    readonly deregistrationDelaySeconds: number;
  };
  readonly existingTargetGroup?: ExistingTargetGroupOptions;
}

const DOOR_KEYS = keysOf<LoadBalancerOptions>({
  create: true,
  existingListener: true,
  existingTargetGroup: true,
});
const LISTENER_KEYS = keysOf<ExistingListenerOptions>({
  listenerArn: true,
  priority: true,
  pathPatterns: true,
  hostHeaders: true,
  securityGroupId: true,
  healthCheck: true,
  deregistrationDelaySeconds: true,
});
const TARGET_GROUP_KEYS = keysOf<ExistingTargetGroupOptions>({ targetGroupArn: true, securityGroupId: true });

/** Resolves the front door's defaults; `serviceName` names a created load balancer. */
export function resolveFrontDoor(door: LoadBalancerOptions, serviceName: string): ResolvedFrontDoor {
  const listener = isObject(door.existingListener) ? door.existingListener : undefined;
  return {
    ...(isObject(door.create) ? { create: resolveLoadBalancer(door.create, serviceName) } : {}),
    ...(listener
      ? {
          existingListener: {
            ...listener,
            healthCheck: resolveTargetHealthCheck(isObject(listener.healthCheck) ? listener.healthCheck : {}),
            deregistrationDelaySeconds:
              listener.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS,
          },
        }
      : {}),
    ...(isObject(door.existingTargetGroup) ? { existingTargetGroup: door.existingTargetGroup } : {}),
  };
}

/** Checks the front door (`c` is the `loadBalancer` prop's checker). */
export function checkFrontDoor(c: Checker, raw: LoadBalancerOptions, s: ResolvedFrontDoor): void {
  c.object(raw, DOOR_KEYS, "LoadBalancerOptions");
  const chosen = (["create", "existingListener", "existingTargetGroup"] as const).filter(
    (k) => raw[k] !== undefined,
  );
  c.check(
    chosen.length !== 1,
    chosen,
    chosen.length === 0 ? "chooses no front door" : `sets ${chosen.join(" and ")}`,
    "exactly one of create, existingListener, existingTargetGroup",
  );
  if (raw.create !== undefined) {
    if (s.create) checkLoadBalancer(c.at("create"), raw.create, s.create);
    else c.at("create").fail(raw.create, "is not an object", "CreateLoadBalancerOptions");
  }
  if (raw.existingListener !== undefined) {
    const l = c.at("existingListener");
    const given = l.object(
      raw.existingListener,
      LISTENER_KEYS,
      "ExistingListenerOptions",
    ) as Partial<ExistingListenerOptions>;
    checkListenerRule(l, given);
    if (
      l
        .at("securityGroupId")
        .required(given.securityGroupId, "the security group of the listener's load balancer")
    )
      checkResourceId(l.at("securityGroupId"), given.securityGroupId, "securityGroup");
    if (s.existingListener) {
      checkTargetHealthCheck(l.at("healthCheck"), given.healthCheck, s.existingListener.healthCheck);
      checkDeregistrationDelay(
        l.at("deregistrationDelaySeconds"),
        s.existingListener.deregistrationDelaySeconds,
      );
    }
  }
  if (raw.existingTargetGroup !== undefined) {
    const t = c.at("existingTargetGroup");
    const given = t.object(
      raw.existingTargetGroup,
      TARGET_GROUP_KEYS,
      "ExistingTargetGroupOptions",
    ) as Partial<ExistingTargetGroupOptions>;
    if (t.at("targetGroupArn").required(given.targetGroupArn, "the ARN of an ip target group"))
      checkArn(t.at("targetGroupArn"), given.targetGroupArn, ARN.targetGroup, "target group ARN");
    if (
      t
        .at("securityGroupId")
        .required(given.securityGroupId, "the security group of the target group's load balancer")
    )
      checkResourceId(t.at("securityGroupId"), given.securityGroupId, "securityGroup");
  }
}

/** What {@link createFrontDoor} needs beyond the resolved options. */
export interface FrontDoorWiring {
  /** VPC of the service. */
  readonly vpcId: string;
  /** Container receiving the traffic. */
  readonly containerName: string;
  /** Its port: the targets' port. */
  readonly containerPort: number;
  /** What a created load balancer must wait for (the network's gateways). */
  readonly dependsOn: readonly ITerraformDependable[];
  /** A traffic-shifting deployment: two target groups and the rules ECS rewrites. @default - rolling */
  readonly trafficShift?: ResolvedTrafficShift;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Creates the front door in `scope` (a load balancer `LoadBalancer`, or a target group `Targets` on an existing
 * listener) and returns the target group the service registers with.
 */
export function createFrontDoor(
  scope: Construct,
  door: ResolvedFrontDoor,
  wiring: FrontDoorWiring,
): { loadBalancer?: ServiceLoadBalancer; target?: LoadBalancerTarget } {
  const { containerName, containerPort } = wiring;
  if (door.create) {
    const loadBalancer = new ServiceLoadBalancer(scope, "LoadBalancer", {
      options: door.create,
      vpcId: wiring.vpcId,
      targetPort: containerPort,
      dependsOn: wiring.dependsOn,
      trafficShift: wiring.trafficShift,
      tags: wiring.tags,
    });
    const shifting = loadBalancer.shifting;
    const target: LoadBalancerTarget = {
      targetGroupArn: loadBalancer.targetGroup.resource.arn,
      securityGroupId: loadBalancer.securityGroupId,
      dependsOn: [...loadBalancer.listeners, ...(shifting ? [shifting.productionRule] : [])],
      containerName,
      containerPort,
      ...(shifting ? { shifting: shiftingTarget(shifting.alternateTargetGroup, shifting) } : {}),
    };
    return { loadBalancer, target };
  }
  if (door.existingListener && wiring.trafficShift) {
    const { securityGroupId, healthCheck, deregistrationDelaySeconds, ...rule } = door.existingListener;
    const group = (id: string) =>
      new ServiceTargetGroup(scope, id, {
        vpcId: wiring.vpcId,
        port: containerPort,
        healthCheck,
        deregistrationDelaySeconds,
        tags: wiring.tags,
      });
    const primary = group("Targets");
    const alternate = group("AlternateTargets");
    const rules = shiftedRules(scope, {
      targets: { primary: primary.resource, alternate: alternate.resource },
      production: rule,
      test: wiring.trafficShift.testRule,
      tags: wiring.tags,
    });
    return {
      target: {
        targetGroupArn: primary.resource.arn,
        securityGroupId,
        dependsOn: [rules.productionRule, ...(rules.testRule ? [rules.testRule] : [])],
        containerName,
        containerPort,
        shifting: shiftingTarget(alternate, rules),
      },
    };
  }
  if (door.existingListener) {
    const { securityGroupId, healthCheck, deregistrationDelaySeconds, ...rule } = door.existingListener;
    const targets = new ServiceTargetGroup(scope, "Targets", {
      vpcId: wiring.vpcId,
      port: containerPort,
      healthCheck,
      deregistrationDelaySeconds,
      listenerRule: rule,
      tags: wiring.tags,
    });
    return {
      target: {
        targetGroupArn: targets.resource.arn,
        securityGroupId,
        dependsOn: targets.listenerRule ? [targets.listenerRule] : [],
        containerName,
        containerPort,
      },
    };
  }
  if (door.existingTargetGroup)
    return { target: { ...door.existingTargetGroup, containerName, containerPort, dependsOn: [] } };
  return {};
}

/** What ECS shifts between, as the ECS service's `load_balancer` names it: the same for a created or a given listener. */
function shiftingTarget(alternate: ServiceTargetGroup, rules: ShiftedRules): LoadBalancerTarget["shifting"] {
  return {
    alternateTargetGroupArn: alternate.resource.arn,
    productionRuleArn: rules.productionRule.arn,
    testRuleArn: rules.testRule?.arn,
    listenerArns: rules.listenerArns,
  };
}
