import type { IConstruct } from "constructs";
import {
  CLOUDWATCH_NAMESPACE,
  checkName,
  LOG_GROUP_NAME,
  LOG_STREAM_NAME,
  type NameRule,
} from "../contract/cloudwatch-names";
import { type Problems, show } from "../contract/problems";
import { Token } from "./cdktf";
import type { ContainerDefinition, HealthCheck } from "./container-definition";

// The one collect-then-throw helper lives in the contract (the middleware uses it too); re-exported so that
// constructs and users keep importing it from the module.
export { Problems, show } from "../contract/problems";

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

/** True when a value is known at synth time (not a cdktf token), so validation may judge it. */
export function isKnown(value: unknown): boolean {
  return value !== undefined && !Token.isUnresolved(value);
}

/**
 * The header of a construct's validation error: its path, so the user knows which construct to fix.
 * Every construct throws with `problems.throwIfAny(invalidProps(this))`.
 */
export function invalidProps(scope: IConstruct): string {
  return `${scope.node.path}: invalid props`;
}

/** ALB TLS policies that accept TLS 1.2 or newer only (1.3 and 1.2, 1.3 only, 1.2 only, forward secrecy 1.2). */
const TLS_1_2_OR_NEWER = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-/;

/** True when an ALB TLS policy name accepts TLS 1.2 or newer only. */
export function isTls12OrNewerPolicy(policy: string): boolean {
  return TLS_1_2_OR_NEWER.test(policy);
}

/** True for an IPv4 CIDR `a.b.c.d/n` with octets 0-255 and a prefix in [minPrefix, maxPrefix]. */
export function isIpv4Cidr(value: string, minPrefix = 0, maxPrefix = 32): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const prefix = Number(match[5]);
  return (
    match.slice(1, 5).every((octet) => Number(octet) <= 255) && prefix >= minPrefix && prefix <= maxPrefix
  );
}

/** Checks a number is an integer within [min, max], unless it is a token or absent. */
export function checkIntRange(
  problems: Problems,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (!isKnown(value)) return;
  const v = value as number;
  problems.check(
    !Number.isInteger(v) || v < min || v > max,
    `${prop} ${show(v)} is out of range; allowed: an integer from ${min} to ${max}`,
  );
}

/** Checks the task CPU/memory pair against the Fargate table. */
export function checkFargateSize(
  problems: Problems,
  cpuProp: string,
  cpu: number,
  memoryProp: string,
  memoryMiB: number,
): void {
  if (!isKnown(cpu)) return;
  const allowed = FARGATE_MEMORY_MIB[cpu];
  if (!allowed) {
    problems.add(
      `${cpuProp} ${show(cpu)} is not a Fargate task CPU value; allowed: ${Object.keys(FARGATE_MEMORY_MIB).join(", ")}`,
    );
    return;
  }
  if (!isKnown(memoryMiB)) return;
  problems.check(
    !allowed.includes(memoryMiB),
    `${memoryProp} ${show(memoryMiB)} is not valid with ${cpuProp} ${cpu}; allowed: ${allowed.join(", ")}`,
  );
}

const CONTAINER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SSM_PARAMETER_NAME = /^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const SECRETS_MANAGER_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+(:[^:]*:[^:]*:[^:]*)?$/;

/** An SSM parameter ARN: `arn:<partition>:ssm:<region>:<account>:parameter/<name>`. */
export const SSM_PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\-/]+$/;

/** A Secrets Manager secret's complete ARN, ending in the `-` and 6 characters AWS appends to the name. */
export const SECRETS_MANAGER_COMPLETE_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

/** True for a name a container environment variable may have: letters, digits, `_`, not starting with a digit. */
export function isEnvironmentVariableName(name: string): boolean {
  return ENV_NAME.test(name);
}
const DEPENDENCY_CONDITIONS = ["START", "COMPLETE", "SUCCESS", "HEALTHY"];
const AWSLOGS_REQUIRED = ["awslogs-group", "awslogs-region", "awslogs-stream-prefix"];

/** The forms ECS accepts for a secret's `valueFrom`, as named in messages. */
export const SECRET_VALUE_FROM_FORMS =
  "an SSM parameter ARN (arn:aws:ssm:<region>:<account>:parameter/<name>), an SSM parameter name in the task's region, or a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<stage>:<version>])";

