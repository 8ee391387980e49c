/**
 * What AWS accepts for the values the constructs take (Fargate sizes, IDs, ARNs, CIDRs, image references, names),
 * as checks on a {@link Checker}: each construct judges its props with the same rule and the same message.
 * Internal to the package.
 */
import {
  CLOUDWATCH_NAMESPACE,
  LOG_GROUP_NAME,
  LOG_STREAM_NAME,
  type NameRule,
} from "../contract/cloudwatch-names";
import { show } from "../contract/problems";
import { Token } from "./cdktf";
import { type Checker, isKnown } from "./validation";

/**
 * Fargate task sizes: task memory (MiB) allowed for each task CPU value (units).
 * Source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_MEMORY_MIB: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

/** Checks a task CPU/memory pair against the Fargate table; `cpu` and `memory` are the two props' checkers. */
export function checkFargateSize(cpu: Checker, cpuValue: unknown, memory: Checker, memoryMiB: unknown): void {
  if (!isKnown(cpuValue)) return;
  const allowed = FARGATE_MEMORY_MIB[cpuValue as number];
  if (!allowed) {
    cpu.fail(cpuValue, "is not a Fargate task CPU value", Object.keys(FARGATE_MEMORY_MIB).join(", "));
    return;
  }
  if (!isKnown(memoryMiB)) return;
  memory.check(
    !allowed.includes(memoryMiB as number),
    memoryMiB,
    `is not valid with ${cpu.path} ${show(cpuValue)}`,
    allowed.join(", "),
  );
}

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** True for an IPv4 CIDR `a.b.c.d/n` with octets 0-255 and a prefix in [minPrefix, maxPrefix]. */
export function isIpv4Cidr(value: string, minPrefix = 0, maxPrefix = 32): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const prefix = Number(match[5]);
  return (
    match.slice(1, 5).every((octet) => Number(octet) <= 255) && prefix >= minPrefix && prefix <= maxPrefix
  );
}

/** Checks each element of a CIDR list is an IPv4 CIDR. Returns the known ones. */
export function checkCidrs(list: Checker, cidrs: readonly unknown[]): string[] {
  const known: string[] = [];
  cidrs.forEach((cidr, i) => {
    if (!isKnown(cidr)) return;
    if (
      !list
        .at(i)
        .check(
          typeof cidr !== "string" || !isIpv4Cidr(cidr),
          cidr,
          "is not an IPv4 CIDR",
          'e.g. "10.0.0.0/16"',
        )
    )
      known.push(cidr as string);
  });
  return known;
}

/** VPC, subnet and security group IDs: the prefix and 8 or 17 hexadecimal digits. */
const RESOURCE_ID = { vpc: "vpc", subnet: "subnet", securityGroup: "sg" } as const;

