/**
 * The rules of what AWS accepts, as the constructs apply them to a props path. Moved here from validation.test.ts
 * with the functions (modules/aws-rules.ts); the name rules themselves are tested with the contract's, in
 * test/contract/cloudwatch-names.test.ts.
 */
import { TerraformVariable } from "cdktf";
import {
  ARN,
  CLOUDWATCH_NAMESPACE,
  checkArn,
  checkCidrs,
  checkFargateSize,
  checkImage,
  checkName,
  checkResourceIds,
  FARGATE_MEMORY_MIB,
  isIpv4Cidr,
  isPrivateEcrImage,
  LOG_GROUP_NAME,
  LOG_RETENTION_DAYS,
  LOG_STREAM_NAME,
} from "../../modules/aws-rules";
import { Checker } from "../../modules/validation";
import { newStack } from "./support";

const GIB = 1024;

/**
 * Task sizes as the Fargate documentation states them: memory in GiB from/to/step per CPU value.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
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

/** The problems one check records on a fresh root checker. */
function problemsOf(record: (c: Checker) => void): readonly string[] {
  const c = new Checker();
  record(c);
  return c.problems.all;
}

function sizeProblems(cpu: unknown, memoryMiB: unknown): readonly string[] {
  return problemsOf((c) => {
    const task = c.at("task");
    checkFargateSize(task.at("cpu"), cpu, task.at("memoryMiB"), memoryMiB);
  });
}

