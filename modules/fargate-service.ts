import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { type ITerraformDependable, Op, type TerraformResourceLifecycle, TerraformSelf } from "./cdktf";
import { checkIntRange, invalidProps, isKnown, Problems, show } from "./validation";

/** One capacity provider's share of the tasks. */
export interface CapacityProviderShare {
  /** On-demand or Spot Fargate. */
  readonly capacityProvider: "FARGATE" | "FARGATE_SPOT";
  /** Tasks placed here before the weights apply (one provider only). @default 0 */
  readonly base?: number;
  /** Relative share of the tasks beyond the base (0-1000). */
  readonly weight: number;
}

/** How a rollout proceeds and when it counts as failed. */
export interface DeploymentOptions {
  /** `terraform apply` waits for the rollout and fails when ECS rolled it back. @default true */
  readonly waitForSteadyState?: boolean;
  /** Running tasks kept during a rollout, in percent of the desired count (0-100). @default 100 */
  readonly minimumHealthyPercent?: number;
  /** Tasks allowed during a rollout, in percent of the desired count (100-200). @default 200 */
  readonly maximumPercent?: number;
  /** Roll back when a deployment alarm fires during or right after a rollout. @default true */
  readonly alarmRollback?: boolean;
  /** Seconds ECS ignores failed load-balancer health checks of a new task (0-3600). @default 30 */
  readonly healthCheckGracePeriodSeconds?: number;
}

