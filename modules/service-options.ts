/**
 * The options of the ECS service itself, by concern: where its tasks run (network), in which cluster, on which
 * capacity, and how releases roll out. Each with its defaults, resolved once, and its checks.
 */
import { ARN, checkArn, checkCidrs, checkResourceId, checkResourceIds } from "./aws-rules";
import type { ITerraformDependable } from "./cdktf";
import {
  checkStrategy,
  type DeploymentStrategy,
  type ResolvedTrafficShift,
  resolveStrategy,
  type StrategyContext,
} from "./deployment-strategy";
import { type Checker, isKnown, keysOf } from "./validation";

/** How the tasks reach ECR, public.ecr.aws (the agent image), SSM, Secrets Manager and CloudWatch Logs. */
export type Outbound = "publicIp" | "nat" | "vpcEndpoints";

/** Where the tasks run and what may reach them. */
export interface NetworkOptions {
  /** VPC of the service. */
  readonly vpcId: string;
  /** Subnets the tasks run in. */
  readonly subnetIds: readonly string[];
  /**
   * How the tasks reach AWS outside the VPC, which decides what the subnets must provide. Stated explicitly,
   * because a wrong guess only shows when tasks fail to start:
   * - `"publicIp"`: public subnets (a route to an internet gateway); each task gets a public IP.
   * - `"nat"`: private subnets with a route to a NAT gateway.
   * - `"vpcEndpoints"`: private subnets without a route out, with interface endpoints for `ecr.api`,
   *   `ecr.dkr`, `logs`, `ssm` (and `secretsmanager`, `ssmmessages` when used) and the S3 gateway endpoint
   *   (image layers). Both images must then be in private ECR: public.ecr.aws, where the agent image is by
   *   default, is not served by endpoints (use an ECR pull-through cache rule or a mirrored image in
   *   `agent.image`).
   */
  readonly outbound: Outbound;
  /** CIDR blocks admitted to the container port. @default - none */
  readonly ingressCidrs?: readonly string[];
  /** Security groups admitted to the container port, each once (EC2 refuses a duplicate rule). @default - none */
  readonly ingressSecurityGroupIds?: readonly string[];
  /** Accept 0.0.0.0/0 in `ingressCidrs`. @default false */
  readonly allowIngressFromAnywhere?: boolean;
  /** More security groups for the tasks (at most 4), e.g. to reach shared resources. @default - none */
  readonly extraSecurityGroupIds?: readonly string[];
  /**
   * Resources of the network that must exist before the load balancer and the tasks: for a VPC created in the
   * same stack, its internet gateway and the routes to it (or the NAT gateway and its routes), the route table
   * associations of the tasks' subnets, and with `"vpcEndpoints"` the endpoints and the S3 endpoint's route table
   * association. Without them Terraform may create the load balancer before the gateway is attached (AWS answers
   * `InvalidSubnet`: the VPC has no internet gateway) or start tasks that cannot pull their image yet.
   * `ReliabilityChecks` refuses a stack that creates them but leaves them out.
   * @default - none: the network already exists
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * ECS moves tasks from the Availability Zone with the most of them to the one with the fewest when they drift apart
   * (after a zone's outage, or scale-in). Stated explicitly because ECS defaults it only when it creates a service:
   * an update without it keeps the service's value, and a service that never had one counts as DISABLED (ECS API,
   * UpdateService `availabilityZoneRebalancing`). Changing it does not start a deployment
   * (`availability_zone_rebalancing`, in hashicorp/aws since 5.77).
   * @default true
   */
  readonly availabilityZoneRebalancing?: boolean;
}

/** {@link NetworkOptions} with every default resolved. */
export interface ResolvedNetwork extends NetworkOptions {
  readonly availabilityZoneRebalancing: boolean;
  readonly ingressCidrs: readonly string[];
  readonly ingressSecurityGroupIds: readonly string[];
  readonly allowIngressFromAnywhere: boolean;
  readonly extraSecurityGroupIds: readonly string[];
  readonly dependsOn: readonly ITerraformDependable[];
}

const NETWORK_KEYS = keysOf<NetworkOptions>({
  vpcId: true,
  subnetIds: true,
  outbound: true,
  ingressCidrs: true,
  ingressSecurityGroupIds: true,
  allowIngressFromAnywhere: true,
  extraSecurityGroupIds: true,
  dependsOn: true,
  availabilityZoneRebalancing: true,
});

