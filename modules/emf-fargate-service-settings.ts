/**
 * The props of {@link EmfFargateService} with every default resolved once, and the one validation of the whole
 * props tree: each concern's check runs once, under its prop's path (`agent.cpu`), followed by the checks that
 * relate concerns to each other (container and agent sizes against the task's, images against the network).
 */

import type { IConstruct } from "constructs";
import { show } from "../contract/problems";
import { checkContainer, type ResolvedContainer, resolveContainer } from "./app-container";
import { ARN, checkArn, isPrivateEcrImage } from "./aws-rules";
import { checkAgent, type ResolvedAgent, resolveAgent } from "./cloudwatch-agent-sidecar";
import type { StrategyContext } from "./deployment-strategy";
import type { EmfFargateServiceProps } from "./emf-fargate-service";
import { MOVED_SERVICE_PROPS } from "./former-props";
import { exemptFromPolicy } from "./policy-exemptions";
import { checkAlarms, type ResolvedAlarms, resolveAlarms } from "./service-alarms";
import { checkServiceConnect, type ResolvedServiceConnect, resolveServiceConnect } from "./service-connect";
import { checkExec, type ResolvedExec, resolveExec } from "./service-exec";
import { checkFrontDoor, type ResolvedFrontDoor, resolveFrontDoor } from "./service-front-door";
import {
  checkHighResolutionAgent,
  checkLogs,
  checkMetrics,
  type EmfSettings,
  type ResolvedLogs,
  resolveLogs,
  resolveMetrics,
} from "./service-logging";
import {
  type CapacityProviderShare,
  type ClusterOptions,
  checkCapacity,
  checkCluster,
  checkDeployment,
  checkNetwork,
  type ResolvedDeployment,
  type ResolvedNetwork,
  resolveCapacity,
  resolveDeployment,
  resolveNetwork,
} from "./service-options";
import { checkIam, type IamOptions } from "./service-roles";
import { checkScaling, type ResolvedScaling, resolveScaling } from "./service-scaling";
import { checkTask, type ResolvedTask, resolveTask } from "./service-task-definition";
import { type Checker, isKnown, isObject, keysOf } from "./validation";

export type { ExecOptions } from "./service-exec";
export { settingsWarnings } from "./service-warnings";

