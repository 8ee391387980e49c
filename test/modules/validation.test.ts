import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import type { ContainerDefinition, HealthCheck } from "../../modules/container-definition";
import {
  checkContainers,
  checkFargateSize,
  checkImagePinned,
  checkIntRange,
  checkLogGroupName,
  checkLogStreamName,
  checkNamespace,
  checkSecretValueFrom,
  FARGATE_MEMORY_MIB,
  invalidProps,
  isKnown,
  Problems,
  SECRET_VALUE_FROM_FORMS,
} from "../../modules/validation";
import { newStack } from "./support";

const GIB = 1024;

/** Task sizes as the Fargate documentation states them: memory in GiB from/to/step per CPU value. */
const FARGATE_TABLE_GIB = [
  { cpu: 256, memoryMiB: [512, 1024, 2048] },
  { cpu: 512, fromGiB: 1, toGiB: 4, stepGiB: 1 },
  { cpu: 1024, fromGiB: 2, toGiB: 8, stepGiB: 1 },
  { cpu: 2048, fromGiB: 4, toGiB: 16, stepGiB: 1 },
  { cpu: 4096, fromGiB: 8, toGiB: 30, stepGiB: 1 },
  { cpu: 8192, fromGiB: 16, toGiB: 60, stepGiB: 4 },
  { cpu: 16384, fromGiB: 32, toGiB: 120, stepGiB: 8 },
] as const;

function documentedMemoryMiB(row: (typeof FARGATE_TABLE_GIB)[number]): number[] {
  if ("memoryMiB" in row) return [...row.memoryMiB];
  const values: number[] = [];
  for (let gib = row.fromGiB; gib <= row.toGiB; gib += row.stepGiB) values.push(gib * GIB);
  return values;
}

function problemsOf(record: (problems: Problems) => void): readonly string[] {
  const problems = new Problems();
  record(problems);
  return problems.all;
}