/** Resolves the network's defaults. */
export function resolveNetwork(options: NetworkOptions): ResolvedNetwork {
  return {
    ...options,
    ingressCidrs: options.ingressCidrs ?? [],
    ingressSecurityGroupIds: options.ingressSecurityGroupIds ?? [],
    allowIngressFromAnywhere: options.allowIngressFromAnywhere ?? false,
    extraSecurityGroupIds: options.extraSecurityGroupIds ?? [],
    dependsOn: options.dependsOn ?? [],
    availabilityZoneRebalancing: options.availabilityZoneRebalancing ?? true,
  };
}

/** Checks the network options; `port` is the container port ingress opens. */
export function checkNetwork(c: Checker, raw: unknown, s: ResolvedNetwork, port: number): void {
  c.object(raw, NETWORK_KEYS, "NetworkOptions");
  if (c.at("vpcId").required(s.vpcId, "the ID of the service's VPC"))
    checkResourceId(c.at("vpcId"), s.vpcId, "vpc");
  if (c.at("subnetIds").required(s.subnetIds, "one or more subnet IDs"))
    checkResourceIds(c.at("subnetIds"), s.subnetIds, "subnet", 1, "one or more subnet IDs");
  if (
    c.at("outbound").required(s.outbound, '"publicIp", "nat" or "vpcEndpoints" (see NetworkOptions.outbound)')
  )
    c.at("outbound").oneOf(s.outbound, ["publicIp", "nat", "vpcEndpoints"]);
  const cidrs = checkCidrs(
    c.at("ingressCidrs"),
    c.at("ingressCidrs").list(s.ingressCidrs, "a list of CIDRs"),
  );
  for (const [i, cidr] of cidrs.entries()) {
    c.at("ingressCidrs")
      .at(i)
      .check(
        cidr === "0.0.0.0/0" && !s.allowIngressFromAnywhere,
        cidr,
        `opens port ${port} to the internet`,
        "narrower CIDRs, or set network.allowIngressFromAnywhere",
      );
  }
  c.at("allowIngressFromAnywhere").boolean(s.allowIngressFromAnywhere);
  checkResourceIds(
    c.at("ingressSecurityGroupIds"),
    s.ingressSecurityGroupIds,
    "securityGroup",
    0,
    "security group IDs",
  );
  const extra = checkResourceIds(
    c.at("extraSecurityGroupIds"),
    s.extraSecurityGroupIds,
    "securityGroup",
    0,
    "security group IDs",
  );
  c.at("extraSecurityGroupIds").check(
    extra.length > 4,
    s.extraSecurityGroupIds,
    `has ${extra.length} groups`,
    "at most 4 (a task's network interface takes 5, one is the service's own)",
  );
  c.at("dependsOn").list(s.dependsOn, "a list of resources (ITerraformDependable)");
  c.at("availabilityZoneRebalancing").boolean(s.availabilityZoneRebalancing);
}

/** The cluster the service runs in. */
export interface ClusterOptions {
  /**
   * An existing cluster, by ARN and name. For a Spot capacity share it must have FARGATE and FARGATE_SPOT among its
   * capacity providers.
   * @default - a cluster named after the service is created
   */
  readonly existing?: { readonly arn: string; readonly name: string };
  /** Turn on Container Insights for a created cluster (billed per metric). @default false */
  readonly containerInsights?: boolean;
}

const CLUSTER_KEYS = keysOf<ClusterOptions>({ existing: true, containerInsights: true });

/** Checks the cluster options. */
export function checkCluster(c: Checker, raw: unknown, options: ClusterOptions): void {
  c.object(raw, CLUSTER_KEYS, "ClusterOptions");
  const existing = c
    .at("existing")
    .object(options.existing, ["arn", "name"], "{ arn, name } of an existing cluster");
  if (options.existing !== undefined) {
    checkArn(c.at("existing").at("arn"), existing.arn, ARN.cluster, "ECS cluster ARN");
    c.at("existing").at("arn").required(existing.arn, "the cluster's ARN");
    c.at("existing").at("name").required(existing.name, "the cluster's name");
    c.at("existing")
      .at("name")
      .matches(
        existing.name,
        /^[A-Za-z0-9_-]{1,255}$/,
        "a cluster name",
        "1-255 letters, digits, hyphens and underscores",
      );
  }
  c.at("containerInsights").boolean(options.containerInsights);
  c.at("containerInsights").check(
    options.existing !== undefined && options.containerInsights !== undefined,
    options.containerInsights,
    "is set for an existing cluster",
    "containerInsights only for a created cluster (an existing one keeps its own setting)",
  );
}