describe("checkFargateSize", () => {
  it("GIVEN the documented Fargate table WHEN compared THEN every CPU value, including 8192 and 16384, has exactly the documented memory sizes", () => {
    expect(Object.keys(FARGATE_MEMORY_MIB).map(Number)).toEqual(FARGATE_TABLE_GIB.map((row) => row.cpu));
    for (const row of FARGATE_TABLE_GIB)
      expect(FARGATE_MEMORY_MIB[row.cpu]).toEqual(documentedMemoryMiB(row));
  });

  it("GIVEN every listed CPU/memory pair WHEN checked THEN each is accepted", () => {
    const pairs = Object.entries(FARGATE_MEMORY_MIB).flatMap(([cpu, sizes]) =>
      sizes.map((memoryMiB) => [Number(cpu), memoryMiB] as const),
    );

    expect(pairs).toHaveLength(74);
    expect(pairs.flatMap(([cpu, memoryMiB]) => sizeProblems(cpu, memoryMiB))).toEqual([]);
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
    "GIVEN cpu %p with memory %p WHEN checked THEN the memory is refused under its path, listing the allowed sizes",
    (cpu, memoryMiB, allowed) => {
      expect(sizeProblems(cpu, memoryMiB)).toEqual([
        `task.memoryMiB ${memoryMiB} is not valid with task.cpu ${cpu}; allowed: ${allowed}`,
      ]);
    },
  );

  it("GIVEN a CPU value outside the table WHEN checked THEN only the CPU is refused, listing the CPU values", () => {
    expect(sizeProblems(3000, 4096)).toEqual([
      "task.cpu 3000 is not a Fargate task CPU value; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
    ]);
  });

  it("GIVEN a token CPU or a token memory WHEN checked THEN the pair is not judged", () => {
    const stack = newStack();
    const cpu = new TerraformVariable(stack, "cpu", { type: "number" }).numberValue;
    const memory = new TerraformVariable(stack, "memory", { type: "number" }).numberValue;

    expect([...sizeProblems(cpu, 3), ...sizeProblems(512, memory)]).toEqual([]);
  });
});

describe("LOG_RETENTION_DAYS", () => {
  it("GIVEN the retention list WHEN read THEN it is the set CloudWatch Logs accepts", () => {
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
    expect([...LOG_RETENTION_DAYS]).toEqual([
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ]);
  });
});

describe("checkImage", () => {
  const notPinned = (image: string) =>
    `container.image ${JSON.stringify(image)} is not pinned; allowed: an image with a version tag or @sha256 digest (set container.allowLatestImage to accept "latest")`;
  const imageProblems = (image: unknown, allowLatest = false) =>
    problemsOf((c) =>
      checkImage(c.at("container").at("image"), image, allowLatest, "container.allowLatestImage"),
    );

  it.each(["public.ecr.aws/acme/app:latest", "public.ecr.aws/acme/app", "localhost:5000/app", "app:"])(
    "GIVEN %p WHEN checked THEN it is refused as not pinned, naming the prop that accepts it",
    (image) => {
      expect(imageProblems(image)).toEqual([notPinned(image)]);
    },
  );

  it.each([
    "public.ecr.aws/acme/app:1.2.3",
    "localhost:5000/app:2024.06.01",
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:${"a".repeat(64)}`,
  ])("GIVEN the pinned image %p WHEN checked THEN it is accepted", (image) => {
    expect(imageProblems(image)).toEqual([]);
  });

  it("GIVEN allowLatest WHEN latest and untagged images are checked THEN both are accepted", () => {
    expect([...imageProblems("acme/app:latest", true), ...imageProblems("acme/app", true)]).toEqual([]);
  });

  it.each([
    [
      undefined,
      "container.image undefined is required; allowed: an image reference with a version tag or @sha256 digest",
    ],
    [
      "  ",
      'container.image "  " is not an image reference; allowed: e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2',
    ],
    [
      42,
      "container.image 42 is not an image reference; allowed: e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2",
    ],
  ])("GIVEN the image %p WHEN checked THEN one problem says why", (image, message) => {
    expect(imageProblems(image)).toEqual([message]);
  });

  it("GIVEN an image from a variable WHEN checked THEN it is not judged", () => {
    const image = new TerraformVariable(newStack(), "image", { type: "string" }).stringValue;

    expect(imageProblems(image)).toEqual([]);
  });
});

describe("isPrivateEcrImage", () => {
  it.each([
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/koaapp:1.2.3",
    "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/team/koaapp@sha256:abc",
    "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/koaapp:1",
  ])("GIVEN %p WHEN judged THEN it is in private ECR", (image) => {
    expect(isPrivateEcrImage(image)).toBe(true);
  });

  it.each([
    "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304",
    "amazon/cloudwatch-agent:1.300062.0b1304",
    "ghcr.io/acme/koaapp:1.2.3",
    "12345.dkr.ecr.eu-west-1.amazonaws.com/koaapp:1",
  ])("GIVEN %p WHEN judged THEN it is not in private ECR", (image) => {
    expect(isPrivateEcrImage(image)).toBe(false);
  });
});

describe("checkName", () => {
  it("GIVEN a bad name for each rule WHEN checked THEN each problem names its path, the value and what CloudWatch allows", () => {
    expect(
      problemsOf((c) => {
        checkName(c.at("metrics").at("namespace"), CLOUDWATCH_NAMESPACE, "AWS/ECS");
        checkName(c.at("logs").at("logGroupName"), LOG_GROUP_NAME, "/ecs/koa app");
        checkName(c.at("metrics").at("logStreamName"), LOG_STREAM_NAME, "task:1");
      }),
    ).toEqual([
      'metrics.namespace "AWS/ECS" is not a CloudWatch namespace; allowed: 1-255 characters of 0-9 A-Z a-z . - _ / # : and space, at least one not a space, not starting with ":" or "AWS/"',
      'logs.logGroupName "/ecs/koa app" is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #',
      'metrics.logStreamName "task:1" is not a log stream name; allowed: 1-512 characters, none of them : or *',
    ]);
  });

  it("GIVEN tokens (whose text has $ { [ ], outside the namespace and log group characters) WHEN the three names are checked THEN none is judged", () => {
    const token = new TerraformVariable(newStack(), "name", { type: "string" }).stringValue;

    expect(
      problemsOf((c) => {
        checkName(c.at("metrics").at("namespace"), CLOUDWATCH_NAMESPACE, token);
        checkName(c.at("metrics").at("logGroupName"), LOG_GROUP_NAME, token);
        checkName(c.at("metrics").at("logStreamName"), LOG_STREAM_NAME, `${token}:1`);
      }),
    ).toEqual([]);
  });
});

describe("checkResourceIds", () => {
  const subnetProblems = (value: unknown, min = 1) =>
    problemsOf((c) => checkResourceIds(c.at("network").at("subnetIds"), value, "subnet", min, "subnet IDs"));

  it("GIVEN IDs with 8 and 17 hexadecimal digits WHEN checked THEN both forms are accepted", () => {
    expect(subnetProblems(["subnet-0a1b2c3d", "subnet-0a1b2c3d4e5f67890"])).toEqual([]);
  });

  it("GIVEN an ID of another kind, a short one and too few WHEN checked THEN each is named by index", () => {
    expect(subnetProblems(["sg-0a1b2c3d", "subnet-123"], 3)).toEqual([
      'network.subnetIds[0] "sg-0a1b2c3d" is not a subnet ID; allowed: "subnet-" and 8 or 17 hexadecimal digits',
      'network.subnetIds[1] "subnet-123" is not a subnet ID; allowed: "subnet-" and 8 or 17 hexadecimal digits',
      'network.subnetIds ["sg-0a1b2c3d","subnet-123"] has 2 entries; allowed: subnet IDs',
    ]);
  });

  it("GIVEN a list from a variable WHEN checked THEN neither its elements nor its length are judged", () => {
    const subnets = new TerraformVariable(newStack(), "subnets", { type: "list(string)" }).listValue;

    expect(subnetProblems(subnets, 2)).toEqual([]);
  });
});

describe("checkArn", () => {
  it.each<[keyof typeof ARN, string, string]>([
    [
      "certificate",
      "ACM certificate ARN",
      "an ACM certificate ARN; allowed: arn:aws:acm:<region>:<account>:certificate/<id>",
    ],
    ["topic", "SNS topic ARN", "an SNS topic ARN; allowed: arn:aws:sns:<region>:<account>:<name>"],
    [
      "kmsKey",
      "KMS key ARN",
      "a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<id> or arn:aws:kms:<region>:<account>:alias/<name>",
    ],
    ["policy", "IAM policy ARN", "an IAM policy ARN; allowed: arn:aws:iam::<account>:policy/<path><name>"],
    [
      "cluster",
      "ECS cluster ARN",
      "an ECS cluster ARN; allowed: arn:aws:ecs:<region>:<account>:cluster/<name>",
    ],
    [
      "listener",
      "listener ARN",
      "a listener ARN; allowed: arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb>/<id>/<id>",
    ],
    [
      "targetGroup",
      "target group ARN",
      "a target group ARN; allowed: arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>",
    ],
    [
      "lambda",
      "Lambda function ARN",
      "a Lambda function ARN; allowed: arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]",
    ],
  ])(
    "GIVEN a name where %s ARN belongs WHEN checked THEN the message names the %s with its article and form",
    (kind, form, expected) => {
      expect(problemsOf((c) => checkArn(c.at("arn"), "my-thing", ARN[kind], form))).toEqual([
        `arn "my-thing" is not ${expected}`,
      ]);
    },
  );

  it("GIVEN ARNs of each form WHEN checked THEN they are accepted, in other partitions too", () => {
    expect(
      problemsOf((c) => {
        checkArn(c, "arn:aws-us-gov:sns:us-gov-west-1:123456789012:oncall", ARN.topic, "SNS topic ARN");
        checkArn(c, "arn:aws:iam::aws:policy/ReadOnlyAccess", ARN.policy, "IAM policy ARN");
        checkArn(c, "arn:aws:kms:eu-west-1:123456789012:alias/app", ARN.kmsKey, "KMS key ARN");
      }),
    ).toEqual([]);
  });
});

/** The problems a CIDR list check records at `path`. */
function cidrProblemsAt(path: string, check: (c: Checker) => void): readonly string[] {
  const c = new Checker().at(path);
  check(c);
  return c.problems.all;
}

describe("CIDRs", () => {
  it.each(["10.0.0.0/16", "0.0.0.0/0", "203.0.113.7/32", "255.255.255.255/32"])(
    "GIVEN %p WHEN tested THEN it is an IPv4 CIDR",
    (cidr) => {
      expect(isIpv4Cidr(cidr)).toBe(true);
    },
  );

  it.each(["10.0.0.0", "10.0.0.256/16", "10.0.0.0/33", "10.0.0/16", "::/0", " 10.0.0.0/16"])(
    "GIVEN %p WHEN tested THEN it is no IPv4 CIDR",
    (cidr) => {
      expect(isIpv4Cidr(cidr)).toBe(false);
    },
  );

  it("GIVEN prefix bounds WHEN tested THEN prefixes outside them are refused", () => {
    expect([isIpv4Cidr("10.0.0.0/15", 16, 20), isIpv4Cidr("10.0.0.0/16", 16, 20)]).toEqual([false, true]);
    expect([isIpv4Cidr("10.0.0.0/20", 16, 20), isIpv4Cidr("10.0.0.0/21", 16, 20)]).toEqual([true, false]);
  });

  it("GIVEN a list with a bad CIDR and a token WHEN checked THEN the bad one is named by index and only the good one returned", () => {
    const variable = new TerraformVariable(newStack(), "cidr", { type: "string" }).stringValue;
    let known: string[] = [];
    const problems = cidrProblemsAt("ingressCidrs", (c) => {
      known = checkCidrs(c, ["10.0.0.0/8", "10.1.0.0", variable, 7]);
    });

    expect(known).toEqual(["10.0.0.0/8"]);
    expect(problems).toEqual([
      'ingressCidrs[1] "10.1.0.0" is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"',
      'ingressCidrs[3] 7 is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"',
    ]);
  });
});
