import { Fn, Op, Token } from "cdktf";
import { EMF_SERVICE_TYPE } from "../contract/metrics";
import type { ServiceSecret } from "./app-parameters";
import type { ContainerDefinition, HealthCheck, LogConfiguration, MountPoint } from "./container-definition";
import { isKnown } from "./validation";

/** How the app publishes metrics: `off` installs no middleware. */
export type MetricsMode = "off" | "aggregate" | "request";

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
  /** How the app publishes. */
  readonly mode: MetricsMode;
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
  /** `ENV_TYPE`. */
  readonly environmentName: string;
  /** `PGSSLMODE`. */
  readonly databaseSslMode: string;
  /** The EMF settings, passed as `AWS_EMF_*` and `METRICS_MODE`. */
  readonly emf: EmfSettings;
  /** Extra plain variables. */
  readonly environment: Readonly<Record<string, string>>;
  /** Variables read from SSM or Secrets Manager. */
  readonly secrets: readonly ServiceSecret[];
  /** Logging of the container. */
  readonly logConfiguration: LogConfiguration;
  /** Container the app waits for (the agent). */
  readonly startsAfter: string;
  /** Health check. */
  readonly healthCheck: HealthCheck;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutSeconds: number;
  /** Read-only root filesystem. */
  readonly readonlyRootFilesystem: boolean;
  /** User the process runs as. */
  readonly user: string;
  /** Mount writable volumes for ECS Exec's SSM agent. */
  readonly execVolumes: boolean;
}

/** Variables the construct sets itself; `environment` may not set them. */
export const RESERVED_VARIABLES = ["PORT", "ENV_TYPE", "METRICS_MODE", "SHUTDOWN_TIMEOUT_MS", "PGSSLMODE"];

const EXEC_PATHS = ["/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"];

/** The app container and the volumes it mounts. */
export function appContainer(settings: AppContainerSettings): {
  container: ContainerDefinition;
  volumes: string[];
} {
  // The app must finish before ECS's SIGKILL: its deadline is the stop timeout less 5 s (at least 1 s).
  const stop = settings.stopTimeoutSeconds;
  const shutdownTimeoutMs = isKnown(stop)
    ? String(Math.max(1000, stop * 1000 - 5000))
    : Token.asString(Fn.max([1000, Op.sub(Op.mul(stop, 1000), 5000)]));
  const { emf } = settings;
  const environment: Record<string, string> = {
    PORT: String(settings.port),
    ENV_TYPE: settings.environmentName,
    METRICS_MODE: emf.mode,
    SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs,
    PGSSLMODE: settings.databaseSslMode,
    AWS_EMF_AGENT_ENDPOINT: emf.agentEndpoint,
    AWS_EMF_SERVICE_NAME: emf.serviceName,
    AWS_EMF_SERVICE_TYPE: EMF_SERVICE_TYPE,
    AWS_EMF_LOG_GROUP_NAME: emf.logGroupName,
    AWS_EMF_LOG_STREAM_NAME: emf.logStreamName,
    AWS_EMF_NAMESPACE: emf.namespace,
    ...settings.environment,
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
    healthCheck: settings.healthCheck,
    linuxParameters: { initProcessEnabled: true },
    stopTimeout: stop,
    readonlyRootFilesystem: settings.readonlyRootFilesystem,
    user: settings.user,
    ...(mountPoints.length > 0 ? { mountPoints } : {}),
  };
  return { container, volumes: mountPoints.map((m) => m.sourceVolume) };
}

function volumeName(path: string): string {
  return `exec${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** A health check that needs only `node` in the image, on the given port and path. */
export function defaultHealthCheck(port: number, path = "/health"): HealthCheck {
  return {
    command: [
      "CMD",
      "node",
      "-e",
      `require("http").get("http://127.0.0.1:${port}${path}",r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`,
    ],
    interval: 15,
    timeout: 5,
    retries: 3,
    startPeriod: 10,
  };
}