/** Checks a secret `valueFrom` is one of the forms ECS resolves. Token values are not judged. */
export function checkSecretValueFrom(problems: Problems, prop: string, valueFrom: string): void {
  if (!isKnown(valueFrom)) return;
  problems.check(
    !SSM_PARAMETER_ARN.test(valueFrom) &&
      !SECRETS_MANAGER_ARN.test(valueFrom) &&
      !SSM_PARAMETER_NAME.test(valueFrom),
    `${prop} ${show(valueFrom)} is not a secret reference; allowed: ${SECRET_VALUE_FROM_FORMS}`,
  );
}

/**
 * Checks an image reference is pinned. `latest` (explicit or implied by a missing tag) is refused
 * unless allowed, because a task that restarts would silently run a different build.
 */
export function checkImagePinned(
  problems: Problems,
  prop: string,
  image: string,
  allowLatest: boolean,
): void {
  if (!isKnown(image) || allowLatest) return;
  if (image.includes("@sha256:")) return;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
  problems.check(
    tag === undefined || tag === "latest" || tag === "",
    `${prop} ${show(image)} is not pinned; allowed: an image with a version tag or @sha256 digest (set allowLatestImage to accept "latest")`,
  );
}

function checkKnownName(problems: Problems, rule: NameRule, prop: string, name: string): void {
  if (isKnown(name)) checkName(problems, rule, prop, name);
}

/** Checks a CloudWatch namespace with the rule the middleware applies too ({@link CLOUDWATCH_NAMESPACE}). */
export function checkNamespace(problems: Problems, prop: string, namespace: string): void {
  checkKnownName(problems, CLOUDWATCH_NAMESPACE, prop, namespace);
}

/** Checks a CloudWatch Logs log group name ({@link LOG_GROUP_NAME}). */
export function checkLogGroupName(problems: Problems, prop: string, name: string): void {
  checkKnownName(problems, LOG_GROUP_NAME, prop, name);
}

/** Checks a CloudWatch Logs log stream name with the rule the middleware applies too ({@link LOG_STREAM_NAME}). */
export function checkLogStreamName(problems: Problems, prop: string, name: string): void {
  checkKnownName(problems, LOG_STREAM_NAME, prop, name);
}

function checkHealthCheck(problems: Problems, prop: string, hc: HealthCheck): void {
  const first = hc.command[0];
  problems.check(
    hc.command.length === 0 || (isKnown(first) && !["CMD", "CMD-SHELL", "NONE"].includes(first ?? "")),
    `${prop}.command ${show(hc.command)} does not start with CMD, CMD-SHELL or NONE; allowed: ["CMD", "<exe>", ...], ["CMD-SHELL", "<shell command>"] or ["NONE"]`,
  );
  checkIntRange(problems, `${prop}.interval`, hc.interval, 5, 300);
  checkIntRange(problems, `${prop}.timeout`, hc.timeout, 2, 60);
  checkIntRange(problems, `${prop}.retries`, hc.retries, 1, 10);
  checkIntRange(problems, `${prop}.startPeriod`, hc.startPeriod, 0, 300);
  if (isKnown(hc.interval) && isKnown(hc.timeout) && hc.interval !== undefined && hc.timeout !== undefined) {
    problems.check(
      hc.timeout >= hc.interval,
      `${prop}.timeout ${hc.timeout} is not less than ${prop}.interval ${hc.interval}; allowed: a timeout shorter than the interval`,
    );
  }
}

/**
 * Checks a Fargate task's containers against each other and the task size: names, resource sums,
 * awsvpc ports, dependencies, logging, stop timeouts, health checks, secrets and images.
 */
