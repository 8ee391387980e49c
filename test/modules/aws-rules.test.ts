import { TerraformVariable } from "cdktf";
import {
  ARN,
  checkArn,
  checkCidrs,
  checkFargateSize,
  checkImage,
  checkName,
  checkResourceId,
  checkResourceIds,
  FARGATE_MEMORY_MIB,
  imageRegistry,
  isEnvironmentVariableName,
  isIpv4Cidr,
  isPrivateEcrImage,
  isTls12OrNewerPolicy,
  LOG_GROUP_NAME,
  unpinnedImage,
} from "../../modules/aws-rules";
import { Checker } from "../../modules/validation";
import { CERTIFICATE } from "../support/koaapp";
import { IMAGE, newStack } from "./support";

/** The problems a check records for a value at `path`. */
function problemsAt(path: string, check: (c: Checker) => void): readonly string[] {
  const c = new Checker().at(path);
  check(c);
  return c.problems.all;
}

const token = (type: string) => new TerraformVariable(newStack(), "v", { type });

describe("resource IDs", () => {
  it.each<[string, "vpc" | "subnet" | "securityGroup"]>([
    ["vpc-0a1b2c3d", "vpc"],
    ["vpc-0a1b2c3d4e5f67890", "vpc"],
    ["subnet-0123abcd", "subnet"],
    ["subnet-0123456789abcdef0", "subnet"],
    ["sg-89abcdef", "securityGroup"],
    ["sg-0a1b2c3d4e5f67890", "securityGroup"],
  ])("GIVEN %p as a %s ID WHEN checked THEN it is accepted", (id, kind) => {
    expect(problemsAt("id", (c) => checkResourceId(c, id, kind))).toEqual([]);
  });

  it.each<[string, unknown, "vpc" | "subnet" | "securityGroup", string]>([
    ["10 digits", "vpc-0a1b2c3d4e", "vpc", '"vpc-" and 8 or 17 hexadecimal digits'],
    ["capital hex digits", "vpc-0A1B2C3D", "vpc", '"vpc-" and 8 or 17 hexadecimal digits'],
    ["a VPC ID for a subnet", "vpc-0a1b2c3d", "subnet", '"subnet-" and 8 or 17 hexadecimal digits'],
    ["a name", "default", "securityGroup", '"sg-" and 8 or 17 hexadecimal digits'],
    ["a number", 12345678, "securityGroup", '"sg-" and 8 or 17 hexadecimal digits'],
  ])("GIVEN an ID with %s WHEN checked THEN the form is named", (_case, id, kind, allowed) => {
    const prefix = { vpc: "vpc", subnet: "subnet", securityGroup: "sg" }[kind];

    expect(problemsAt("id", (c) => checkResourceId(c, id, kind))).toEqual([
      `id ${JSON.stringify(id)} is not a ${prefix} ID; allowed: ${allowed}`,
    ]);
  });

  it("GIVEN lists of IDs WHEN checked THEN each element is judged at its index and the count against the minimum", () => {
    const check = (ids: unknown) =>
      problemsAt("subnetIds", (c) => checkResourceIds(c, ids, "subnet", 2, "two or more subnets"));

    expect(check(["subnet-0123abcd", "subnet-4567cdef"])).toEqual([]);
    expect(check(["subnet-0123abcd"])).toEqual([
      'subnetIds ["subnet-0123abcd"] has 1 entry; allowed: two or more subnets',
    ]);
    expect(check(["subnet-0123abcd", "b"])).toEqual([
      'subnetIds[1] "b" is not a subnet ID; allowed: "subnet-" and 8 or 17 hexadecimal digits',
    ]);
    expect(check([])).toEqual(["subnetIds [] has 0 entries; allowed: two or more subnets"]);
    expect(check("subnet-0123abcd")).toEqual([
      'subnetIds "subnet-0123abcd" is not a list; allowed: two or more subnets',
    ]);
    expect(check(token("list(string)").listValue)).toEqual([]);
  });
});

