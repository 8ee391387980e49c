import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Construct } from "constructs";
import { checkFargateSize } from "./aws-rules";
import { type ContainerDefinition, renderContainerDefinitions } from "./container-definition";
import { type Checker, keysOf } from "./validation";

/** The size and platform of the service's Fargate tasks. */
export interface TaskOptions {
  /** Task CPU units (Fargate table: 256, 512, 1024, 2048, 4096, 8192, 16384). @default 512 */
  readonly cpu?: number;
  /** Task memory in MiB, one of the values Fargate allows with `cpu`. @default 1024 */
  readonly memoryMiB?: number;
  /** Ephemeral storage of the task in GiB (21-200). @default - Fargate's 20 GiB */
  readonly ephemeralStorageGiB?: number;
  /** CPU architecture of the images. @default "X86_64" */
  readonly cpuArchitecture?: "X86_64" | "ARM64";
  /** Fargate platform version. @default "1.4.0" */
  readonly platformVersion?: string;
}

/** {@link TaskOptions} with every default resolved. */
export interface ResolvedTask {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly ephemeralStorageGiB?: number;
  readonly cpuArchitecture: "X86_64" | "ARM64";
  readonly platformVersion: string;
}

const TASK_KEYS = keysOf<TaskOptions>({
  cpu: true,
  memoryMiB: true,
  ephemeralStorageGiB: true,
  cpuArchitecture: true,
  platformVersion: true,
});

/** Resolves the task's defaults. */
export function resolveTask(options: TaskOptions): ResolvedTask {
  return {
    cpu: options.cpu ?? 512,
    memoryMiB: options.memoryMiB ?? 1024,
    ephemeralStorageGiB: options.ephemeralStorageGiB,
    cpuArchitecture: options.cpuArchitecture ?? "X86_64",
    platformVersion: options.platformVersion ?? "1.4.0",
  };
}

/** Checks the task options (`c` is the `task` prop's checker). */
export function checkTask(c: Checker, raw: unknown, s: ResolvedTask): void {
  c.object(raw, TASK_KEYS, "TaskOptions");
  checkFargateSize(c.at("cpu"), s.cpu, c.at("memoryMiB"), s.memoryMiB);
  c.at("ephemeralStorageGiB").integer(s.ephemeralStorageGiB, 21, 200);
  c.at("cpuArchitecture").oneOf(s.cpuArchitecture, ["X86_64", "ARM64"]);
  c.at("platformVersion").matches(
    s.platformVersion,
    /^(LATEST|\d+\.\d+\.\d+)$/,
    "a Fargate platform version",
    '"LATEST" or a version such as "1.4.0"',
  );
}

/** Props of {@link ServiceTaskDefinition}; every value already resolved and validated by the service. */
export interface ServiceTaskDefinitionProps {
  /** Task family. */
  readonly family: string;
  /** The containers, in order. */
  readonly containers: readonly ContainerDefinition[];
  /** ARN of the execution role (image pull, logs, secrets). */
  readonly executionRoleArn: string;
  /** ARN of the task role (the containers' credentials). */
  readonly taskRoleArn: string;
  /** Size and platform. */
  readonly task: ResolvedTask;
  /** Names of task-scoped (empty, writable) volumes the containers mount. */
  readonly volumes: readonly string[];
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A Fargate task definition (awsvpc, Linux) rendered from typed container definitions. */
export class ServiceTaskDefinition extends Construct {
  /** The task definition. */
  readonly resource: EcsTaskDefinition;

  constructor(scope: Construct, id: string, props: ServiceTaskDefinitionProps) {
    super(scope, id);
    const { task, volumes } = props;
    this.resource = new EcsTaskDefinition(this, "Resource", {
      family: props.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(task.cpu),
      memory: String(task.memoryMiB),
      executionRoleArn: props.executionRoleArn,
      taskRoleArn: props.taskRoleArn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: task.cpuArchitecture },
      containerDefinitions: renderContainerDefinitions(props.containers),
      volume: volumes.length > 0 ? volumes.map((name) => ({ name })) : undefined,
      ephemeralStorage:
        task.ephemeralStorageGiB === undefined ? undefined : { sizeInGib: task.ephemeralStorageGiB },
      tags: props.tags,
    });
  }
}
