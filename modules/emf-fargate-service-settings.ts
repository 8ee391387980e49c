import { AGENT_EMF_PORT, DEFAULT_AGENT_ENDPOINT, EMF_VARIABLE_PREFIX } from "../contract/metrics";
import { type EmfSettings, RESERVED_VARIABLES } from "./app-container";
import type { HealthCheck } from "./container-definition";
import type { EmfFargateServiceProps } from "./emf-fargate-service";
import {
  checkCapacityProviderStrategy,
  checkDeploymentOptions,
  checkExtraSecurityGroups,
} from "./fargate-service";
import { checkFrontDoor } from "./service-front-door";
import { checkTaskRoleStatements } from "./service-roles";
import { checkScalingOptions } from "./service-scaling";
import { checkServiceSecrets, type ServiceSecret } from "./service-secrets";
import { checkHealthCheckPath, DEFAULT_HEALTH_CHECK_PATH } from "./service-target-group";
import { checkEphemeralStorage } from "./service-task-definition";
import {
  checkFargateSize,
  checkImagePinned,
  checkIntRange,
  checkLogGroupName,
  checkLogStreamName,
  checkNamespace,
  isIpv4Cidr,
  isKnown,
  type Problems,
  show,
} from "./validation";

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The props of {@link EmfFargateService} with every default resolved, once. */
export interface ResolvedServiceSettings extends EmfFargateServiceProps {
  readonly secrets: readonly ServiceSecret[];
  readonly allowLatestImage: boolean;
  readonly repositoryName: string;
  readonly desiredCount: number;
  readonly taskCpu: number;
  readonly taskMemoryMiB: number;
  readonly containerName: string;
  readonly appCpu: number;
  readonly appMemoryMiB: number;
  readonly containerPort: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly healthCheckPath: string;
  readonly healthCheck: HealthCheck | false;
  readonly stopTimeoutSeconds: number;
  readonly readonlyRootFilesystem: boolean;
  readonly user: string;
  readonly logGroupName: string;
  readonly logRetentionDays: number;
  readonly ingressCidrs: readonly string[];
  readonly allowIngressFromAnywhere: boolean;
  readonly enableExecuteCommand: boolean;
  /** The metric settings, with the EMF log group still by name. */
  readonly emf: EmfSettings;
}

