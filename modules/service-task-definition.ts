import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Construct } from "constructs";
import { type ContainerDefinition, renderContainerDefinitions } from "./container-definition";
import { checkContainers, checkFargateSize, checkIntRange, invalidProps, Problems } from "./validation";

/** Props of {@link ServiceTaskDefinition}. */
export interface ServiceTaskDefinitionProps {
  /** Task family. */
  readonly family: string;
  /** The containers, in order; at least one essential. */
  readonly containers: readonly ContainerDefinition[];
  /** ARN of the execution role (image pull, logs, secrets). */
  readonly executionRoleArn: string;
  /** ARN of the task role (the containers' credentials). */
  readonly taskRoleArn: string;
  /** Task CPU units (Fargate table). @default 512 */
  readonly cpu?: number;
  /** Task memory in MiB (Fargate table). @default 1024 */
  readonly memoryMiB?: number;
  /** CPU architecture of the images. @default "X86_64" */
  readonly cpuArchitecture?: "X86_64" | "ARM64";
  /** Names of task-scoped (empty, writable) volumes the containers mount. @default - none */
  readonly volumes?: readonly string[];
  /** Ephemeral storage of the task in GiB, beyond Fargate's 20 GiB default. @default - 20 GiB, not set */
  readonly ephemeralStorageGiB?: number;
  /** Container names whose images their own constructs already judged. @default - none */
  readonly imagesChecked?: readonly string[];
  /** Accept images tagged `latest` or untagged. @default false */
  readonly allowLatestImage?: boolean;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Checks an ephemeral storage size against what Fargate accepts (21-200 GiB). */
export function checkEphemeralStorage(problems: Problems, prop: string, sizeGiB: number | undefined): void {
  checkIntRange(problems, prop, sizeGiB, 21, 200);
}

/** A Fargate task definition (awsvpc, Linux) rendered from typed container definitions, checked as a whole. */
export class ServiceTaskDefinition extends Construct {
  /** The task definition. */
  readonly resource: EcsTaskDefinition;
  /** The containers, as rendered. */
  readonly containers: readonly ContainerDefinition[];

  constructor(scope: Construct, id: string, props: ServiceTaskDefinitionProps) {
    super(scope, id);
    const cpu = props.cpu ?? 512;
    const memoryMiB = props.memoryMiB ?? 1024;
    const cpuArchitecture = props.cpuArchitecture ?? "X86_64";
    const volumes = props.volumes ?? [];
    const allowLatestImage = props.allowLatestImage ?? false;

    const problems = new Problems();
    checkFargateSize(problems, "cpu", cpu, "memoryMiB", memoryMiB);
    checkEphemeralStorage(problems, "ephemeralStorageGiB", props.ephemeralStorageGiB);
    checkContainers(problems, props.containers, {
      cpu,
      memoryMiB,
      allowLatestImage,
      imagesChecked: props.imagesChecked,
    });
    problems.throwIfAny(invalidProps(this));

    this.containers = props.containers;
    this.resource = new EcsTaskDefinition(this, "Resource", {
      family: props.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(cpu),
      memory: String(memoryMiB),
      executionRoleArn: props.executionRoleArn,
      taskRoleArn: props.taskRoleArn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture },
      containerDefinitions: renderContainerDefinitions(props.containers),
      volume: volumes.length > 0 ? volumes.map((name) => ({ name })) : undefined,
      ephemeralStorage:
        props.ephemeralStorageGiB === undefined ? undefined : { sizeInGib: props.ephemeralStorageGiB },
      tags: props.tags,
    });
  }
}