/** On-demand and Spot Fargate capacity. */
export interface CapacityOptions {
  /**
   * Relative weight of Fargate Spot for tasks beyond the on-demand base; 0 for on-demand only (the FARGATE launch
   * type). Spot tasks can be stopped with two minutes' notice and may not start while Spot capacity is short.
   * @default 0
   */
  readonly spotWeight?: number;
  /** Relative weight of on-demand Fargate for tasks beyond the base (with Spot). @default 1 */
  readonly onDemandWeight?: number;
  /**
   * Tasks always on on-demand Fargate before the weights apply (with Spot). At least 1 unless `allowSpotOnly`: a
   * service all on Spot is down at the first interruption, and its deployments wait while Spot capacity is short.
   * @default 1
   */
  readonly onDemandBase?: number;
  /** Accept `onDemandBase: 0` with Spot: every task may be interrupted at once. @default false */
  readonly allowSpotOnly?: boolean;
}

/** One capacity provider's share of the tasks, as ECS takes it. */
export interface CapacityProviderShare {
  readonly capacityProvider: "FARGATE" | "FARGATE_SPOT";
  readonly base: number;
  readonly weight: number;
}

const CAPACITY_KEYS = keysOf<CapacityOptions>({
  spotWeight: true,
  onDemandWeight: true,
  onDemandBase: true,
  allowSpotOnly: true,
});

/** The capacity provider strategy of the options; empty for on-demand only (the FARGATE launch type). */
export function resolveCapacity(options: CapacityOptions): readonly CapacityProviderShare[] {
  const spotWeight = options.spotWeight ?? 0;
  if (spotWeight === 0) return [];
  return [
    { capacityProvider: "FARGATE", base: options.onDemandBase ?? 1, weight: options.onDemandWeight ?? 1 },
    { capacityProvider: "FARGATE_SPOT", base: 0, weight: spotWeight },
  ];
}

/** Checks the capacity options. */
export function checkCapacity(c: Checker, raw: unknown, options: CapacityOptions): void {
  c.object(raw, CAPACITY_KEYS, "CapacityOptions");
  c.at("spotWeight").integer(options.spotWeight, 0, 1000);
  c.at("onDemandWeight").integer(options.onDemandWeight, 0, 1000);
  c.at("onDemandBase").integer(options.onDemandBase, 0, 100000);
  c.at("allowSpotOnly").boolean(options.allowSpotOnly);
  const spot = isKnown(options.spotWeight) && (options.spotWeight as number) > 0;
  if (!spot && isKnown(options.spotWeight ?? 0)) {
    c.setWithout(
      options,
      ["onDemandWeight", "onDemandBase", "allowSpotOnly"],
      "Spot",
      "this prop with capacity.spotWeight above 0 (without Spot every task is on-demand)",
    );
    return;
  }
  const base = options.onDemandBase ?? 1;
  c.at("onDemandBase").check(
    isKnown(base) && base === 0 && options.allowSpotOnly !== true,
    base,
    "leaves no task on on-demand Fargate: one Spot interruption can stop every task, and deployments wait while Spot capacity is short",
    "1 or more, or set capacity.allowSpotOnly",
  );
}