/** The props of {@link EmfFargateService} with every default resolved. */
export interface ServiceSettings {
  readonly serviceName: string;
  readonly container: ResolvedContainer;
  readonly network: ResolvedNetwork;
  readonly task: ResolvedTask;
  readonly cluster: ClusterOptions;
  readonly frontDoor: ResolvedFrontDoor;
  readonly scaling: ResolvedScaling;
  readonly capacity: readonly CapacityProviderShare[];
  readonly deployment: ResolvedDeployment;
  /** The metric settings, with the EMF log group still by name. */
  readonly metrics: EmfSettings;
  readonly logs: ResolvedLogs;
  readonly agent: ResolvedAgent;
  readonly iam: Required<Pick<IamOptions, "taskRoleStatements">> & IamOptions;
  readonly alarms: ResolvedAlarms | false;
  readonly dashboard: boolean;
  readonly queryDefinitions: boolean;
  readonly exec: ResolvedExec;
  /** Service Connect; undefined when the service does not join a namespace. */
  readonly serviceConnect?: ResolvedServiceConnect;
  readonly kmsKeyArn?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The props of {@link EmfFargateServiceProps}, complete by construction (`keysOf`); the docs test reads them too. */
export const SERVICE_KEYS = keysOf<EmfFargateServiceProps>({
  serviceName: true,
  container: true,
  network: true,
  task: true,
  cluster: true,
  loadBalancer: true,
  scaling: true,
  capacity: true,
  deployment: true,
  metrics: true,
  logs: true,
  agent: true,
  iam: true,
  alarms: true,
  dashboard: true,
  queryDefinitions: true,
  exec: true,
  serviceConnect: true,
  kmsKeyArn: true,
  tags: true,
});

/** A nested props object, or `{}` when it is absent or not an object (the check reports the latter). */
function part<T extends object>(value: T | undefined): T {
  return (isObject(value) ? value : {}) as T;
}

/** Resolves every default of the service's props; `path` is the service's construct path. */
export function resolveServiceSettings(props: EmfFargateServiceProps, path: string): ServiceSettings {
  const serviceName = props.serviceName;
  const frontDoor = resolveFrontDoor(part(props.loadBalancer), serviceName);
  const iam = part(props.iam);
  const container = resolveContainer(part(props.container), serviceName);
  const deployment = resolveDeployment(part(props.deployment));
  return {
    serviceName,
    container,
    network: resolveNetwork(part(props.network)),
    task: resolveTask(part(props.task)),
    cluster: part(props.cluster),
    frontDoor,
    // Request tracking's default depends on the strategy (ScalingOptions.requestsPerTargetPerMinute).
    scaling: resolveScaling(
      part(props.scaling),
      frontDoor.create !== undefined,
      deployment.trafficShift !== undefined,
    ),
    capacity: resolveCapacity(part(props.capacity)),
    deployment,
    metrics: resolveMetrics(part(props.metrics), serviceName),
    logs: resolveLogs(part(props.logs), serviceName),
    agent: resolveAgent(part(props.agent), `${path}/Agent`),
    iam: { ...iam, taskRoleStatements: iam.taskRoleStatements ?? [] },
    alarms: props.alarms === false ? false : resolveAlarms(part(props.alarms), props.kmsKeyArn),
    dashboard: props.dashboard ?? true,
    queryDefinitions: props.queryDefinitions ?? true,
    exec: resolveExec(part(props.exec), {
      serviceName,
      kmsKeyArn: props.kmsKeyArn,
      existingCluster: part(props.cluster).existing !== undefined,
    }),
    serviceConnect:
      props.serviceConnect === undefined
        ? undefined
        : resolveServiceConnect(part(props.serviceConnect), serviceName, container.port),
    kmsKeyArn: props.kmsKeyArn,
    tags: props.tags,
  };
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;

/** Which front door the props chose, for the checks that depend on it. */
function frontDoorKind(props: EmfFargateServiceProps): StrategyContext["frontDoor"] {
  const door = part(props.loadBalancer);
  return (
    (["create", "existingListener", "existingTargetGroup"] as const).find((k) => door[k] !== undefined) ??
    "none"
  );
}

/**
 * Every check of the service's props tree, each under its path, then the relations between concerns.
 * `providerVersion` is the hashicorp/aws version of the installed bindings (some strategies need 6.x).
 */
export function checkServiceSettings(
  c: Checker,
  props: EmfFargateServiceProps,
  s: ServiceSettings,
  providerVersion: string,
): void {
  c.object(props, SERVICE_KEYS, "EmfFargateServiceProps", MOVED_SERVICE_PROPS);
  if (c.at("serviceName").required(s.serviceName, "an ECS service name"))
    c.at("serviceName").matches(
      s.serviceName,
      SERVICE_NAME,
      "an ECS service name",
      "1-255 letters, digits, hyphens and underscores, starting with a letter or digit",
    );
  if (c.at("container").required(props.container, "the app container: { image, port, healthCheck, ... }"))
    checkContainer(c.at("container"), props.container, s.container);
  if (c.at("network").required(props.network, "{ vpcId, subnetIds, outbound, ... }"))
    checkNetwork(c.at("network"), props.network, s.network, s.container.port);
  checkTask(c.at("task"), props.task, s.task);
  checkCluster(c.at("cluster"), props.cluster, s.cluster);
  if (props.loadBalancer !== undefined)
    checkFrontDoor(c.at("loadBalancer"), part(props.loadBalancer), s.frontDoor);
  checkScaling(c.at("scaling"), props.scaling, s.scaling, s.frontDoor.create !== undefined);
  checkCapacity(c.at("capacity"), props.capacity, part(props.capacity));
  checkDeployment(c.at("deployment"), props.deployment, part(props.deployment), s.deployment, {
    providerVersion,
    frontDoor: frontDoorKind(props),
  });
  checkMetrics(c.at("metrics"), props.metrics, s.metrics);
  checkLogs(c.at("logs"), props.logs, s.logs);
  checkAgent(c.at("agent"), props.agent, s.agent);
  checkIam(c.at("iam"), props.iam, s.iam);
  if (s.alarms !== false) checkAlarms(c.at("alarms"), props.alarms, s.alarms, s.serviceName);
  c.at("dashboard").boolean(s.dashboard);
  c.at("queryDefinitions").boolean(s.queryDefinitions);
  checkExec(c.at("exec"), props.exec, s.exec);
  if (s.serviceConnect) checkServiceConnect(c.at("serviceConnect"), props.serviceConnect, s.serviceConnect);
  checkArn(c.at("kmsKeyArn"), s.kmsKeyArn, ARN.kmsKey, "KMS key ARN");
  c.at("tags").stringRecord(s.tags, "an object of tag names to string values");
  checkRelations(c, s);
}

/** Checks between concerns: the task's size against its containers, names, images against the network. */
function checkRelations(c: Checker, s: ServiceSettings): void {
  const { container, agent, task } = s;
  const sum = (a: number, b: number) => (isKnown(a) && isKnown(b) ? a + b : undefined);
  const cpu = sum(container.cpu, agent.cpu);
  if (cpu !== undefined && isKnown(task.cpu) && cpu > task.cpu)
    c.at("task")
      .at("cpu")
      .fail(
        task.cpu,
        `is less than the containers' ${cpu} (container.cpu ${container.cpu} + agent.cpu ${agent.cpu})`,
        `at least ${cpu}, or smaller containers`,
      );
  const memory = sum(container.memoryMiB, agent.memoryMiB);
  if (memory !== undefined && isKnown(task.memoryMiB) && memory > task.memoryMiB)
    c.at("task")
      .at("memoryMiB")
      .fail(
        task.memoryMiB,
        `is less than the containers' ${memory} (container.memoryMiB ${container.memoryMiB} + agent.memoryMiB ${agent.memoryMiB})`,
        `at least ${memory}, or smaller containers`,
      );
  const requests = s.scaling.auto?.requestsPerTargetPerMinute;
  if (s.deployment.trafficShift && requests !== undefined && requests !== false)
    c.at("scaling")
      .at("requestsPerTargetPerMinute")
      .fail(
        requests,
        `cannot track requests per target with deployment.strategy ${show(s.deployment.trafficShift.type)}: the metric follows one target group, and traffic moves to the other at every release`,
        "false (CPU and latency still scale the service)",
      );
  checkHighResolutionAgent(c, s.metrics, agent);
  checkIngressSources(c, s);
  const { minimumHealthyPercent: min, maximumPercent: max } = s.deployment;
  // ECS keeps ceil(n × min / 100) tasks and runs at most floor(n × max / 100) (ECS API reference,
  // DeploymentConfiguration): equal bounds, which within their ranges (0-100, 100-200) means 100 and 100, leave a
  // rolling deployment of any count no task to start or stop. Out-of-range values are reported on their own.
  if (!s.deployment.trafficShift && min === 100 && max === 100)
    c.at("deployment")
      .at("maximumPercent")
      .fail(
        max,
        `with deployment.minimumHealthyPercent ${min} leaves a rolling deployment no room: ECS may not start a replacement before stopping a task, nor stop one before its replacement runs, so no release completes`,
        "a maximumPercent above minimumHealthyPercent (200, the default), or a lower minimumHealthyPercent",
      );
  if (isKnown(container.name) && container.name === agent.containerName)
    c.at("container")
      .at("name")
      .fail(container.name, "is also the agent's container name", "a name other than agent.containerName");
  if (s.network.outbound === "vpcEndpoints") {
    const why =
      'is not in private ECR, which network.outbound "vpcEndpoints" needs: interface endpoints serve no other registry, public.ecr.aws included';
    const allowed =
      "an image in <account>.dkr.ecr.<region>.amazonaws.com (a mirrored copy, or an ECR pull-through cache rule for public.ecr.aws)";
    for (const [at, image] of [
      [c.at("container").at("image"), container.image],
      [c.at("agent").at("image"), agent.image],
    ] as const) {
      if (isKnown(image) && typeof image === "string" && !isPrivateEcrImage(image))
        at.fail(image, why, allowed);
    }
  }
}

/**
 * Each security group admitted to the container port once. Every source below becomes its own
 * `aws_vpc_security_group_ingress_rule` (tcp, the container port, the group): `Ecs/IngressGroup<i>`,
 * `ServiceConnect/Ingress<i>`, `Ecs/IngressLoadBalancer`. Two of them for the same group are the same permission, and
 * EC2 refuses the second (`InvalidPermission.Duplicate: the specified rule "peer: sg-…, TCP, from port: 5000, to port:
 * 5000, ALLOW" already exists`, hashicorp/terraform-provider-aws#12450), so the apply fails halfway. Unresolved tokens
 * cannot be compared and are skipped.
 */
function checkIngressSources(c: Checker, s: ServiceSettings): void {
  const door = s.frontDoor.existingListener ?? s.frontDoor.existingTargetGroup;
  const doorPath = s.frontDoor.existingListener ? "existingListener" : "existingTargetGroup";
  const sources: (readonly [Checker, unknown])[] = [
    ...listed(c.at("network").at("ingressSecurityGroupIds"), s.network.ingressSecurityGroupIds),
    ...(door
      ? [[c.at("loadBalancer").at(doorPath).at("securityGroupId"), door.securityGroupId] as const]
      : []),
    ...listed(
      c.at("serviceConnect").at("server").at("ingressSecurityGroupIds"),
      s.serviceConnect?.server?.ingressSecurityGroupIds,
    ),
  ];
  const first = new Map<string, string>();
  for (const [at, id] of sources) {
    if (typeof id !== "string" || !isKnown(id)) continue;
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, at.path);
    else
      at.fail(
        id,
        `is also ${earlier}: both admit it to container port ${s.container.port}, and EC2 refuses the second identical rule (InvalidPermission.Duplicate), so the apply fails`,
        `each security group once (${earlier} already admits it, for every purpose)`,
      );
  }
}

/** The elements of a list prop with their checkers; none when the list is absent or itself a token. */
function listed(at: Checker, list: unknown): (readonly [Checker, unknown])[] {
  return Array.isArray(list) && isKnown(list) ? list.map((id, i) => [at.at(i), id] as const) : [];
}

/** Opt-outs the user chose are warnings under SecurityPolicyChecks, not errors: recorded on the service `scope`. */
export function exemptChosenOptOuts(scope: IConstruct, s: ServiceSettings): void {
  const app = { container: s.container.name };
  if (!s.container.readonlyRootFilesystem)
    exemptFromPolicy(scope, "read-only-root", "container.readonlyRootFilesystem: false was set", app);
  if (s.network.allowIngressFromAnywhere)
    exemptFromPolicy(scope, "no-open-ingress", "network.allowIngressFromAnywhere was set");
  if (s.container.allowLatestImage)
    exemptFromPolicy(scope, "pinned-images", "container.allowLatestImage was set", app);
  if (s.container.plaintextAllowed.length > 0)
    exemptFromPolicy(
      scope,
      "no-plaintext-secrets",
      `container.plaintextAllowed lists ${s.container.plaintextAllowed.join(", ")}`,
      app,
    );
  if (s.exec.enabled) exemptFromPolicy(scope, "no-exec-in-production", "exec.enabled was set");
  if (s.capacity.length > 0 && s.capacity[0]?.base === 0)
    exemptFromPolicy(scope, "spot-with-on-demand-base", "capacity.allowSpotOnly was set");
  const agent = { container: s.agent.containerName };
  exemptFromPolicy(
    scope,
    "read-only-root",
    "the CloudWatch agent image writes its generated configuration",
    agent,
  );
  exemptFromPolicy(scope, "non-root-user", "the CloudWatch agent image runs as root", agent);
  if (s.agent.allowLatestImage)
    exemptFromPolicy(scope, "pinned-images", "agent.allowLatestImage was set", agent);
}