/** The target group a service registers its tasks with. */
export interface LoadBalancerTarget {
  /** ARN of the target group (`ip` targets). */
  readonly targetGroupArn: string;
  /** Container receiving the traffic. */
  readonly containerName: string;
  /** Its port. */
  readonly containerPort: number;
  /** Security group of the load balancer: admitted to the container port. */
  readonly securityGroupId: string;
  /** What must exist before the service (listeners forwarding to the target group). @default - nothing */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Props of {@link FargateService}. */
export interface FargateServiceProps {
  /** Name of the ECS service. */
  readonly serviceName: string;
  /** ARN of the task definition to run. */
  readonly taskDefinitionArn: string;
  /** VPC of the tasks. */
  readonly vpcId: string;
  /** Subnets of the tasks. */
  readonly subnetIds: readonly string[];
  /** Port the tasks listen on. */
  readonly containerPort: number;
  /** Existing cluster. @default - a cluster named after the service is created */
  readonly existingCluster?: { readonly arn: string; readonly name: string };
  /** Container Insights on a created cluster. @default false */
  readonly containerInsights?: boolean;
  /** Tasks at creation. @default 1 */
  readonly desiredCount?: number;
  /** Leave the running count to autoscaling after creation: later applies do not reset it. @default false */
  readonly ignoreDesiredCountChanges?: boolean;
  /** Public IPs for the tasks (public subnets without NAT). @default false */
  readonly assignPublicIp?: boolean;
  /** CIDRs admitted to the container port. @default - none */
  readonly ingressCidrs?: readonly string[];
  /** Security groups admitted to the container port. @default - none */
  readonly ingressSecurityGroupIds?: readonly string[];
  /** More security groups for the tasks (at most 4). @default - none */
  readonly extraSecurityGroupIds?: readonly string[];
  /** The load balancer's target group. @default - no load balancer */
  readonly loadBalancer?: LoadBalancerTarget;
  /** Alarms that roll a deployment back. @default - none */
  readonly deploymentAlarmNames?: readonly string[];
  /** Rollout settings. @default - see DeploymentOptions */
  readonly deployment?: DeploymentOptions;
  /** Roll back deployments whose tasks fail to start (circuit breaker). @default true */
  readonly circuitBreakerRollback?: boolean;
  /** Capacity providers instead of the FARGATE launch type. @default - launch type FARGATE (on-demand only) */
  readonly capacityProviderStrategy?: readonly CapacityProviderShare[];
  /** ECS Exec. @default false */
  readonly enableExecuteCommand?: boolean;
  /** Fargate platform version. @default "1.4.0" */
  readonly platformVersion?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Checks a capacity provider strategy: known providers once each, weights that place tasks, one base. */
export function checkCapacityProviderStrategy(
  problems: Problems,
  prop: string,
  strategy: readonly CapacityProviderShare[],
): void {
  if (strategy.length === 0) return;
  const providers = strategy.map((s) => s.capacityProvider);
  for (const provider of providers) {
    problems.check(
      !["FARGATE", "FARGATE_SPOT"].includes(provider),
      `${prop} capacityProvider ${show(provider)} is not a Fargate capacity provider; allowed: FARGATE, FARGATE_SPOT`,
    );
  }
  problems.check(
    new Set(providers).size !== providers.length,
    `${prop} names a provider twice (${providers.join(", ")}); allowed: each provider once`,
  );
  strategy.forEach((s, i) => {
    checkIntRange(problems, `${prop}[${i}].weight`, s.weight, 0, 1000);
    checkIntRange(problems, `${prop}[${i}].base`, s.base, 0, 100000);
  });
  const weights = strategy.map((s) => s.weight);
  problems.check(
    weights.every((w) => isKnown(w) && w === 0),
    `${prop} weights ${show(weights)} are all 0, so no task is ever placed; allowed: at least one weight above 0`,
  );
  problems.check(
    strategy.filter((s) => (s.base ?? 0) !== 0).length > 1,
    `${prop} sets base on more than one provider; allowed: a base on one provider only`,
  );
}

/** Checks extra security groups for the tasks: a task's network interface takes 5, one is the service's own. */
export function checkExtraSecurityGroups(
  problems: Problems,
  prop: string,
  groupIds: readonly string[],
): void {
  problems.check(
    groupIds.length > 4,
    `${prop} has ${groupIds.length} groups; allowed: at most 4 (a task's network interface takes 5, one is the service's own)`,
  );
}

/** Checks rollout settings, naming them under `prefix` (e.g. "deployment."). */
export function checkDeploymentOptions(problems: Problems, prefix: string, options: DeploymentOptions): void {
  checkIntRange(problems, `${prefix}minimumHealthyPercent`, options.minimumHealthyPercent, 0, 100);
  checkIntRange(problems, `${prefix}maximumPercent`, options.maximumPercent, 100, 200);
  checkIntRange(
    problems,
    `${prefix}healthCheckGracePeriodSeconds`,
    options.healthCheckGracePeriodSeconds,
    0,
    3600,
  );
}

/**
 * An ECS service on Fargate with its security group and (unless one is given) its cluster: circuit
 * breaker and deployment alarms roll bad releases back, `terraform apply` waits for the rollout and fails
 * when it was rolled back, and the task count can be left to autoscaling.
 */
export class FargateService extends Construct {
  /** The ECS service. */
  readonly resource: EcsService;
  /** Name of the cluster. */
  readonly clusterName: string;
  /** ARN of the cluster. */
  readonly clusterArn: string;
  /** Security group of the tasks. */
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: FargateServiceProps) {
    super(scope, id);
    const desiredCount = props.desiredCount ?? 1;
    const ingressCidrs = props.ingressCidrs ?? [];
    const ingressSecurityGroupIds = props.ingressSecurityGroupIds ?? [];
    const extraSecurityGroupIds = props.extraSecurityGroupIds ?? [];
    const strategy = props.capacityProviderStrategy ?? [];
    const waitForSteadyState = props.deployment?.waitForSteadyState ?? true;
    const minimumHealthyPercent = props.deployment?.minimumHealthyPercent ?? 100;
    const maximumPercent = props.deployment?.maximumPercent ?? 200;
    const alarmRollback = props.deployment?.alarmRollback ?? true;
    const gracePeriod = props.deployment?.healthCheckGracePeriodSeconds ?? 30;
    const alarmNames = props.deploymentAlarmNames ?? [];
    const assignPublicIp = props.assignPublicIp ?? false;
    const circuitBreakerRollback = props.circuitBreakerRollback ?? true;
    const enableExecuteCommand = props.enableExecuteCommand ?? false;
    const platformVersion = props.platformVersion ?? "1.4.0";
    const containerInsights = props.containerInsights ?? false;
    const ignoreDesiredCountChanges = props.ignoreDesiredCountChanges ?? false;

    const problems = new Problems();
    checkIntRange(problems, "desiredCount", desiredCount, 0, 5000);
    checkCapacityProviderStrategy(problems, "capacityProviderStrategy", strategy);
    checkDeploymentOptions(problems, "deployment.", props.deployment ?? {});
    checkExtraSecurityGroups(problems, "extraSecurityGroupIds", extraSecurityGroupIds);
    problems.throwIfAny(invalidProps(this));

    let capacityProviders: EcsClusterCapacityProviders | undefined;
    if (props.existingCluster) {
      this.clusterArn = props.existingCluster.arn;
      this.clusterName = props.existingCluster.name;
    } else {
      const cluster = new EcsCluster(this, "Cluster", {
        name: props.serviceName,
        setting: [{ name: "containerInsights", value: containerInsights ? "enabled" : "disabled" }],
        tags: props.tags,
      });
      this.clusterArn = cluster.arn;
      this.clusterName = cluster.name;
      if (strategy.length > 0) {
        // A strategy naming a provider the cluster does not have is refused by ECS.
        capacityProviders = new EcsClusterCapacityProviders(this, "CapacityProviders", {
          clusterName: cluster.name,
          capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        });
      }
    }

    const securityGroup = new SecurityGroup(this, "SecurityGroup", {
      namePrefix: `${props.serviceName}-`,
      description: `Tasks of ${props.serviceName}`,
      vpcId: props.vpcId,
      tags: props.tags,
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = securityGroup.id;
    const port = { ipProtocol: "tcp", fromPort: props.containerPort, toPort: props.containerPort };
    ingressCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `IngressCidr${i}`, {
        securityGroupId: securityGroup.id,
        description: `${props.serviceName} port from ${cidr}`,
        ...port,
        cidrIpv4: cidr,
      });
    });
    ingressSecurityGroupIds.forEach((groupId, i) => {
      new VpcSecurityGroupIngressRule(this, `IngressGroup${i}`, {
        securityGroupId: securityGroup.id,
        description: `${props.serviceName} port from a security group`,
        ...port,
        referencedSecurityGroupId: groupId,
      });
    });
    if (props.loadBalancer) {
      new VpcSecurityGroupIngressRule(this, "IngressLoadBalancer", {
        securityGroupId: securityGroup.id,
        description: `${props.serviceName} port from its load balancer`,
        ...port,
        referencedSecurityGroupId: props.loadBalancer.securityGroupId,
      });
    }
    // Tasks pull images and read secrets over HTTPS and reach the database; outbound stays open as in
    // the default security group, inbound is what the props admit.
    new VpcSecurityGroupEgressRule(this, "Egress", {
      securityGroupId: securityGroup.id,
      description: "All outbound",
      ipProtocol: "-1",
      cidrIpv4: "0.0.0.0/0",
    });