const AWSLOGS: ContainerDefinition["logConfiguration"] = {
  logDriver: "awslogs",
  options: { "awslogs-group": "/ecs/app", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs" },
};

/** A valid two-container task (app depending on a sidecar) that each test breaks in one way. */
function app(overrides: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return {
    name: "app",
    image: "public.ecr.aws/acme/app:1.0.0",
    cpu: 256,
    memory: 512,
    essential: true,
    portMappings: [{ containerPort: 5000, hostPort: 5000, protocol: "tcp" }],
    environment: [{ name: "PORT", value: "5000" }],
    secrets: [
      { name: "APP_SECRET", valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/APP_SECRET" },
    ],
    logConfiguration: AWSLOGS,
    dependsOn: [{ containerName: "agent", condition: "START" }],
    stopTimeout: 30,
    ...overrides,
  };
}

function agent(overrides: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return {
    name: "agent",
    image: "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304",
    cpu: 256,
    memory: 256,
    essential: false,
    logConfiguration: AWSLOGS,
    ...overrides,
  };
}

const TASK = { cpu: 512, memoryMiB: 1024, allowLatestImage: false };

function containerProblems(
  containers: readonly ContainerDefinition[],
  task: { cpu: number; memoryMiB: number; allowLatestImage: boolean } = TASK,
): readonly string[] {
  return problemsOf((p) => checkContainers(p, containers, task));
}

function healthCheckProblems(healthCheck: HealthCheck): readonly string[] {
  return containerProblems([app(), agent({ healthCheck })]);
}

describe("invalidProps and isKnown", () => {
  it("GIVEN a construct with problems WHEN thrown with its header THEN the error names the construct path", () => {
    const scope = new Construct(newStack(), "Thing");
    const problems = new Problems();
    problems.add("first is wrong");
    problems.add("second is wrong");

    expect(() => problems.throwIfAny(invalidProps(scope))).toThrow(
      new Error("test/Thing: invalid props:\n- first is wrong\n- second is wrong"),
    );
  });

  it("GIVEN literals, undefined and tokens WHEN judged THEN only literals are known", () => {
    const variable = new TerraformVariable(newStack(), "v", { type: "number" });

    expect(isKnown(1)).toBe(true);
    expect(isKnown("x")).toBe(true);
    expect(isKnown(undefined)).toBe(false);
    expect(isKnown(variable.numberValue)).toBe(false);
    expect(isKnown(variable.stringValue)).toBe(false);
  });
});

describe("checkIntRange", () => {
  it.each([0, 11, 1.5])("GIVEN %p for a 1..10 prop WHEN checked THEN it is out of range", (value) => {
    expect(problemsOf((p) => checkIntRange(p, "retries", value, 1, 10))).toEqual([
      `retries ${value} is out of range; allowed: an integer from 1 to 10`,
    ]);
  });

  it("GIVEN the bounds, undefined and a token WHEN checked THEN none is a problem", () => {
    const token = new TerraformVariable(newStack(), "n", { type: "number" }).numberValue;

    expect(
      problemsOf((p) => {
        checkIntRange(p, "a", 1, 1, 10);
        checkIntRange(p, "b", 10, 1, 10);
        checkIntRange(p, "c", undefined, 1, 10);
        checkIntRange(p, "d", token, 1, 10);
      }),
    ).toEqual([]);
  });
});

describe("checkFargateSize", () => {
  it("GIVEN the documented Fargate table WHEN compared THEN every CPU value, including 8192 and 16384, has exactly the documented memory sizes", () => {
    expect(Object.keys(FARGATE_MEMORY_MIB).map(Number)).toEqual(FARGATE_TABLE_GIB.map((row) => row.cpu));
    for (const row of FARGATE_TABLE_GIB)
      expect(FARGATE_MEMORY_MIB[row.cpu]).toEqual(documentedMemoryMiB(row));
  });

  it("GIVEN every listed CPU/memory pair WHEN checked THEN each is accepted", () => {
    const problems = problemsOf((p) => {
      for (const [cpu, sizes] of Object.entries(FARGATE_MEMORY_MIB)) {
        for (const memoryMiB of sizes)
          checkFargateSize(p, "taskCpu", Number(cpu), "taskMemoryMiB", memoryMiB);
      }
    });

    expect(problems).toEqual([]);
  });

  it.each([
    [256, 4096, "512, 1024, 2048"],
    [512, 512, "1024, 2048, 3072, 4096"],
    [1024, 9216, "2048, 3072, 4096, 5120, 6144, 7168, 8192"],
    [2048, 3072, "4096, 5120, 6144, 7168, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384"],
    [
      4096,
      31744,
      "8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456, 20480, 21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720",
    ],
    [8192, 17408, "16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440"],
    [16384, 36864, "32768, 40960, 49152, 57344, 65536, 73728, 81920, 90112, 98304, 106496, 114688, 122880"],
  ])(
    "GIVEN cpu %p with memory %p WHEN checked THEN it is rejected listing the allowed sizes",
    (cpu, memoryMiB, allowed) => {
      expect(problemsOf((p) => checkFargateSize(p, "taskCpu", cpu, "taskMemoryMiB", memoryMiB))).toEqual([
        `taskMemoryMiB ${memoryMiB} is not valid with taskCpu ${cpu}; allowed: ${allowed}`,
      ]);
    },
  );

  it("GIVEN a CPU value outside the table WHEN checked THEN it is rejected listing the CPU values", () => {
    expect(problemsOf((p) => checkFargateSize(p, "taskCpu", 3000, "taskMemoryMiB", 4096))).toEqual([
      "taskCpu 3000 is not a Fargate task CPU value; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
    ]);
  });

  it("GIVEN a token CPU or a token memory WHEN checked THEN the pair is not judged", () => {
    const stack = newStack();
    const cpu = new TerraformVariable(stack, "cpu", { type: "number" }).numberValue;
    const memory = new TerraformVariable(stack, "memory", { type: "number" }).numberValue;

    expect(
      problemsOf((p) => {
        checkFargateSize(p, "taskCpu", cpu, "taskMemoryMiB", 3);
        checkFargateSize(p, "taskCpu", 512, "taskMemoryMiB", memory);
      }),
    ).toEqual([]);
  });
});

describe("checkSecretValueFrom", () => {
  it.each([
    ["an SSM parameter ARN", "arn:aws:ssm:eu-west-1:123456789012:parameter/app/prod/RDS_PASSWORD"],
    ["an SSM parameter ARN in another partition", "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/x"],
    ["an SSM parameter name with a path", "/app/prod/RDS_PASSWORD"],
    ["an SSM parameter name without a path", "RDS_PASSWORD"],
    ["a Secrets Manager ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"],
    [
      "a Secrets Manager ARN with a JSON key",
      "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::",
    ],
  ])("GIVEN %s WHEN checked THEN it is accepted", (_form, valueFrom) => {
    expect(problemsOf((p) => checkSecretValueFrom(p, "valueFrom", valueFrom))).toEqual([]);
  });

  it.each([
    ["an S3 ARN", "arn:aws:s3:::bucket/key"],
    ["an SSM ARN with a short account", "arn:aws:ssm:eu-west-1:1234:parameter/x"],
    ["text with spaces", "not a reference"],
    ["an empty string", ""],
  ])("GIVEN %s WHEN checked THEN it is rejected listing the accepted forms", (_form, valueFrom) => {
    expect(problemsOf((p) => checkSecretValueFrom(p, "secrets[X].valueFrom", valueFrom))).toEqual([
      `secrets[X].valueFrom ${JSON.stringify(valueFrom)} is not a secret reference; allowed: an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>), an SSM parameter name in the task's region, or a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<stage>:<version>])`,
    ]);
  });

  it("GIVEN the forms constant WHEN read THEN it names the three forms ECS resolves", () => {
    expect(SECRET_VALUE_FROM_FORMS).toBe(
      "an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>), an SSM parameter name in the task's region, or a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<stage>:<version>])",
    );
  });

  it("GIVEN a token valueFrom WHEN checked THEN it is not judged", () => {
    const token = new TerraformVariable(newStack(), "arn", { type: "string" }).stringValue;

    expect(problemsOf((p) => checkSecretValueFrom(p, "valueFrom", token))).toEqual([]);
  });
});

describe("checkImagePinned", () => {
  const notPinned = (image: string) =>
    `image ${JSON.stringify(image)} is not pinned; allowed: an image with a version tag or @sha256 digest (set allowLatestImage to accept "latest")`;

  it.each(["public.ecr.aws/acme/app:latest", "public.ecr.aws/acme/app", "localhost:5000/app", "app:"])(
    "GIVEN %p WHEN checked THEN it is refused as not pinned",
    (image) => {
      expect(problemsOf((p) => checkImagePinned(p, "image", image, false))).toEqual([notPinned(image)]);
    },
  );

  it.each([
    "public.ecr.aws/acme/app:1.2.3",
    "localhost:5000/app:2024.06.01",
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:${"a".repeat(64)}`,
  ])("GIVEN the pinned image %p WHEN checked THEN it is accepted", (image) => {
    expect(problemsOf((p) => checkImagePinned(p, "image", image, false))).toEqual([]);
  });

  it("GIVEN allowLatest WHEN latest and untagged images are checked THEN both are accepted", () => {
    expect(
      problemsOf((p) => {
        checkImagePinned(p, "image", "acme/app:latest", true);
        checkImagePinned(p, "image", "acme/app", true);
      }),
    ).toEqual([]);
  });
});

describe("checkNamespace, checkLogGroupName and checkLogStreamName", () => {
  // The rules themselves (limits, characters, prefixes) are tested with the contract's, in
  // test/contract/cloudwatch-names.test.ts: here, that each names its prop and leaves tokens alone.
  it("GIVEN a bad name for each WHEN checked THEN each problem names its prop, the value and what CloudWatch allows", () => {
    expect(
      problemsOf((p) => {
        checkNamespace(p, "metrics.namespace", "AWS/ECS");
        checkLogGroupName(p, "logGroupName", "/ecs/koa app");
        checkLogStreamName(p, "metrics.logStreamName", "task:1");
      }),
    ).toEqual([
      'metrics.namespace "AWS/ECS" is not a CloudWatch namespace; allowed: 1-255 characters of 0-9 A-Z a-z . - _ / # : and space, at least one not a space, not starting with ":" or "AWS/"',
      'logGroupName "/ecs/koa app" is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #',
      'metrics.logStreamName "task:1" is not a log stream name; allowed: 1-512 characters, none of them : or *',
    ]);
  });

  it("GIVEN tokens (whose text has $ { [ ], outside the namespace and log group characters) WHEN the three names are checked THEN none is judged", () => {
    const token = new TerraformVariable(newStack(), "name", { type: "string" }).stringValue;

    expect(
      problemsOf((p) => {
        checkNamespace(p, "metrics.namespace", token);
        checkLogGroupName(p, "metrics.logGroupName", token);
        checkLogStreamName(p, "metrics.logStreamName", `${token}:1`);
      }),
    ).toEqual([]);
  });
});

describe("checkContainers", () => {
  it("GIVEN a valid app and sidecar WHEN checked THEN there is no problem", () => {
    expect(containerProblems([app(), agent()])).toEqual([]);
  });

  it("GIVEN two containers with one name WHEN checked THEN the name is reported with its count", () => {
    expect(containerProblems([app(), agent(), agent({ cpu: 0, memory: 6 })])).toEqual([
      'containers name "agent" is used 2 times; allowed: unique container names',
    ]);
  });

  it("GIVEN no essential container WHEN checked THEN it is reported", () => {
    expect(containerProblems([app({ essential: false }), agent()])).toEqual([
      "containers essential: no container is essential; allowed: at least one essential container",
    ]);
  });

  it("GIVEN a container without essential WHEN checked THEN it counts as essential (the ECS default)", () => {
    expect(containerProblems([app({ essential: undefined }), agent()])).toEqual([]);
  });

  it("GIVEN a container name with a space WHEN checked THEN the name pattern is reported", () => {
    expect(containerProblems([app({ dependsOn: [] }), agent({ name: "cw agent" })])).toEqual([
      'containers[cw agent].name "cw agent" is not a container name; allowed: 1-255 letters, digits, hyphens and underscores',
    ]);
  });

  it("GIVEN a container name of 256 characters WHEN checked THEN the name pattern is reported", () => {
    const name = "a".repeat(256);

    expect(containerProblems([app({ dependsOn: [] }), agent({ name })])).toEqual([
      `containers[${name}].name "${name}" is not a container name; allowed: 1-255 letters, digits, hyphens and underscores`,
    ]);
  });

  it("GIVEN an app image tagged latest WHEN checked THEN it is refused unless allowLatestImage", () => {
    const containers = [app({ image: "acme/app:latest" }), agent()];

    expect(containerProblems(containers)).toEqual([
      'containers[app].image "acme/app:latest" is not pinned; allowed: an image with a version tag or @sha256 digest (set allowLatestImage to accept "latest")',
    ]);
    expect(containerProblems(containers, { ...TASK, allowLatestImage: true })).toEqual([]);
  });

  it("GIVEN a negative container cpu WHEN checked THEN the range is reported", () => {
    expect(containerProblems([app({ cpu: -1 }), agent()])).toEqual([
      "containers[app].cpu -1 is out of range; allowed: an integer from 0 to 16384",
    ]);
  });

  it("GIVEN container cpu adding up to more than the task's WHEN checked THEN the sum is reported", () => {
    expect(containerProblems([app({ cpu: 384 }), agent()])).toEqual([
      "containers cpu adds up to 640, more than the task's cpu 512; allowed: a sum of at most 512",
    ]);
  });

  it("GIVEN container cpu adding up to exactly the task's WHEN checked THEN it is accepted", () => {
    expect(containerProblems([app({ cpu: 256 }), agent({ cpu: 256 })])).toEqual([]);
  });

  it("GIVEN container memory (limits, else reservations) adding up to more than the task's WHEN checked THEN the sum is reported", () => {
    const containers = [app({ memory: undefined, memoryReservation: 800 }), agent({ memory: 256 })];

    expect(containerProblems(containers)).toEqual([
      "containers memory adds up to 1056 MiB, more than the task's memoryMiB 1024; allowed: a sum of at most 1024",
    ]);
  });

  it("GIVEN a memory reservation above the limit WHEN checked THEN it is reported", () => {
    expect(containerProblems([app({ memory: 256, memoryReservation: 512 }), agent()])).toEqual([
      "containers[app].memoryReservation 512 exceeds containers[app].memory 256; allowed: a reservation no larger than the limit",
    ]);
  });

  it("GIVEN a token container cpu WHEN checked THEN it is neither judged nor added to the sum", () => {
    const cpu = new TerraformVariable(newStack(), "cpu", { type: "number" }).numberValue;

    expect(containerProblems([app({ cpu }), agent({ cpu: 512 })])).toEqual([]);
  });

  it("GIVEN a hostPort different from containerPort WHEN checked THEN it is reported (awsvpc)", () => {
    expect(
      containerProblems([app({ portMappings: [{ containerPort: 5000, hostPort: 80 }] }), agent()]),
    ).toEqual([
      "containers[app].portMappings[0].hostPort 80 differs from containerPort 5000; allowed: on awsvpc, hostPort equal to containerPort or omitted",
    ]);
  });

  it("GIVEN a containerPort out of range WHEN checked THEN it is reported", () => {
    expect(containerProblems([app({ portMappings: [{ containerPort: 70000 }] }), agent()])).toEqual([
      "containers[app].portMappings[0].containerPort 70000 is out of range; allowed: an integer from 1 to 65535",
    ]);
  });

  it("GIVEN an environment variable name starting with a digit WHEN checked THEN it is reported", () => {
    expect(containerProblems([app({ environment: [{ name: "1PORT", value: "1" }] }), agent()])).toEqual([
      'containers[app] variable "1PORT" is not an environment variable name; allowed: letters, digits and underscores, not starting with a digit',
    ]);
  });

  it("GIVEN one name in both environment and secrets WHEN checked THEN it is reported once", () => {
    const environment = [{ name: "APP_SECRET", value: "plain" }];

    expect(containerProblems([app({ environment }), agent()])).toEqual([
      'containers[app] variable "APP_SECRET" is set more than once; allowed: each name once across environment and secrets',
    ]);
  });

  it("GIVEN a secret whose valueFrom is not a reference WHEN checked THEN it is reported with the accepted forms", () => {
    const secrets = [{ name: "APP_SECRET", valueFrom: "s3://bucket/secret" }];

    expect(containerProblems([app({ secrets }), agent()])).toEqual([
      `containers[app].secrets[APP_SECRET].valueFrom "s3://bucket/secret" is not a secret reference; allowed: ${SECRET_VALUE_FROM_FORMS}`,
    ]);
  });

  it("GIVEN a dependency on an unknown container WHEN checked THEN it names the containers allowed", () => {
    const dependsOn = [{ containerName: "sidecar", condition: "START" as const }];

    expect(containerProblems([app({ dependsOn }), agent()])).toEqual([
      'containers[app].dependsOn[sidecar].containerName "sidecar" is not another container of the task; allowed: agent',
    ]);
  });

  it("GIVEN a dependency on the container itself WHEN checked THEN it is reported", () => {
    const dependsOn = [{ containerName: "app", condition: "START" as const }];

    expect(containerProblems([app({ dependsOn }), agent()])).toEqual([
      'containers[app].dependsOn[app].containerName "app" is not another container of the task; allowed: agent',
    ]);
  });

  it("GIVEN an unknown dependency condition WHEN checked THEN it lists the conditions", () => {
    const dependsOn = [{ containerName: "agent", condition: "READY" as "START" }];

    expect(containerProblems([app({ dependsOn }), agent()])).toEqual([
      'containers[app].dependsOn[agent].condition "READY" is not a dependency condition; allowed: START, COMPLETE, SUCCESS, HEALTHY',
    ]);
  });

  it("GIVEN HEALTHY on a target without a health check WHEN checked THEN it is reported", () => {
    const dependsOn = [{ containerName: "agent", condition: "HEALTHY" as const }];

    expect(containerProblems([app({ dependsOn }), agent()])).toEqual([
      'containers[app].dependsOn[agent].condition "HEALTHY" needs a health check on "agent"; allowed: START, COMPLETE or SUCCESS, or add a health check to the target',
    ]);
  });

  it("GIVEN HEALTHY on a target with a health check WHEN checked THEN it is accepted", () => {
    const dependsOn = [{ containerName: "agent", condition: "HEALTHY" as const }];
    const healthCheck = { command: ["CMD", "/opt/aws/amazon-cloudwatch-agent/bin/healthcheck"] };

    expect(containerProblems([app({ dependsOn }), agent({ healthCheck })])).toEqual([]);
  });

  it("GIVEN awslogs without options WHEN checked THEN each required option is reported", () => {
    expect(containerProblems([app(), agent({ logConfiguration: { logDriver: "awslogs" } })])).toEqual(
      ["awslogs-group", "awslogs-region", "awslogs-stream-prefix"].map(
        (option) =>
          `containers[agent].logConfiguration.options.${option} is missing; allowed: awslogs on Fargate needs awslogs-group, awslogs-region, awslogs-stream-prefix`,
      ),
    );
  });

  it("GIVEN awslogs missing only the stream prefix WHEN checked THEN only that option is reported", () => {
    const logConfiguration = {
      logDriver: "awslogs",
      options: { "awslogs-group": "/ecs/app", "awslogs-region": "eu-west-1" },
    };

    expect(containerProblems([app(), agent({ logConfiguration })])).toEqual([
      "containers[agent].logConfiguration.options.awslogs-stream-prefix is missing; allowed: awslogs on Fargate needs awslogs-group, awslogs-region, awslogs-stream-prefix",
    ]);
  });

  it("GIVEN another log driver without awslogs options WHEN checked THEN it is accepted", () => {
    const logConfiguration = { logDriver: "awsfirelens", options: { Name: "cloudwatch" } };

    expect(containerProblems([app(), agent({ logConfiguration })])).toEqual([]);
  });

  it.each([
    [121, "containers[app].stopTimeout 121 is out of range; allowed: an integer from 2 to 120"],
    [1, "containers[app].stopTimeout 1 is out of range; allowed: an integer from 2 to 120"],
  ])("GIVEN stopTimeout %p WHEN checked THEN the Fargate range is reported", (stopTimeout, message) => {
    expect(containerProblems([app({ stopTimeout }), agent()])).toEqual([message]);
  });

  it("GIVEN stopTimeout 120 WHEN checked THEN it is accepted", () => {
    expect(containerProblems([app({ stopTimeout: 120 }), agent()])).toEqual([]);
  });

  it.each([
    ["interval", { interval: 4 }, "an integer from 5 to 300", 4],
    ["interval", { interval: 301 }, "an integer from 5 to 300", 301],
    ["timeout", { timeout: 1 }, "an integer from 2 to 60", 1],
    ["timeout", { timeout: 61, interval: 300 }, "an integer from 2 to 60", 61],
    ["retries", { retries: 0 }, "an integer from 1 to 10", 0],
    ["retries", { retries: 11 }, "an integer from 1 to 10", 11],
    ["startPeriod", { startPeriod: -1 }, "an integer from 0 to 300", -1],
    ["startPeriod", { startPeriod: 301 }, "an integer from 0 to 300", 301],
  ])("GIVEN health check %s %j WHEN checked THEN the range is reported", (field, range, allowed, value) => {
    expect(healthCheckProblems({ command: ["CMD", "true"], ...range })).toEqual([
      `containers[agent].healthCheck.${field} ${value} is out of range; allowed: ${allowed}`,
    ]);
  });

  it("GIVEN a health check at every bound WHEN checked THEN it is accepted", () => {
    expect(
      healthCheckProblems({
        command: ["CMD-SHELL", "true"],
        interval: 5,
        timeout: 2,
        retries: 1,
        startPeriod: 0,
      }),
    ).toEqual([]);
    expect(
      healthCheckProblems({ command: ["NONE"], interval: 300, timeout: 60, retries: 10, startPeriod: 300 }),
    ).toEqual([]);
  });

  it("GIVEN a health check timeout not shorter than its interval WHEN checked THEN it is reported", () => {
    expect(healthCheckProblems({ command: ["CMD", "true"], interval: 10, timeout: 10 })).toEqual([
      "containers[agent].healthCheck.timeout 10 is not less than containers[agent].healthCheck.interval 10; allowed: a timeout shorter than the interval",
    ]);
  });

  it("GIVEN a health check command without CMD, CMD-SHELL or NONE WHEN checked THEN it is reported", () => {
    expect(healthCheckProblems({ command: ["curl", "-f", "http://127.0.0.1/"] })).toEqual([
      'containers[agent].healthCheck.command ["curl","-f","http://127.0.0.1/"] does not start with CMD, CMD-SHELL or NONE; allowed: ["CMD", "<exe>", ...], ["CMD-SHELL", "<shell command>"] or ["NONE"]',
    ]);
  });

  it("GIVEN an empty health check command WHEN checked THEN it is reported like any command without CMD, CMD-SHELL or NONE", () => {
    expect(healthCheckProblems({ command: [] })).toEqual([
      'containers[agent].healthCheck.command [] does not start with CMD, CMD-SHELL or NONE; allowed: ["CMD", "<exe>", ...], ["CMD-SHELL", "<shell command>"] or ["NONE"]',
    ]);
  });

  it("GIVEN several broken containers WHEN checked THEN every problem is recorded, in container order", () => {
    const problems = containerProblems([app({ cpu: -1, stopTimeout: 200 }), agent({ name: "cw agent" })]);

    expect(problems).toEqual([
      "containers[app].cpu -1 is out of range; allowed: an integer from 0 to 16384",
      'containers[app].dependsOn[agent].containerName "agent" is not another container of the task; allowed: cw agent',
      "containers[app].stopTimeout 200 is out of range; allowed: an integer from 2 to 120",
      'containers[cw agent].name "cw agent" is not a container name; allowed: 1-255 letters, digits, hyphens and underscores',
    ]);
  });
});
