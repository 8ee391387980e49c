import { TerraformVariable } from "cdktf";
import { type ContainerDefinition, renderContainerDefinitions } from "../../modules/container-definition";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import {
  checkTask,
  resolveTask,
  ServiceTaskDefinition,
  type ServiceTaskDefinitionProps,
  type TaskOptions,
} from "../../modules/service-task-definition";
import { Checker } from "../../modules/validation";
import {
  blockOf,
  containerDefinitionsOf,
  containerNamed,
  newStack,
  onlyResource,
  SERVICE_PROPS,
  synthStack,
} from "./support";

const EXECUTION_ROLE = "arn:aws:iam::123456789012:role/koaapp-exec";
const TASK_ROLE = "arn:aws:iam::123456789012:role/koaapp-task";
const CONTAINERS: ContainerDefinition[] = [
  { name: "koaapp", image: "koaapp:1.2.3", essential: true },
  { name: "cloudwatch-agent", image: "cloudwatch-agent:1.300062.0b1304", essential: false },
];
const BASE: ServiceTaskDefinitionProps = {
  family: "koaapp",
  containers: CONTAINERS,
  executionRoleArn: EXECUTION_ROLE,
  taskRoleArn: TASK_ROLE,
  task: resolveTask({}),
  volumes: [],
};

function synthTask(overrides: Partial<ServiceTaskDefinitionProps> = {}) {
  return synthStack((stack) => new ServiceTaskDefinition(stack, "TaskDefinition", { ...BASE, ...overrides }));
}

function taskProblems(task: TaskOptions): readonly string[] {
  const c = new Checker().at("task");
  checkTask(c, task, resolveTask(task));
  return c.problems.all;
}

describe("ServiceTaskDefinition with the default task size", () => {
  const synth = synthTask();

  it("GIVEN no task options WHEN synthesized THEN a Fargate awsvpc task of 512 CPU units and 1024 MiB on Linux x86_64 with both roles", () => {
    expect(blockOf(synth, synth.built.resource)).toEqual({
      family: "koaapp",
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "512",
      memory: "1024",
      execution_role_arn: EXECUTION_ROLE,
      task_role_arn: TASK_ROLE,
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
      container_definitions: renderContainerDefinitions(CONTAINERS),
    });
  });

  it("GIVEN the containers WHEN synthesized THEN container_definitions parses back to them, in order", () => {
    expect(containerDefinitionsOf(synth.json)).toEqual(CONTAINERS);
  });
});

describe("ServiceTaskDefinition with every option", () => {
  it("GIVEN size, storage, architecture, volumes and tags WHEN synthesized THEN the task carries each", () => {
    const synth = synthTask({
      task: resolveTask({ cpu: 1024, memoryMiB: 3072, ephemeralStorageGiB: 50, cpuArchitecture: "ARM64" }),
      volumes: ["tmp", "var-cache"],
      tags: { Team: "platform" },
    });

    expect(blockOf(synth, synth.built.resource)).toMatchObject({
      cpu: "1024",
      memory: "3072",
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "ARM64" },
      ephemeral_storage: { size_in_gib: 50 },
      volume: [{ name: "tmp" }, { name: "var-cache" }],
      tags: { Team: "platform" },
    });
  });

  it("GIVEN a size from variables WHEN synthesized THEN the task references them", () => {
    const synth = synthStack((stack) => {
      const number = (id: string) => new TerraformVariable(stack, id, { type: "number" }).numberValue;
      return new ServiceTaskDefinition(stack, "TaskDefinition", {
        ...BASE,
        task: resolveTask({ cpu: number("cpu"), memoryMiB: number("memory") }),
      });
    });

    expect(blockOf(synth, synth.built.resource)).toMatchObject({
      cpu: "${var.cpu}",
      memory: "${var.memory}",
    });
  });
});

