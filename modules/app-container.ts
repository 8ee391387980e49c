import { EMF_SERVICE_TYPE, EMF_VARIABLES } from "../contract/metrics";
import type { ContainerDefinition, HealthCheck, LogConfiguration, MountPoint } from "./container-definition";
import type { ResolvedSecret } from "./service-secrets";

/** The metric settings the app container and the rest of the stack share. */
export interface EmfSettings {
  /** CloudWatch namespace of the service's metrics. */
  readonly namespace: string;
  /** Log group the agent writes EMF documents to (`_aws.LogGroupName`). */
  readonly logGroupName: string;
  /** Log stream of the EMF documents. */
  readonly logStreamName: string;
  /** `ServiceName` the documents carry. */
  readonly serviceName: string;
  /** Agent endpoint as the app sees it. */
  readonly agentEndpoint: string;
}

/** What the app container is made of; every value already resolved by the caller. */
export interface AppContainerSettings {
  /** Container name. */
  readonly name: string;
  /** Image to run. */
  readonly image: string;
  /** CPU units. */
  readonly cpu: number;
  /** Memory limit in MiB. */
  readonly memoryMiB: number;
  /** Port the app listens on (also `PORT`). */
  readonly port: number;
  /** The EMF settings, passed as `AWS_EMF_*`. */
  readonly emf: EmfSettings;
  /** The app's own plain variables. */
  readonly environment: Readonly<Record<string, string>>;
  /** Variables read from SSM or Secrets Manager, resolved to ARNs. */
  readonly secrets: readonly ResolvedSecret[];
  /** Logging of the container. */
  readonly logConfiguration: LogConfiguration;
  /** Container the app waits for (the agent). */
  readonly startsAfter: string;
  /** Health check, or `false` for none. */
  readonly healthCheck: HealthCheck | false;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
  /** Read-only root filesystem. */
  readonly readonlyRootFilesystem: boolean;
  /** User the process runs as. */
  readonly user: string;
  /** Mount writable volumes for ECS Exec's SSM agent. */
  readonly execVolumes: boolean;
}

/** Variables the construct sets itself, with the prop that decides each; `environment` may not set them. */
export const RESERVED_VARIABLES: Readonly<Record<string, string>> = { PORT: "containerPort" };

/** Prefix of the variables that carry the EMF settings; `environment` may not set them. */
export { EMF_VARIABLE_PREFIX } from "../contract/metrics";

/**
 * The `AWS_EMF_*` variables the app reads its EMF settings from (the contract's names, which the middleware
 * reads). `AWS_EMF_ENVIRONMENT` is left unset: the middleware's default, `Agent`, sends to the endpoint.
 */
export function emfEnvironment(emf: EmfSettings): Record<string, string> {
  // In the order of the task definitions already deployed, so that they do not change.
  return {
    [EMF_VARIABLES.endpoint]: emf.agentEndpoint,
    [EMF_VARIABLES.serviceName]: emf.serviceName,
    [EMF_VARIABLES.serviceType]: EMF_SERVICE_TYPE,
    [EMF_VARIABLES.logGroupName]: emf.logGroupName,
    [EMF_VARIABLES.logStreamName]: emf.logStreamName,
    [EMF_VARIABLES.namespace]: emf.namespace,
  };
}

const EXEC_PATHS = ["/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"];

/** The app container and the volumes it mounts. */
export function appContainer(settings: AppContainerSettings): {
  container: ContainerDefinition;
  volumes: string[];
} {
  // PORT first and the EMF variables last, so the app's own variables keep their place between them.
  const environment: Record<string, string> = {
    PORT: String(settings.port),
    ...settings.environment,
    ...emfEnvironment(settings.emf),
  };
  const mountPoints: MountPoint[] = settings.execVolumes
    ? EXEC_PATHS.map((containerPath) => ({ sourceVolume: volumeName(containerPath), containerPath }))
    : [];
  const container: ContainerDefinition = {
    name: settings.name,
    image: settings.image,
    cpu: settings.cpu,
    memory: settings.memoryMiB,
    essential: true,
    portMappings: [{ containerPort: settings.port, hostPort: settings.port, protocol: "tcp" }],
    environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
    secrets: settings.secrets.map(({ name, valueFrom }) => ({ name, valueFrom })),
    logConfiguration: settings.logConfiguration,
    dependsOn: [{ containerName: settings.startsAfter, condition: "START" }],
    ...(settings.healthCheck ? { healthCheck: settings.healthCheck } : {}),
    linuxParameters: { initProcessEnabled: true },
    stopTimeout: settings.stopTimeoutSeconds,
    readonlyRootFilesystem: settings.readonlyRootFilesystem,
    user: settings.user,
    ...(mountPoints.length > 0 ? { mountPoints } : {}),
  };
  return { container, volumes: mountPoints.map((m) => m.sourceVolume) };
}

function volumeName(path: string): string {
  return `exec${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
}