describe("ARNs", () => {
  it.each<[string, RegExp, string, string, string]>([
    [
      "an ACM certificate ARN",
      ARN.certificate,
      CERTIFICATE,
      "my-cert",
      "arn:aws:acm:<region>:<account>:certificate/<id>",
    ],
    [
      "an SNS topic ARN",
      ARN.topic,
      "arn:aws:sns:eu-west-1:123456789012:oncall",
      "arn:aws:sqs:eu-west-1:123456789012:oncall",
      "arn:aws:sns:<region>:<account>:<name>",
    ],
    [
      "a KMS key ARN",
      ARN.kmsKey,
      "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "1234abcd-12ab-34cd-56ef-1234567890ab",
      "arn:aws:kms:<region>:<account>:key/<id> or arn:aws:kms:<region>:<account>:alias/<name>",
    ],
    [
      "an IAM policy ARN",
      ARN.policy,
      "arn:aws:iam::123456789012:policy/boundaries/app-boundary",
      "arn:aws:iam::123456789012:role/app",
      "arn:aws:iam::<account>:policy/<path><name>",
    ],
    [
      "an ECS cluster ARN",
      ARN.cluster,
      "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/shared",
      "shared",
      "arn:aws:ecs:<region>:<account>:cluster/<name>",
    ],
    [
      "a listener ARN",
      ARN.listener,
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/front/0123456789abcdef/fedcba9876543210",
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/front/0123456789abcdef/fedcba9876543210",
      "arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb>/<id>/<id>",
    ],
    [
      "a target group ARN",
      ARN.targetGroup,
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/koaapp/0123456789abcdef",
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/koaapp",
      "arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>",
    ],
    [
      "a Lambda function ARN",
      ARN.lambda,
      "arn:aws:lambda:eu-west-1:123456789012:function:rotate:live",
      "rotate",
      "arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]",
    ],
  ])(
    "GIVEN %s WHEN checked THEN the ARN is accepted and anything else refused with its form",
    (what, pattern, good, bad, allowed) => {
      const form = what.replace(/^an? /, "");
      const check = (value: unknown) => problemsAt("arn", (c) => checkArn(c, value, pattern, form));

      expect(check(good)).toEqual([]);
      expect(check(undefined)).toEqual([]);
      expect(check(bad)).toEqual([`arn ${JSON.stringify(bad)} is not ${what}; allowed: ${allowed}`]);
    },
  );

  it("GIVEN a KMS alias ARN and an AWS-managed policy WHEN checked THEN both are accepted", () => {
    expect(ARN.kmsKey.test("arn:aws:kms:eu-west-1:123456789012:alias/koaapp")).toBe(true);
    expect(ARN.policy.test("arn:aws:iam::aws:policy/ReadOnlyAccess")).toBe(true);
  });

  it("GIVEN an ARN from a variable WHEN checked THEN it is not judged", () => {
    expect(
      problemsAt("arn", (c) => checkArn(c, token("string").stringValue, ARN.topic, "SNS topic ARN")),
    ).toEqual([]);
  });
});

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
    const variable = token("string").stringValue;
    let known: string[] = [];
    const problems = problemsAt("ingressCidrs", (c) => {
      known = checkCidrs(c, ["10.0.0.0/8", "10.1.0.0", variable, 7]);
    });

    expect(known).toEqual(["10.0.0.0/8"]);
    expect(problems).toEqual([
      'ingressCidrs[1] "10.1.0.0" is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"',
      'ingressCidrs[3] 7 is not an IPv4 CIDR; allowed: e.g. "10.0.0.0/16"',
    ]);
  });
});

