import { readFileSync } from "node:fs";
import { APP_KEEP_ALIVE_TIMEOUT_MS } from "../contract/http";
import { DEFAULT_METRICS_MODE, METRICS_MODES } from "../contract/metrics";
import { Reader, type Source } from "../contract/parsers";
import { Problems, ProblemsError, show } from "../contract/problems";
import type { SecretReference } from "../modules";
import type {
  BackendConfig,
  DatabaseConfig,
  KoaAppConfig,
  LoadBalancerConfig,
  NetworkConfig,
  ScalingConfig,
} from "./koaapp-config-types";
import { KOAAPP_SECRET_NAMES } from "./koaapp-container";
import { SETTINGS, type Setting, type Sources, VARIABLE_DEFAULT_RANGES } from "./koaapp-settings";

export type {
  BackendConfig,
  DatabaseConfig,
  KoaAppConfig,
  LoadBalancerConfig,
  NetworkConfig,
  ScalingConfig,
} from "./koaapp-config-types";
export { MAX_TASK_COUNT, SETTINGS, VARIABLE_DEFAULT_RANGES } from "./koaapp-settings";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** A setting's key. */
type Key = keyof Sources;

/** Thrown with every configuration problem at once; `problems` has one entry per problem. */
export class ConfigError extends ProblemsError {
  /** @param problems - one message per invalid setting */
  constructor(problems: readonly string[]) {
    super("koaapp configuration is invalid", problems);
  }
}

/** Reads the `context` of cdktf.json in `dir`, so a plain `node main.ts` synth sees what `cdktf synth` would. */
export function readCdktfContext(dir = process.cwd()): Record<string, unknown> {
  const cdktfJson = JSON.parse(readFileSync(`${dir}/cdktf.json`, "utf8")) as {
    context?: Record<string, unknown>;
  };
  return cdktfJson.context ?? {};
}

/** How messages name a setting: its key and its variable, `desiredCount (KOAAPP_DESIRED_COUNT)`. */
function nameOf(key: Key): string {
  return `${key} (${(SETTINGS.find((s) => s.key === key) as Setting).env})`;
}

/**
 * The settings as a source: the environment variable when set and not empty, else the context value (JSON
 * types as they are, text parsed) unless it is `""`, else the setting's default; `""` everywhere counts as unset.
 */
function settingsSource(context: (key: string) => unknown, env: NodeJS.ProcessEnv): Source<Key> {
  return (key) => {
    const setting = SETTINGS.find((s) => s.key === key) as Setting;
    const name = nameOf(key);
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, name };
    const fromContext = context(key);
    if (fromContext !== undefined && fromContext !== "") return { value: fromContext, name };
    return setting.default === "" ? undefined : { value: setting.default, name };
  };
}

/**
 * Builds the stack configuration from context values (cdktf.json `context`, or `-c` on the CLI) and
 * environment variables (which win), validating everything and reporting all problems at once.
 *
 * It checks what only the configuration can: types and forms of the settings, the ranges of the settings that
 * are Terraform variable defaults (which the constructs receive as variables and cannot judge), and how settings
 * combine. What the constructs check themselves at synth (the certificate and topic ARNs, the health-check
 * path, sizes, the capacity provider strategy, ...) they report naming their prop.
 */