/** How a release rolls out, and when it counts as failed. */
export interface DeploymentOptions {
  /**
   * How ECS replaces the tasks: a rolling update, or (with a load balancer the construct creates or a rule it adds
   * to an existing listener, and provider bindings for hashicorp/aws 6.x) blue/green, linear or canary traffic
   * shifting, during which the deployment alarms roll back by shifting traffic back to the old tasks.
   * @default - a rolling update (`type: "rolling"`)
   */
  readonly strategy?: DeploymentStrategy;
  /**
   * Who rolls out new task definition revisions (see docs/operations.md for each mode's pipeline):
   * - `"terraform"`: the image is an input of the configuration; `terraform apply` registers a revision and rolls it
   *   out, and a revision deployed by anything else is rolled back to Terraform's at the next apply.
   * - `"pipeline"`: a pipeline registers revisions (from the one Terraform registered, `taskDefinitionArn`, with its
   *   image) and runs `aws ecs update-service`; Terraform keeps every other setting of the service but never reverts
   *   the running revision (`lifecycle.ignore_changes = [task_definition]`), and a change Terraform makes to the
   *   task definition reaches the tasks with the pipeline's next deployment.
   * @default "terraform"
   */
  readonly releasedBy?: "terraform" | "pipeline";
  /**
   * `terraform apply` waits for the service to be stable. With `releasedBy: "terraform"` it also fails when ECS
   * rolled the deployment back to an earlier revision; with `"pipeline"` that check is the pipeline's.
   * @default true
   */
  readonly waitForSteadyState?: boolean;
  /**
   * Running tasks kept during a rollout, in percent of the desired count (0-100); ECS rounds the count up, so only 0
   * lets a deployment stop every task (a synth warning says so).
   * @default 100
   */
  readonly minimumHealthyPercent?: number;
  /**
   * Tasks allowed during a rollout, in percent of the desired count (100-200); ECS rounds the count down. Above
   * minimumHealthyPercent for a rolling update (100 with 100 leaves no room to replace a task; a synth warning names
   * task counts where the rounding does the same).
   * @default 200
   */
  readonly maximumPercent?: number;
  /** Roll back a deployment whose tasks fail to start (circuit breaker). @default true */
  readonly circuitBreakerRollback?: boolean;
  /** Roll back when a deployment alarm (p99 latency, 5xx rate) fires during or right after a rollout. @default true */
  readonly alarmRollback?: boolean;
  /** Seconds ECS ignores failed load-balancer health checks of a new task (0-3600; with a load balancer). @default 30 */
  readonly healthCheckGracePeriodSeconds?: number;
}

/** {@link DeploymentOptions} with every default resolved. */
export interface ResolvedDeployment {
  /** The traffic-shifting strategy; undefined for a rolling update. */
  readonly trafficShift?: ResolvedTrafficShift;
  readonly releasedBy: "terraform" | "pipeline";
  readonly waitForSteadyState: boolean;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly circuitBreakerRollback: boolean;
  readonly alarmRollback: boolean;
  readonly healthCheckGracePeriodSeconds: number;
}

const DEPLOYMENT_KEYS = keysOf<DeploymentOptions>({
  strategy: true,
  releasedBy: true,
  waitForSteadyState: true,
  minimumHealthyPercent: true,
  maximumPercent: true,
  circuitBreakerRollback: true,
  alarmRollback: true,
  healthCheckGracePeriodSeconds: true,
});

/** Resolves the deployment's defaults. */
export function resolveDeployment(options: DeploymentOptions): ResolvedDeployment {
  return {
    trafficShift: resolveStrategy(options.strategy),
    releasedBy: options.releasedBy ?? "terraform",
    waitForSteadyState: options.waitForSteadyState ?? true,
    minimumHealthyPercent: options.minimumHealthyPercent ?? 100,
    maximumPercent: options.maximumPercent ?? 200,
    circuitBreakerRollback: options.circuitBreakerRollback ?? true,
    alarmRollback: options.alarmRollback ?? true,
    healthCheckGracePeriodSeconds: options.healthCheckGracePeriodSeconds ?? 30,
  };
}

/** Checks the deployment options; the context says which front door and provider bindings the service has. */
export function checkDeployment(
  c: Checker,
  raw: unknown,
  options: DeploymentOptions,
  s: ResolvedDeployment,
  context: StrategyContext,
): void {
  const hasLoadBalancer = context.frontDoor !== "none";
  c.object(raw, DEPLOYMENT_KEYS, "DeploymentOptions");
  checkStrategy(c.at("strategy"), options.strategy, s.trafficShift, context);
  c.at("releasedBy").oneOf(s.releasedBy, ["terraform", "pipeline"], "is not who releases revisions");
  c.at("waitForSteadyState").boolean(s.waitForSteadyState);
  c.at("minimumHealthyPercent").integer(s.minimumHealthyPercent, 0, 100);
  c.at("maximumPercent").integer(s.maximumPercent, 100, 200);
  c.at("circuitBreakerRollback").boolean(s.circuitBreakerRollback);
  c.at("alarmRollback").boolean(s.alarmRollback);
  c.at("healthCheckGracePeriodSeconds").integer(s.healthCheckGracePeriodSeconds, 0, 3600);
  c.at("healthCheckGracePeriodSeconds").check(
    options.healthCheckGracePeriodSeconds !== undefined && !hasLoadBalancer,
    options.healthCheckGracePeriodSeconds,
    "is set without a load balancer",
    "a grace period only with loadBalancer (ECS accepts it only for services behind one)",
  );
}