export function checkContainers(
  problems: Problems,
  containers: readonly ContainerDefinition[],
  task: {
    readonly cpu: number;
    readonly memoryMiB: number;
    readonly allowLatestImage: boolean;
    /** Containers whose images their own construct already judged, with its own allowLatestImage. */
    readonly imagesChecked?: readonly string[];
  },
): void {
  const names = new Map<string, number>();
  for (const c of containers) names.set(c.name, (names.get(c.name) ?? 0) + 1);
  for (const [name, count] of names) {
    problems.check(
      count > 1,
      `containers name ${show(name)} is used ${count} times; allowed: unique container names`,
    );
  }
  problems.check(
    !containers.some((c) => c.essential !== false),
    `containers essential: no container is essential; allowed: at least one essential container`,
  );

  let cpuSum = 0;
  let memorySum = 0;
  for (const c of containers) {
    const at = `containers[${c.name}]`;
    problems.check(
      isKnown(c.name) && !CONTAINER_NAME.test(c.name),
      `${at}.name ${show(c.name)} is not a container name; allowed: 1-255 letters, digits, hyphens and underscores`,
    );
    if (!task.imagesChecked?.includes(c.name))
      checkImagePinned(problems, `${at}.image`, c.image, task.allowLatestImage);
    if (c.cpu !== undefined) checkIntRange(problems, `${at}.cpu`, c.cpu, 0, 16384);
    if (isKnown(c.cpu)) cpuSum += c.cpu ?? 0;
    const memory = c.memory ?? c.memoryReservation;
    if (isKnown(memory)) memorySum += memory ?? 0;
    if (isKnown(c.memory) && isKnown(c.memoryReservation) && c.memory !== undefined) {
      problems.check(
        (c.memoryReservation ?? 0) > c.memory,
        `${at}.memoryReservation ${c.memoryReservation} exceeds ${at}.memory ${c.memory}; allowed: a reservation no larger than the limit`,
      );
    }

    for (const [i, pm] of (c.portMappings ?? []).entries()) {
      const p = `${at}.portMappings[${i}]`;
      checkIntRange(problems, `${p}.containerPort`, pm.containerPort, 1, 65535);
      problems.check(
        isKnown(pm.hostPort) && isKnown(pm.containerPort) && pm.hostPort !== pm.containerPort,
        `${p}.hostPort ${pm.hostPort} differs from containerPort ${pm.containerPort}; allowed: on awsvpc, hostPort equal to containerPort or omitted`,
      );
    }

    const envNames = new Set<string>();
    for (const v of [...(c.environment ?? []), ...(c.secrets ?? [])]) {
      problems.check(
        isKnown(v.name) && !isEnvironmentVariableName(v.name),
        `${at} variable ${show(v.name)} is not an environment variable name; allowed: letters, digits and underscores, not starting with a digit`,
      );
      problems.check(
        envNames.has(v.name),
        `${at} variable ${show(v.name)} is set more than once; allowed: each name once across environment and secrets`,
      );
      envNames.add(v.name);
    }
    for (const s of c.secrets ?? [])
      checkSecretValueFrom(problems, `${at}.secrets[${s.name}].valueFrom`, s.valueFrom);

    for (const d of c.dependsOn ?? []) {
      const p = `${at}.dependsOn[${d.containerName}]`;
      const target = containers.find((t) => t.name === d.containerName);
      problems.check(
        !DEPENDENCY_CONDITIONS.includes(d.condition),
        `${p}.condition ${show(d.condition)} is not a dependency condition; allowed: ${DEPENDENCY_CONDITIONS.join(", ")}`,
      );
      if (!target || target === c) {
        problems.add(
          `${p}.containerName ${show(d.containerName)} is not another container of the task; allowed: ${containers
            .filter((t) => t !== c)
            .map((t) => t.name)
            .join(", ")}`,
        );
      } else {
        problems.check(
          d.condition === "HEALTHY" && !target.healthCheck,
          `${p}.condition "HEALTHY" needs a health check on ${show(d.containerName)}; allowed: START, COMPLETE or SUCCESS, or add a health check to the target`,
        );
      }
    }

    const log = c.logConfiguration;
    if (log?.logDriver === "awslogs") {
      for (const option of AWSLOGS_REQUIRED) {
        problems.check(
          !log.options?.[option],
          `${at}.logConfiguration.options.${option} is missing; allowed: awslogs on Fargate needs ${AWSLOGS_REQUIRED.join(", ")}`,
        );
      }
    }

    checkIntRange(problems, `${at}.stopTimeout`, c.stopTimeout, 2, 120);
    if (c.healthCheck) checkHealthCheck(problems, `${at}.healthCheck`, c.healthCheck);
  }

  if (isKnown(task.cpu)) {
    problems.check(
      cpuSum > task.cpu,
      `containers cpu adds up to ${cpuSum}, more than the task's cpu ${task.cpu}; allowed: a sum of at most ${task.cpu}`,
    );
  }
  if (isKnown(task.memoryMiB)) {
    problems.check(
      memorySum > task.memoryMiB,
      `containers memory adds up to ${memorySum} MiB, more than the task's memoryMiB ${task.memoryMiB}; allowed: a sum of at most ${task.memoryMiB}`,
    );
  }
}