export function loadKoaAppConfig(
  context: (key: string) => unknown,
  env: NodeJS.ProcessEnv = process.env,
): KoaAppConfig {
  const problems = new Problems();
  const read = new Reader<Key>(problems, settingsSource(context, env));
  // A setting with a default always has a value, so the fallbacks after `??` below only stand in for a refused
  // value (already recorded) until the error is thrown; NaN keeps one out of the comparisons meanwhile.
  const int = (key: Key, range: { min?: number; max?: number } = { min: 0 }): number =>
    read.integer(key, range) ?? Number.NaN;
  const text = (key: Key): string => read.string(key) ?? "";
  const list = (key: Key): string[] => read.list(key) ?? [];
  const flag = (key: Key): boolean => read.boolean(key) ?? false;

  const region =
    read.string("region", { pattern: REGION, what: "an AWS region", allowed: "e.g. eu-west-2" }) ?? "";
  const serviceName = text("serviceName");
  const environmentName = text("environmentName");
  const imageUri = read.string("imageUri");
  const imageTag = text("imageTag");
  const desiredCount = int("desiredCount", VARIABLE_DEFAULT_RANGES.desiredCount);
  const taskCpu = int("taskCpu");
  const taskMemoryMiB = int("taskMemoryMiB");
  const appCpu = int("appCpu");
  const appMemoryMiB = int("appMemoryMiB");
  const logRetentionDays = int("logRetentionDays");
  const namespace = text("namespace");
  const metricsMode = read.oneOf("metricsMode", METRICS_MODES) ?? DEFAULT_METRICS_MODE;
  const ingressCidrs = list("ingressCidrs");
  const azs = list("availabilityZones");

  let network: NetworkConfig;
  const vpcId = read.string("vpcId");
  if (vpcId === undefined) {
    const subnets = list("subnetIds");
    if (subnets.length > 0)
      problems.add(`${nameOf("subnetIds")} is set without vpcId; allowed: both, or neither to create a VPC`);
    if (read.isSet("outbound"))
      problems.add(
        `${nameOf("outbound")} is set without vpcId; allowed: with an existing VPC only (the created VPC's tasks use publicIp)`,
      );
    network = {
      create: true,
      cidrBlock: text("vpcCidr"),
      availabilityZones: azs.length > 0 ? azs : [`${region}a`, `${region}b`],
    };
  } else {
    const subnetIds = list("subnetIds");
    if (subnetIds.length === 0)
      problems.add(`${nameOf("subnetIds")} is empty while vpcId is set; allowed: one or more subnet IDs`);
    const outbound = read.oneOf("outbound", ["publicIp", "nat", "vpcEndpoints"] as const);
    if (!read.isSet("outbound"))
      problems.add(
        `${nameOf("outbound")} is not set while vpcId is; allowed: publicIp (public subnets), nat (private subnets with a NAT gateway) or vpcEndpoints (private subnets with VPC endpoints)`,
      );
    network = {
      create: false,
      vpcId,
      subnetIds,
      databaseSubnetIds: list("databaseSubnetIds"),
      outbound: outbound ?? "nat",
    };
  }

  let database: DatabaseConfig;
  const databaseMode = read.oneOf("database", ["create", "existing"] as const);
  if (databaseMode === "existing") {
    database = { create: false, parameters: existingParameters(read, problems) };
  } else {
    if (!network.create && network.databaseSubnetIds.length < 2) {
      problems.add(
        `${nameOf("databaseSubnetIds")} has ${network.databaseSubnetIds.length} subnets; allowed: two or more private subnets to create a database in an existing VPC`,
      );
    }
    database = {
      create: true,
      instanceClass: text("databaseInstanceClass"),
      deletionProtection: flag("databaseDeletionProtection"),
    };
  }

  let backend: BackendConfig;
  const backendType = read.oneOf("backend", ["local", "s3", "none"] as const);
  if (backendType === "s3") {
    const bucket = read.string("stateBucket");
    if (bucket === undefined)
      problems.add(`${nameOf("stateBucket")} is empty; allowed: the name of an S3 bucket when backend is s3`);
    backend = {
      type: "s3",
      bucket: bucket ?? "",
      key: text("stateKey"),
      region: read.string("stateRegion") ?? region,
    };
  } else {
    backend = { type: backendType === "none" ? "none" : "local" };
  }

  const latencyP99ThresholdMs = int("latencyP99ThresholdMs", VARIABLE_DEFAULT_RANGES.latencyP99ThresholdMs);
  const errorRateThresholdPercent =
    read.number("errorRateThresholdPercent", VARIABLE_DEFAULT_RANGES.errorRateThresholdPercent) ?? Number.NaN;
  const alarmTopicArn = read.string("alarmTopicArn");

  const loadBalancer = loadBalancerConfig(read, problems, network, ingressCidrs, environmentName);
  // The path also goes into the container health check's command, which nothing else judges without a load balancer.
  const healthCheckPath =
    read.string("healthCheckPath", {
      pattern: /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1023}$/,
      what: "an absolute path",
      allowed: 'a path starting with / (no spaces or query string), e.g. "/health"',
    }) ?? "/health";
  const scaling: ScalingConfig = {
    minCount: int("minCount", VARIABLE_DEFAULT_RANGES.minCount),
    maxCount: int("maxCount", VARIABLE_DEFAULT_RANGES.maxCount),
    cpuTargetPercent: int("cpuTargetPercent"),
    requestsPerTarget: int("requestsPerTarget"),
    scaleOutLatencyP99Ms: int("scaleOutLatencyP99Ms", VARIABLE_DEFAULT_RANGES.scaleOutLatencyP99Ms),
    onDemandBase: int("onDemandBase"),
    onDemandWeight: int("onDemandWeight"),
    spotWeight: int("spotWeight"),
  };
  // Both are Terraform variable defaults: the autoscaling construct only ever sees the variables.
  problems.check(
    scaling.minCount > scaling.maxCount,
    `${nameOf("minCount")} ${show(scaling.minCount)} is above ${nameOf("maxCount")} ${show(scaling.maxCount)}; allowed: ${nameOf("minCount")} at most ${nameOf("maxCount")}`,
  );
  const waitForSteadyState = flag("waitForSteadyState");
  const releasedBy = read.oneOf("releasedBy", ["terraform", "pipeline"] as const) ?? "terraform";

  const phase = read.oneOf("phase", ["registry", "service"] as const) ?? "service";
  problems.check(
    phase === "registry" && imageUri !== undefined,
    `${nameOf("phase")} "registry" is set with ${nameOf("imageUri")}; allowed: registry only when the stack creates the repository (imageUri unset), or service`,
  );

  const agentImage = read.string("agentImage");

  if (!problems.isEmpty) throw new ConfigError(problems.all);
  return {
    phase,
    ...(agentImage ? { agentImage } : {}),
    region,
    serviceName,
    environmentName,
    ...(imageUri ? { imageUri } : { imageTag }),
    desiredCount,
    taskCpu,
    taskMemoryMiB,
    appCpu,
    appMemoryMiB,
    namespace,
    metricsMode,
    logRetentionDays,
    ingressCidrs,
    loadBalancer,
    healthCheckPath,
    scaling,
    waitForSteadyState,
    releasedBy,
    network,
    database,
    backend,
    latencyP99ThresholdMs,
    errorRateThresholdPercent,
    ...(alarmTopicArn ? { alarmTopicArn } : {}),
  };
}