describe("images", () => {
  it.each<[string, string | undefined]>([
    ["koaapp:1.2.3", undefined],
    [IMAGE, undefined],
    ["localhost:5000/koaapp:1", undefined],
    [`koaapp@sha256:${"a".repeat(64)}`, undefined],
    [`koaapp:latest@sha256:${"a".repeat(64)}`, undefined],
    ["koaapp:latest", "is not pinned"],
    ["koaapp", "is not pinned"],
    ["koaapp:", "is not pinned"],
    ["localhost:5000/koaapp", "is not pinned"],
  ])("GIVEN the image %p WHEN judged THEN unpinnedImage says %p", (image, problem) => {
    expect(unpinnedImage(image)).toBe(problem);
  });

  it.each<[string, string | undefined, boolean]>([
    [IMAGE, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", true],
    [
      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1",
      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
      true,
    ],
    [
      "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:1",
      "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
      true,
    ],
    ["public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1", "public.ecr.aws", false],
    ["localhost:5000/app:1", "localhost:5000", false],
    ["amazon/cloudwatch-agent:1", undefined, false],
    ["koaapp:1", undefined, false],
  ])("GIVEN %p WHEN read THEN its registry is %p and private ECR is %p", (image, registry, ecr) => {
    expect(imageRegistry(image)).toBe(registry);
    expect(isPrivateEcrImage(image)).toBe(ecr);
  });

  it("GIVEN images WHEN checked THEN absent, empty and unpinned ones are refused, naming the prop that accepts latest", () => {
    const check = (image: unknown, allowLatest = false) =>
      problemsAt("agent.image", (c) => checkImage(c, image, allowLatest, "agent.allowLatestImage"));

    expect(check(IMAGE)).toEqual([]);
    expect(check("agent:latest", true)).toEqual([]);
    expect(check(token("string").stringValue)).toEqual([]);
    expect(check(undefined)).toEqual([
      "agent.image undefined is required; allowed: an image reference with a version tag or @sha256 digest",
    ]);
    expect(check(" ")).toEqual([
      'agent.image " " is not an image reference; allowed: e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2',
    ]);
    expect(check("agent:latest")).toEqual([
      'agent.image "agent:latest" is not pinned; allowed: an image with a version tag or @sha256 digest (set agent.allowLatestImage to accept "latest")',
    ]);
  });
});

describe("Fargate task sizes", () => {
  const check = (cpu: unknown, memoryMiB: unknown) =>
    problemsAt("task", (c) => checkFargateSize(c.at("cpu"), cpu, c.at("memoryMiB"), memoryMiB));

  it("GIVEN every pair of the table WHEN checked THEN each is accepted", () => {
    const pairs = Object.entries(FARGATE_MEMORY_MIB).flatMap(([cpu, memories]) =>
      memories.map((memory) => [Number(cpu), memory] as const),
    );

    expect(pairs).toHaveLength(3 + 4 + 7 + 13 + 23 + 12 + 12);
    expect(pairs.flatMap(([cpu, memory]) => check(cpu, memory))).toEqual([]);
  });

  it("GIVEN a CPU value Fargate does not offer WHEN checked THEN the values are listed and memory is not judged", () => {
    expect(check(300, 1)).toEqual([
      "task.cpu 300 is not a Fargate task CPU value; allowed: 256, 512, 1024, 2048, 4096, 8192, 16384",
    ]);
  });

  it.each([
    [256, 4096, "512, 1024, 2048"],
    [8192, 18432, "16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440"],
  ])(
    "GIVEN cpu %p and memory %p WHEN checked THEN the memory allowed with that CPU is listed",
    (cpu, memory, allowed) => {
      expect(check(cpu, memory)).toEqual([
        `task.memoryMiB ${memory} is not valid with task.cpu ${cpu}; allowed: ${allowed}`,
      ]);
    },
  );

  it("GIVEN a CPU or memory from a variable WHEN checked THEN that value is not judged", () => {
    expect(check(token("number").numberValue, 3)).toEqual([]);
    expect(check(1024, token("number").numberValue)).toEqual([]);
  });
});

describe("other rules", () => {
  it.each<[string, boolean]>([
    ["ELBSecurityPolicy-TLS13-1-2-2021-06", true],
    ["ELBSecurityPolicy-TLS13-1-3-2021-06", true],
    ["ELBSecurityPolicy-TLS-1-2-2017-01", true],
    ["ELBSecurityPolicy-FS-1-2-Res-2020-10", true],
    ["ELBSecurityPolicy-2016-08", false],
    ["ELBSecurityPolicy-TLS-1-1-2017-01", false],
    ["ELBSecurityPolicy-TLS13-1-0-2021-06", false],
  ])("GIVEN the TLS policy %p WHEN tested THEN TLS 1.2 or newer only is %p", (policy, strict) => {
    expect(isTls12OrNewerPolicy(policy)).toBe(strict);
  });

  it.each<[string, boolean]>([
    ["PORT", true],
    ["_x1", true],
    ["db-url", false],
    ["1ST", false],
    ["A B", false],
  ])("GIVEN %p WHEN tested THEN it is an environment variable name: %p", (name, valid) => {
    expect(isEnvironmentVariableName(name)).toBe(valid);
  });

  it("GIVEN a log group name with a space WHEN checked THEN the CloudWatch Logs rule is named", () => {
    expect(problemsAt("logs.logGroupName", (c) => checkName(c, LOG_GROUP_NAME, "/ecs/koa app"))).toEqual([
      'logs.logGroupName "/ecs/koa app" is not a log group name; allowed: 1-512 characters of A-Z a-z 0-9 . - _ / #',
    ]);
    expect(problemsAt("logs.logGroupName", (c) => checkName(c, LOG_GROUP_NAME, "/ecs/koaapp"))).toEqual([]);
  });
});