describe("ServiceTaskDefinition in EmfFargateService", () => {
  it("GIVEN the default read-only root WHEN synthesized THEN /tmp is a task volume named tmp, mounted by the app only", () => {
    const synth = synthStack((stack) => new EmfFargateService(stack, "Service", SERVICE_PROPS));
    const containers = containerDefinitionsOf(synth.json);

    expect(onlyResource(synth.json, "aws_ecs_task_definition").volume).toEqual([{ name: "tmp" }]);
    expect(containerNamed(containers, "koaapp").mountPoints).toEqual([
      { sourceVolume: "tmp", containerPath: "/tmp" },
    ]);
    expect(containerNamed(containers, "cloudwatch-agent")).not.toHaveProperty("mountPoints");
  });

  it("GIVEN writable paths and ECS Exec WHEN synthesized THEN each path and each of Exec's paths gets its volume", () => {
    const synth = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...SERVICE_PROPS,
          container: { ...SERVICE_PROPS.container, writablePaths: ["/tmp", "/var/cache/app"] },
          exec: { enabled: true },
        }),
    );

    expect(onlyResource(synth.json, "aws_ecs_task_definition").volume).toEqual(
      ["tmp", "var-cache-app", "managed-agents", "var-lib-amazon-ssm", "var-log-amazon-ssm"].map((name) => ({
        name,
      })),
    );
  });

  it("GIVEN a writable root filesystem WHEN synthesized THEN the task has no volume", () => {
    const synth = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...SERVICE_PROPS,
          container: { ...SERVICE_PROPS.container, readonlyRootFilesystem: false },
        }),
    );

    expect(onlyResource(synth.json, "aws_ecs_task_definition")).not.toHaveProperty("volume");
  });
});

describe("task options", () => {
  it("GIVEN nothing WHEN resolved THEN 512 CPU units, 1024 MiB, X86_64, platform 1.4.0 and Fargate's own storage", () => {
    expect(resolveTask({})).toEqual({
      cpu: 512,
      memoryMiB: 1024,
      ephemeralStorageGiB: undefined,
      cpuArchitecture: "X86_64",
      platformVersion: "1.4.0",
    });
  });

  it.each<[string, TaskOptions]>([
    ["the defaults", {}],
    ["the smallest task", { cpu: 256, memoryMiB: 512 }],
    ["the largest task on ARM64", { cpu: 16384, memoryMiB: 122880, cpuArchitecture: "ARM64" }],
    ["21 GiB of storage", { ephemeralStorageGiB: 21 }],
    ["200 GiB of storage on the LATEST platform", { ephemeralStorageGiB: 200, platformVersion: "LATEST" }],
  ])("GIVEN %s WHEN checked THEN there is no problem", (_case, task) => {
    expect(taskProblems(task)).toEqual([]);
  });

  it.each<[string, TaskOptions, string]>([
    [
      "a CPU value Fargate does not offer",
      { cpu: 768 },
      "task.cpu 768 is not a Fargate task CPU value; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
    ],
    [
      "memory that does not go with the CPU",
      { cpu: 256, memoryMiB: 4096 },
      "task.memoryMiB 4096 is not valid with task.cpu 256; allowed: 512, 1024, 2048",
    ],
    [
      "the default memory with the largest CPU",
      { cpu: 16384 },
      `task.memoryMiB 1024 is not valid with task.cpu 16384; allowed: ${Array.from({ length: 12 }, (_, i) => 32768 + i * 8192).join(", ")}`,
    ],
    [
      "20 GiB of storage (Fargate's default, not settable)",
      { ephemeralStorageGiB: 20 },
      "task.ephemeralStorageGiB 20 is out of range; allowed: an integer from 21 to 200",
    ],
    [
      "201 GiB of storage",
      { ephemeralStorageGiB: 201 },
      "task.ephemeralStorageGiB 201 is out of range; allowed: an integer from 21 to 200",
    ],
    [
      "a lowercase architecture",
      { cpuArchitecture: "arm64" as "ARM64" },
      'task.cpuArchitecture "arm64" is not allowed; allowed: "X86_64", "ARM64"',
    ],
    [
      "a platform version of two parts",
      { platformVersion: "1.4" },
      'task.platformVersion "1.4" is not a Fargate platform version; allowed: "LATEST" or a version such as "1.4.0"',
    ],
    [
      "a misspelt prop",
      { cpuArchitechture: "ARM64" } as TaskOptions,
      'task.cpuArchitechture "ARM64" is not a prop of TaskOptions (did you mean cpuArchitecture?); allowed: cpu, memoryMiB, ephemeralStorageGiB, cpuArchitecture, platformVersion',
    ],
  ])("GIVEN %s WHEN checked THEN it is refused naming the prop", (_case, task, message) => {
    expect(taskProblems(task)).toEqual([message]);
  });

  it("GIVEN the size from variables WHEN checked THEN it is not judged", () => {
    const stack = newStack();
    const number = (id: string) => new TerraformVariable(stack, id, { type: "number" }).numberValue;

    expect(taskProblems({ cpu: number("cpu"), memoryMiB: number("memory") })).toEqual([]);
  });
});