function loadBalancerConfig(
  read: Reader<Key>,
  problems: Problems,
  network: NetworkConfig,
  ingressCidrs: readonly string[],
  environmentName: string,
): LoadBalancerConfig {
  const type = read.oneOf("loadBalancer", ["public", "internal", "none"] as const);
  if (type === "none") return { type };
  const subnetIds = read.list("loadBalancerSubnetIds") ?? [];
  problems.check(
    network.create && subnetIds.length > 0,
    `${nameOf("loadBalancerSubnetIds")} is set without vpcId; allowed: with an existing VPC only (a created VPC puts the load balancer in its public subnets)`,
  );
  // The tasks' subnets are no default: in an existing VPC they are often private, and an internet-facing load
  // balancer there would be unreachable.
  problems.check(
    !network.create && subnetIds.length === 0,
    `${nameOf("loadBalancerSubnetIds")} is empty while vpcId is set; allowed: two or more subnets in different zones for the load balancer — public ones (a route to an internet gateway) for loadBalancer=public`,
  );
  problems.check(
    type === "internal" && !network.create && ingressCidrs.length === 0,
    `${nameOf("ingressCidrs")} is empty for an internal load balancer in an existing VPC; allowed: the CIDRs of the clients that call it`,
  );
  const certificateArn = read.string("certificateArn");
  const idleTimeoutSeconds = read.integer("idleTimeoutSeconds", { min: 0 }) ?? Number.NaN;
  const keepAliveSeconds = APP_KEEP_ALIVE_TIMEOUT_MS / 1000;
  // The app closes idle connections after its keep-alive; the load balancer must give up on them first,
  // or it reuses a connection the app just closed and answers 502.
  problems.check(
    idleTimeoutSeconds >= keepAliveSeconds || idleTimeoutSeconds < 1,
    `${nameOf("idleTimeoutSeconds")} ${idleTimeoutSeconds} is not below the app's keep-alive timeout of ${keepAliveSeconds} s; allowed: 1 to ${keepAliveSeconds - 1}, so the load balancer closes idle connections before the app does`,
  );
  const accessLogsBucket = read.string("accessLogsBucket");
  return {
    type: type ?? "public",
    ...(certificateArn ? { certificateArn } : {}),
    subnetIds,
    idleTimeoutSeconds,
    deregistrationDelaySeconds: read.integer("deregistrationDelaySeconds", { min: 0 }) ?? Number.NaN,
    deletionProtection: read.boolean("loadBalancerDeletionProtection") ?? environmentName === "prod",
    ...(accessLogsBucket ? { accessLogsBucket } : {}),
  };
}

/**
 * The `existingParameters` setting: a JSON object (from context, also an object as it is) from the app's secret
 * variables to an SSM parameter name or ARN, a Secrets Manager ARN, or a `{ valueFrom, store, jsonKey? }`
 * reference. The references themselves are judged by AppParameters.
 */
function existingParameters(read: Reader<Key>, problems: Problems): Record<string, string | SecretReference> {
  const name = nameOf("existingParameters");
  const allowed = 'allowed: {"RDS_USERNAME": "<name or ARN>", ...}';
  const given = read.raw("existingParameters") ?? {};
  let parsed = given;
  // JSON text is parsed here rather than by a Reader parser: the message quotes JSON.parse's reason.
  if (typeof given === "string") {
    try {
      parsed = JSON.parse(given);
    } catch (error) {
      problems.add(`${name} is not JSON (${(error as Error).message}); ${allowed}`);
      return {};
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const shown = typeof given === "string" ? given : JSON.stringify(given);
    problems.add(`${name} ${shown} is not a JSON object; ${allowed}`);
    return {};
  }
  const parameters = parsed as Record<string, unknown>;
  for (const [variable, reference] of Object.entries(parameters)) {
    problems.check(
      !(KOAAPP_SECRET_NAMES as readonly string[]).includes(variable),
      `${name} names ${variable}, which the app does not read; allowed: ${KOAAPP_SECRET_NAMES.join(", ")}`,
    );
    problems.check(
      typeof reference !== "string" && (typeof reference !== "object" || reference === null),
      `${name} gives ${variable} ${show(reference)}; allowed: "<SSM name or ARN, or Secrets Manager ARN>" or {"valueFrom": "...", "store": "ssm" | "secretsmanager", "jsonKey": "..."}`,
    );
  }
  return parameters as Record<string, string | SecretReference>;
}
