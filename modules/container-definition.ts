/**
 * A typed model of the ECS `RegisterTaskDefinition` container definition, rendered to the JSON string
 * `aws_ecs_task_definition.container_definitions` takes.
 *
 * Field names and shapes follow the ECS API so the rendered JSON reads like the ECS documentation.
 * Values may be cdktf tokens (ARNs, names); they are kept inside string values so the result stays a
 * readable JSON string in cdk.tf.json and Terraform resolves only the references.
 *
 * Every optional field is left out of the JSON when not given, so its `@default` is what ECS does then, as the ECS
 * API reference states it (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
 * and the pages of its member types: HealthCheck, PortMapping, ContainerRestartPolicy, MountPoint).
 */

/** A name/value environment variable. */
export interface EnvironmentVariable {
  /** Variable name. */
  readonly name: string;
  /** Plain-text value: never a secret. */
  readonly value: string;
}

/** A secret injected as an environment variable by the ECS agent at start. */
export interface ContainerSecret {
  /** Variable name inside the container. */
  readonly name: string;
  /** SSM parameter ARN or name, or Secrets Manager secret ARN (optionally with `:json-key:stage:version`). */
  readonly valueFrom: string;
}

/** A container port. On awsvpc, `hostPort` must equal `containerPort` when given. */
export interface PortMapping {
  /** Port the container listens on. */
  readonly containerPort: number;
  /** Host port; on awsvpc the same as `containerPort`. @default - the container port (awsvpc) */
  readonly hostPort?: number;
  /** Transport protocol. @default "tcp" */
  readonly protocol?: "tcp" | "udp";
  /** Name for Service Connect. @default - none: Service Connect cannot refer to the port */
  readonly name?: string;
  /**
   * Application protocol for Service Connect's protocol handling and metrics.
   * @default - none: Service Connect proxies plain TCP
   */
  readonly appProtocol?: "http" | "http2" | "grpc";
}

/** Container log configuration. */
export interface LogConfiguration {
  /** The log driver; Fargate supports awslogs, splunk and awsfirelens. */
  readonly logDriver: string;
  /** Driver options, e.g. awslogs-group, awslogs-region, awslogs-stream-prefix. @default - none: the driver's own */
  readonly options?: Readonly<Record<string, string>>;
  /** Secret driver options. @default - none */
  readonly secretOptions?: readonly ContainerSecret[];
}

/** A container-level health check, run by the ECS agent inside the container. */
export interface HealthCheck {
  /** `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`. */
  readonly command: readonly string[];
  /** Seconds between checks (5–300). @default 30 */
  readonly interval?: number;
  /** Seconds before a check counts as failed (2–60; less than `interval`). @default 5 */
  readonly timeout?: number;
  /** Consecutive failures before the container is unhealthy (1–10). @default 3 */
  readonly retries?: number;
  /** Grace period in seconds before failures count (0–300). @default - none: failures count from the start */
  readonly startPeriod?: number;
}

/** Start-order dependency on another container of the same task. */
export interface ContainerDependency {
  /** Name of the container depended on. */
  readonly containerName: string;
  /** START, COMPLETE, SUCCESS or HEALTHY (HEALTHY needs a health check on the target). */
  readonly condition: "START" | "COMPLETE" | "SUCCESS" | "HEALTHY";
}

/** Restarts of a non-essential container in place, without replacing the task. */
export interface RestartPolicy {
  /** Whether ECS restarts the container when it exits. */
  readonly enabled: boolean;
  /** Exit codes that do not trigger a restart. @default - none: every exit code does */
  readonly ignoredExitCodes?: readonly number[];
  /** Seconds a container must run before a restart is attempted again (60–1800). @default 300 */
  readonly restartAttemptPeriod?: number;
}

/** Linux-specific settings. */
export interface LinuxParameters {
  /** Runs an init process as PID 1 that forwards signals and reaps zombies. @default false */
  readonly initProcessEnabled?: boolean;
}

/** A bind of a task volume into the container. */
export interface MountPoint {
  /** Name of the task volume. */
  readonly sourceVolume: string;
  /** Path inside the container. */
  readonly containerPath: string;
  /** Mount read-only. @default false */
  readonly readOnly?: boolean;
}

/** One container of an ECS task definition, as the ECS API names its fields. */
export interface ContainerDefinition {
  /** Container name: letters, digits, hyphens and underscores, up to 255; unique in the task. */
  readonly name: string;
  /** Image reference, pinned by tag or digest. */
  readonly image: string;
  /** Whether ECS resolves the image's tag to a digest once per deployment. @default "enabled" */
  readonly versionConsistency?: "enabled" | "disabled";
  /** CPU units reserved for the container. @default - none reserved: it shares the task's CPU */
  readonly cpu?: number;
  /** Hard memory limit in MiB. @default - none: the task's memory bounds it */
  readonly memory?: number;
  /** Soft memory reservation in MiB. @default - none */
  readonly memoryReservation?: number;
  /** Whether the task stops when this container stops. @default true */
  readonly essential?: boolean;
  /** Ports the container listens on. @default - none */
  readonly portMappings?: readonly PortMapping[];
  /** Plain environment variables. @default - none */
  readonly environment?: readonly EnvironmentVariable[];
  /** Secrets injected as environment variables. @default - none */
  readonly secrets?: readonly ContainerSecret[];
  /** Logging driver and options. @default - none: the container's output is not kept */
  readonly logConfiguration?: LogConfiguration;
  /** Start-order dependencies. @default - none */
  readonly dependsOn?: readonly ContainerDependency[];
  /** Container health check. @default - none: ECS reports the container's health as UNKNOWN */
  readonly healthCheck?: HealthCheck;
  /** Linux settings such as the init process. @default - none */
  readonly linuxParameters?: LinuxParameters;
  /** Seconds ECS waits after SIGTERM before SIGKILL (Fargate: up to 120). @default 30 */
  readonly stopTimeout?: number;
  /** Seconds ECS waits for dependencies to reach their condition. @default - none: the ECS agent's own limit */
  readonly startTimeout?: number;
  /** Mount the root filesystem read-only. @default false */
  readonly readonlyRootFilesystem?: boolean;
  /** User (name or uid[:gid]) the process runs as. @default - the image's USER */
  readonly user?: string;
  /** Restart policy for the container. @default - none: an exited container is not restarted */
  readonly restartPolicy?: RestartPolicy;
  /** Task volumes mounted into the container. @default - none */
  readonly mountPoints?: readonly MountPoint[];
  /** Overrides the image's CMD. @default - the image's CMD */
  readonly command?: readonly string[];
  /** Overrides the image's ENTRYPOINT. @default - the image's ENTRYPOINT */
  readonly entryPoint?: readonly string[];
  /** Working directory. @default - the image's WORKDIR */
  readonly workingDirectory?: string;
}

/**
 * Renders container definitions as the JSON string ECS and Terraform take.
 *
 * Undefined fields are left out, so the JSON Terraform normalises equals what we wrote and plans show no
 * spurious diff. Token strings survive `JSON.stringify` unchanged and cdktf resolves them in place.
 */
export function renderContainerDefinitions(containers: readonly ContainerDefinition[]): string {
  return JSON.stringify(containers, null, 2);
}