/** Resolves every default of {@link EmfFargateServiceProps}. */
export function resolveServiceSettings(props: EmfFargateServiceProps): ResolvedServiceSettings {
  const serviceName = props.serviceName;
  return {
    ...props,
    secrets: props.secrets ?? [],
    allowLatestImage: props.allowLatestImage ?? false,
    repositoryName: props.repositoryName ?? serviceName.toLowerCase(),
    desiredCount: props.desiredCount ?? 1,
    taskCpu: props.taskCpu ?? 512,
    taskMemoryMiB: props.taskMemoryMiB ?? 1024,
    containerName: props.containerName ?? serviceName,
    appCpu: props.appCpu ?? 256,
    appMemoryMiB: props.appMemoryMiB ?? 512,
    containerPort: props.containerPort ?? 5000,
    environment: props.environment ?? {},
    healthCheckPath: props.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH,
    stopTimeoutSeconds: props.stopTimeoutSeconds ?? 30,
    readonlyRootFilesystem: props.readonlyRootFilesystem ?? true,
    user: props.user ?? "1000:1000",
    logGroupName: props.logGroupName ?? `/ecs/${serviceName}`,
    logRetentionDays: props.logRetentionDays ?? 30,
    ingressCidrs: props.ingressCidrs ?? [],
    allowIngressFromAnywhere: props.allowIngressFromAnywhere ?? false,
    enableExecuteCommand: props.enableExecuteCommand ?? false,
    emf: {
      namespace: props.metrics?.namespace ?? serviceName,
      logGroupName: props.metrics?.logGroupName ?? `/ecs/${serviceName}/emf`,
      logStreamName: props.metrics?.logStreamName ?? serviceName,
      serviceName,
      agentEndpoint: DEFAULT_AGENT_ENDPOINT,
    },
  };
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/**
 * Every check of {@link EmfFargateService}'s props, including those of the constructs it composes, named
 * as the service's props, so one error lists every problem.
 */
export function checkEmfFargateServiceProps(problems: Problems, s: ResolvedServiceSettings): void {
  checkImage(problems, s);
  checkFargateSize(problems, "taskCpu", s.taskCpu, "taskMemoryMiB", s.taskMemoryMiB);
  checkEphemeralStorage(problems, "ephemeralStorageGiB", s.ephemeralStorageGiB);
  checkIntRange(problems, "desiredCount", s.desiredCount, 0, 5000);
  checkIntRange(problems, "containerPort", s.containerPort, 1, 65535);
  problems.check(
    s.containerPort === AGENT_EMF_PORT,
    `containerPort ${s.containerPort} is the agent's EMF port; allowed: any port but ${AGENT_EMF_PORT}`,
  );
  problems.check(
    isKnown(s.logRetentionDays) && !(LOG_RETENTION_DAYS as readonly number[]).includes(s.logRetentionDays),
    `logRetentionDays ${show(s.logRetentionDays)} is not a CloudWatch Logs retention; allowed: ${LOG_RETENTION_DAYS.join(", ")}`,
  );
  checkLogGroupName(problems, "logGroupName", s.logGroupName);
  checkLogGroupName(problems, "metrics.logGroupName", s.emf.logGroupName);
  checkNamespace(problems, "metrics.namespace", s.emf.namespace);
  checkLogStreamName(problems, "metrics.logStreamName", s.emf.logStreamName);
  for (const cidr of s.ingressCidrs.filter(isKnown)) {
    problems.check(
      !isIpv4Cidr(cidr),
      `ingressCidrs ${show(cidr)} is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"`,
    );
    problems.check(
      cidr === "0.0.0.0/0" && !s.allowIngressFromAnywhere,
      `ingressCidrs "0.0.0.0/0" opens port ${s.containerPort} to the internet; allowed: narrower CIDRs, or set allowIngressFromAnywhere`,
    );
  }
  problems.check(s.subnetIds.length === 0, `subnetIds [] is empty; allowed: at least one subnet`);
  checkServiceSecrets(problems, "secrets", s.secrets);
  checkEnvironment(problems, s);
  problems.check(
    (s.healthCheck as unknown) === undefined,
    "healthCheck undefined is not set; allowed: a container health check ({ command, interval?, timeout?, retries?, startPeriod? }), or false for none",
  );
  checkHealthCheckPath(problems, "healthCheckPath", s.healthCheckPath);
  checkFrontDoor(problems, s.loadBalancer ?? {}, s);
  const requests = s.autoScaling?.requestsPerTargetPerMinute;
  problems.check(
    typeof requests === "number" && !s.loadBalancer?.create,
    `autoScaling.requestsPerTargetPerMinute ${show(requests)} needs a created load balancer; allowed: with loadBalancer.create, or false`,
  );
  if (s.autoScaling) checkScalingOptions(problems, "autoScaling.", s.autoScaling);
  checkDeploymentOptions(problems, "deployment.", s.deployment ?? {});
  checkCapacityProviderStrategy(problems, "capacityProviderStrategy", s.capacityProviderStrategy ?? []);
  checkTaskRoleStatements(problems, "taskRoleStatements", s.taskRoleStatements ?? []);
  checkExtraSecurityGroups(problems, "extraSecurityGroupIds", s.extraSecurityGroupIds ?? []);
}

function checkImage(problems: Problems, s: ResolvedServiceSettings): void {
  problems.check(
    isKnown(s.serviceName) && !SERVICE_NAME.test(s.serviceName),
    `serviceName ${show(s.serviceName)} is not an ECS service name; allowed: 1-255 letters, digits, hyphens and underscores, starting with a letter or digit`,
  );
  problems.check(
    (s.imageUri === undefined) === (s.imageTag === undefined),
    `imageUri ${show(s.imageUri)} and imageTag ${show(s.imageTag)}: allowed: exactly one of them`,
  );
  if (s.imageUri !== undefined) checkImagePinned(problems, "imageUri", s.imageUri, s.allowLatestImage);
  if (s.imageTag !== undefined) {
    problems.check(
      isKnown(s.repositoryName) &&
        (!ECR_REPOSITORY.test(s.repositoryName) ||
          s.repositoryName.length < 2 ||
          s.repositoryName.length > 256),
      `repositoryName ${show(s.repositoryName)} is not an ECR repository name; allowed: 2-256 lowercase letters, digits and . _ - separators, with / between path parts`,
    );
  }
  if (s.imageTag !== undefined && isKnown(s.imageTag)) {
    problems.check(
      !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(s.imageTag),
      `imageTag ${show(s.imageTag)} is not an image tag; allowed: up to 128 of A-Z a-z 0-9 _ . -, not starting with . or -`,
    );
    problems.check(
      s.imageTag === "latest" && !s.allowLatestImage,
      `imageTag "latest" is not pinned; allowed: a version tag (set allowLatestImage to accept "latest")`,
    );
  }
}

function checkEnvironment(problems: Problems, s: ResolvedServiceSettings): void {
  const secretNames = new Set(s.secrets.map((secret) => secret.name));
  for (const name of Object.keys(s.environment)) {
    problems.check(
      Object.hasOwn(RESERVED_VARIABLES, name),
      `environment.${name} is set by the construct; allowed: the ${RESERVED_VARIABLES[name]} prop`,
    );
    problems.check(
      name.startsWith(EMF_VARIABLE_PREFIX),
      `environment.${name} would disagree with the stack's metric settings; allowed: the metrics prop`,
    );
    problems.check(
      secretNames.has(name),
      `environment.${name} is also a secret; allowed: each variable once`,
    );
  }
  s.secrets.forEach(({ name }, i) => {
    problems.check(
      isKnown(name) && (Object.hasOwn(RESERVED_VARIABLES, name) || name.startsWith(EMF_VARIABLE_PREFIX)),
      `secrets[${i}].name ${show(name)} is set by the construct; allowed: any name but ${Object.keys(RESERVED_VARIABLES).join(", ")} and ${EMF_VARIABLE_PREFIX}*`,
    );
  });
}
