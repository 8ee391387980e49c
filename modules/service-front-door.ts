import type { Construct } from "constructs";
import type { LoadBalancerTarget } from "./fargate-service";
import {
  checkLoadBalancerOptions,
  type LoadBalancerOptions,
  loadBalancerNameFor,
  ServiceLoadBalancer,
} from "./service-load-balancer";
import {
  checkTargetGroupProps,
  type ListenerRuleOptions,
  ServiceTargetGroup,
  type TargetHealthCheck,
} from "./service-target-group";
import type { Problems } from "./validation";

/** Where the service's traffic comes from: exactly one of the three. */
export interface FrontDoorOptions {
  /** Create an Application Load Balancer for the service. @default - not created */
  readonly create?: Omit<LoadBalancerOptions, "healthCheck"> & {
    readonly healthCheck?: Omit<TargetHealthCheck, "path">;
  };
  /** Create a target group and a rule on an existing listener. @default - none */
  readonly existingListener?: ListenerRuleOptions & {
    /** Security group of that listener's load balancer (admitted to the container port). */
    readonly securityGroupId: string;
    /** Health check of the target group (its path is `healthCheckPath`). @default - see TargetHealthCheck */
    readonly healthCheck?: Omit<TargetHealthCheck, "path">;
    /** Seconds a deregistering task keeps its in-flight requests. @default 15 */
    readonly deregistrationDelaySeconds?: number;
  };
  /** Register the tasks with an existing `ip` target group. @default - none */
  readonly existingTargetGroup?: {
    /** ARN of the target group. */
    readonly targetGroupArn: string;
    /** Security group of its load balancer (admitted to the container port). */
    readonly securityGroupId: string;
  };
}

/** Props of {@link createFrontDoor}: the options and what the service decided for them. */
export interface FrontDoorProps {
  /** The front door asked for. */
  readonly options: FrontDoorOptions;
  /** Name of the service: the created load balancer's default name. */
  readonly serviceName: string;
  /** VPC of the service. */
  readonly vpcId: string;
  /** Subnets of the tasks: the created load balancer's default subnets. */
  readonly subnetIds: readonly string[];
  /** Container receiving the traffic. */
  readonly containerName: string;
  /** Its port: the targets' port. */
  readonly containerPort: number;
  /** Path of the target group's health check. */
  readonly healthCheckPath: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Checks the front-door options, naming them `loadBalancer.*`, with the service's name and subnets as defaults. */
export function checkFrontDoor(
  problems: Problems,
  door: FrontDoorOptions,
  service: { readonly serviceName: string; readonly subnetIds: readonly string[] },
): void {
  const chosen = (["create", "existingListener", "existingTargetGroup"] as const).filter((k) => door[k]);
  problems.check(
    chosen.length > 1,
    `loadBalancer sets ${chosen.join(" and ")}; allowed: exactly one of create, existingListener, existingTargetGroup`,
  );
  if (door.create) {
    checkLoadBalancerOptions(problems, "loadBalancer.create.", door.create, {
      name: door.create.name ?? loadBalancerNameFor(service.serviceName),
      subnetIds: door.create.subnetIds ?? service.subnetIds,
    });
  }
  if (door.existingListener) {
    checkTargetGroupProps(problems, "loadBalancer.existingListener.", {
      ...door.existingListener,
      listenerRule: door.existingListener,
    });
  }
}

/**
 * Creates the front door in `scope` (a load balancer `LoadBalancer`, or a target group `Targets` on an existing
 * listener) and returns the target group the service registers with. Its children keep the ids they had when
 * this code lived in the service, so their Terraform addresses stay where they were.
 */
export function createFrontDoor(
  scope: Construct,
  props: FrontDoorProps,
): { loadBalancer?: ServiceLoadBalancer; target?: LoadBalancerTarget } {
  const { options: door, healthCheckPath, containerName, containerPort } = props;
  if (door.create) {
    const loadBalancer = new ServiceLoadBalancer(scope, "LoadBalancer", {
      ...door.create,
      healthCheck: { ...door.create.healthCheck, path: healthCheckPath },
      defaultName: props.serviceName,
      defaultSubnetIds: props.subnetIds,
      vpcId: props.vpcId,
      targetPort: containerPort,
      tags: props.tags,
    });
    const target = {
      targetGroupArn: loadBalancer.targetGroup.resource.arn,
      securityGroupId: loadBalancer.securityGroupId,
      dependsOn: loadBalancer.listeners,
      containerName,
      containerPort,
    };
    return { loadBalancer, target };
  }
  if (door.existingListener) {
    const { securityGroupId, healthCheck, deregistrationDelaySeconds, ...rule } = door.existingListener;
    const targets = new ServiceTargetGroup(scope, "Targets", {
      vpcId: props.vpcId,
      port: containerPort,
      healthCheck: { ...healthCheck, path: healthCheckPath },
      deregistrationDelaySeconds,
      listenerRule: rule,
      tags: props.tags,
    });
    const dependsOn = targets.listenerRule ? [targets.listenerRule] : [];
    return {
      target: {
        targetGroupArn: targets.resource.arn,
        securityGroupId,
        dependsOn,
        containerName,
        containerPort,
      },
    };
  }
  if (door.existingTargetGroup)
    return { target: { ...door.existingTargetGroup, containerName, containerPort } };
  return {};
}