/** Checks an ID of a VPC, subnet or security group, unless it is a token. */
export function checkResourceId(c: Checker, value: unknown, kind: keyof typeof RESOURCE_ID): void {
  const prefix = RESOURCE_ID[kind];
  c.matches(
    value,
    new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`),
    `a ${prefix} ID`,
    `"${prefix}-" and 8 or 17 hexadecimal digits`,
  );
}

/** Checks every element of a list of IDs and that there are at least `min` of them. Returns the list. */
export function checkResourceIds(
  c: Checker,
  value: unknown,
  kind: keyof typeof RESOURCE_ID,
  min: number,
  allowed: string,
): readonly unknown[] {
  const ids = c.list(value, allowed);
  for (const [i, id] of ids.entries()) checkResourceId(c.at(i), id, kind);
  if (Array.isArray(value) && !Token.isUnresolved(value))
    c.check(ids.length < min, value, `has ${ids.length} ${ids.length === 1 ? "entry" : "entries"}`, allowed);
  return ids;
}

/** ALB TLS policies that accept TLS 1.2 or newer only (1.3 and 1.2, 1.3 only, 1.2 only, forward secrecy 1.2). */
const TLS_1_2_OR_NEWER = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-/;

/** True when an ALB TLS policy name accepts TLS 1.2 or newer only. */
export function isTls12OrNewerPolicy(policy: string): boolean {
  return TLS_1_2_OR_NEWER.test(policy);
}

/**
 * Why an image reference is not pinned, or undefined when it is: `latest`, explicit or implied by a missing tag,
 * would let a task that restarts run a different build.
 */
export function unpinnedImage(image: string): string | undefined {
  if (!isKnown(image) || image.includes("@sha256:")) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
  return tag === undefined || tag === "latest" || tag === "" ? "is not pinned" : undefined;
}

/** Checks an image reference is a string and pinned, unless `allowLatest` (its prop named in the message). */
export function checkImage(c: Checker, image: unknown, allowLatest: boolean, allowProp: string): void {
  if (!c.required(image, "an image reference with a version tag or @sha256 digest")) return;
  if (
    c.check(
      typeof image !== "string" || image.trim() === "",
      image,
      "is not an image reference",
      "e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2",
    )
  )
    return;
  if (allowLatest) return;
  const problem = unpinnedImage(image as string);
  if (problem)
    c.fail(
      image,
      problem,
      `an image with a version tag or @sha256 digest (set ${allowProp} to accept "latest")`,
    );
}

/** The host of an image reference, or undefined for an image of Docker Hub (no registry host). */
export function imageRegistry(image: string): string | undefined {
  const first = image.split("/")[0] ?? "";
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : undefined;
}

/** True for an image in a private ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/…`). */
export function isPrivateEcrImage(image: string): boolean {
  return /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(imageRegistry(image) ?? "");
}

/** Checks a CloudWatch or CloudWatch Logs name with the rule the middleware applies too, unless a token. */
export function checkName(c: Checker, rule: NameRule, value: unknown): void {
  if (isKnown(value) && !rule.test(value)) c.fail(value, `is not ${rule.what}`, rule.allowed);
}

export { CLOUDWATCH_NAMESPACE, LOG_GROUP_NAME, LOG_STREAM_NAME };

/** True for a name a container environment variable may have: letters, digits, `_`, not starting with a digit. */
export function isEnvironmentVariableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** An SSM parameter ARN: `arn:<partition>:ssm:<region>:<account>:parameter/<name>`. */
export const SSM_PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\-/]+$/;

/** A Secrets Manager secret's complete ARN, ending in the `-` and 6 characters AWS appends to the name. */
export const SECRETS_MANAGER_COMPLETE_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

/** Checks an ARN of `service` (e.g. `acm`, `sns`, `kms`) against `pattern`, unless a token. */
export function checkArn(c: Checker, value: unknown, pattern: RegExp, form: string): void {
  // "an" before a vowel sound: a lowercase vowel, or an acronym spelt out from A, E, I, O or S (ACM, ECS, IAM, SNS).
  const article = /^([aeiou]|[AEIOS][A-Z])/.test(form) ? "an" : "a";
  c.matches(value, pattern, `${article} ${form}`, ARN_FORMS[form] ?? form);
}

/** The forms of the ARNs the constructs check, as messages name them. */
const ARN_FORMS: Readonly<Record<string, string>> = {
  "ACM certificate ARN": "arn:aws:acm:<region>:<account>:certificate/<id>",
  "SNS topic ARN": "arn:aws:sns:<region>:<account>:<name>",
  "KMS key ARN": "arn:aws:kms:<region>:<account>:key/<id> or arn:aws:kms:<region>:<account>:alias/<name>",
  "IAM policy ARN": "arn:aws:iam::<account>:policy/<path><name>",
  "ECS cluster ARN": "arn:aws:ecs:<region>:<account>:cluster/<name>",
  "listener ARN": "arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<lb>/<id>/<id>",
  "target group ARN": "arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>",
  "Lambda function ARN": "arn:aws:lambda:<region>:<account>:function:<name>[:<alias or version>]",
};

/** ARN patterns, by the form's name in {@link ARN_FORMS}. */
export const ARN = {
  certificate: /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
  topic: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
  kmsKey: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]+)$/,
  policy: /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/,
  cluster: /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255}$/,
  listener:
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/[A-Za-z0-9-]+\/[0-9a-f]+\/[0-9a-f]+$/,
  targetGroup:
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]+\/[0-9a-f]+$/,
  lambda: /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/,
} as const;