    const target = props.loadBalancer;
    const dependsOn = [...(target?.dependsOn ?? []), ...(capacityProviders ? [capacityProviders] : [])];
    const lifecycle: TerraformResourceLifecycle = {
      ...(ignoreDesiredCountChanges ? { ignoreChanges: ["desired_count"] } : {}),
      // A rolled-back rollout also ends in a steady state, on the previous task definition; the provider
      // reports that as success (hashicorp/terraform-provider-aws#19519), this check does not.
      ...(waitForSteadyState
        ? {
            postcondition: [
              {
                condition: Op.eq(TerraformSelf.getString("task_definition"), props.taskDefinitionArn),
                errorMessage: `${props.serviceName} did not reach a steady state on the task definition this apply registered: ECS rolled the deployment back (circuit breaker or a deployment alarm). See the service's events.`,
              },
            ],
          }
        : {}),
    };
    this.resource = new EcsService(this, "Resource", {
      name: props.serviceName,
      cluster: this.clusterArn,
      taskDefinition: props.taskDefinitionArn,
      desiredCount,
      // The launch type and a strategy exclude each other; keeping the launch type when there is no
      // strategy leaves services created before strategies existed as they are.
      ...(strategy.length > 0
        ? { capacityProviderStrategy: strategy.map((s) => ({ ...s })) }
        : { launchType: "FARGATE" }),
      platformVersion,
      networkConfiguration: {
        subnets: [...props.subnetIds],
        securityGroups: [securityGroup.id, ...extraSecurityGroupIds],
        assignPublicIp,
      },
      ...(target
        ? {
            loadBalancer: [
              {
                targetGroupArn: target.targetGroupArn,
                containerName: target.containerName,
                containerPort: target.containerPort,
              },
            ],
            healthCheckGracePeriodSeconds: gracePeriod,
          }
        : {}),
      deploymentCircuitBreaker: { enable: true, rollback: circuitBreakerRollback },
      ...(alarmNames.length > 0
        ? { alarms: { alarmNames: [...alarmNames], enable: true, rollback: alarmRollback } }
        : {}),
      deploymentMinimumHealthyPercent: minimumHealthyPercent,
      deploymentMaximumPercent: maximumPercent,
      waitForSteadyState,
      enableExecuteCommand,
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      tags: props.tags,
      dependsOn: dependsOn.length > 0 ? dependsOn : undefined,
      lifecycle: lifecycle.ignoreChanges || lifecycle.postcondition ? lifecycle : undefined,
    });
  }
}
