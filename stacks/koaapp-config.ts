import { readFileSync } from "node:fs";
import { APP_KEEP_ALIVE_TIMEOUT_MS } from "../contract/http";
import { METRICS_MODES } from "../contract/metrics";
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
import { SETTINGS, type Setting, type Sources } from "./koaapp-settings";

export type {
  BackendConfig,
  DatabaseConfig,
  KoaAppConfig,
  LoadBalancerConfig,
  NetworkConfig,
  ScalingConfig,
} from "./koaapp-config-types";
export { SETTINGS } from "./koaapp-settings";

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

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

/**
 * Builds the stack configuration from context values (cdktf.json `context`, or `-c` on the CLI) and
 * environment variables (which win), validating everything and reporting all problems at once.
 */
export function loadKoaAppConfig(
  context: (key: string) => unknown,
  env: NodeJS.ProcessEnv = process.env,
): KoaAppConfig {
  const raw = {} as Record<keyof Sources, string>;
  for (const s of SETTINGS) {
    const fromEnv = env[s.env];
    const fromContext = context(s.key);
    raw[s.key] =
      fromEnv !== undefined && fromEnv !== ""
        ? fromEnv
        : fromContext !== undefined
          ? typeof fromContext === "string"
            ? fromContext
            : JSON.stringify(fromContext)
          : s.default;
  }
  const problems = new Problems();
  const where = (key: keyof Sources) => {
    const s = SETTINGS.find((x) => x.key === key) as Setting;
    return `${key} (${s.env})`;
  };
  const int = (key: keyof Sources): number => {
    const n = Number(raw[key]);
    if (!/^\d+$/.test(raw[key]) || !Number.isSafeInteger(n)) {
      problems.add(`${where(key)} ${show(raw[key])} is not a whole number; allowed: digits only`);
    }
    return n;
  };
  const list = (key: keyof Sources): string[] => {
    const value = raw[key].trim();
    if (value.startsWith("[")) {
      try {
        const parsed = JSON.parse(value) as unknown;
        if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed;
      } catch {
        // Reported below as not a list.
      }
      problems.add(
        `${where(key)} ${value} is not a list; allowed: a JSON array of strings or comma-separated values`,
      );
      return [];
    }
    return value === "" ? [] : value.split(",").map((x) => x.trim());
  };
  const oneOf = <T extends string>(key: keyof Sources, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(raw[key])) {
      problems.add(`${where(key)} ${show(raw[key])} is not allowed; allowed: ${allowed.join(", ")}`);
    }
    return raw[key] as T;
  };

  const region = raw.region;
  if (!REGION.test(region))
    problems.add(`${where("region")} ${show(region)} is not an AWS region; allowed: e.g. eu-west-2`);
  const imageUri = raw.imageUri === "" ? undefined : raw.imageUri;
  const desiredCount = int("desiredCount");
  const taskCpu = int("taskCpu");
  const taskMemoryMiB = int("taskMemoryMiB");
  const appCpu = int("appCpu");
  const appMemoryMiB = int("appMemoryMiB");
  const logRetentionDays = int("logRetentionDays");
  const metricsMode = oneOf("metricsMode", METRICS_MODES);
  const ingressCidrs = list("ingressCidrs");
  const azs = list("availabilityZones");

  let network: NetworkConfig;
  if (raw.vpcId === "") {
    const subnets = list("subnetIds");
    if (subnets.length > 0)
      problems.add(`${where("subnetIds")} is set without vpcId; allowed: both, or neither to create a VPC`);
    if (raw.outbound !== "")
      problems.add(
        `${where("outbound")} is set without vpcId; allowed: with an existing VPC only (the created VPC's tasks use publicIp)`,
      );
    network = {
      create: true,
      cidrBlock: raw.vpcCidr,
      availabilityZones: azs.length > 0 ? azs : [`${region}a`, `${region}b`],
    };
  } else {
    const subnetIds = list("subnetIds");
    if (subnetIds.length === 0)
      problems.add(`${where("subnetIds")} is empty while vpcId is set; allowed: one or more subnet IDs`);
    const outbound = oneOf("outbound", ["publicIp", "nat", "vpcEndpoints"] as const);
    network = {
      create: false,
      vpcId: raw.vpcId,
      subnetIds,
      databaseSubnetIds: list("databaseSubnetIds"),
      outbound,
    };
  }

  let database: DatabaseConfig;
  const databaseMode = oneOf("database", ["create", "existing"] as const);
  if (databaseMode === "existing") {
    database = { create: false, parameters: existingParameters(raw.existingParameters, { problems, where }) };
  } else {
    if (!network.create && network.databaseSubnetIds.length < 2) {
      problems.add(
        `${where("databaseSubnetIds")} has ${network.databaseSubnetIds.length} subnets; allowed: two or more private subnets to create a database in an existing VPC`,
      );
    }
    const deletionProtection = oneOf("databaseDeletionProtection", ["true", "false"] as const) === "true";
    database = { create: true, instanceClass: raw.databaseInstanceClass, deletionProtection };
  }

  let backend: BackendConfig;
  const backendType = oneOf("backend", ["local", "s3", "none"] as const);
  if (backendType === "s3") {
    if (raw.stateBucket === "")
      problems.add(`${where("stateBucket")} is empty; allowed: the name of an S3 bucket when backend is s3`);
    backend = { type: "s3", bucket: raw.stateBucket, key: raw.stateKey, region: raw.stateRegion || region };
  } else {
    backend = { type: backendType === "none" ? "none" : "local" };
  }

  const latencyP99ThresholdMs = int("latencyP99ThresholdMs");
  const errorRateThresholdPercent = Number(raw.errorRateThresholdPercent);
  if (
    !/^\d+(\.\d+)?$/.test(raw.errorRateThresholdPercent) ||
    errorRateThresholdPercent <= 0 ||
    errorRateThresholdPercent > 100
  ) {
    problems.add(
      `${where("errorRateThresholdPercent")} ${show(raw.errorRateThresholdPercent)} is not a percentage; allowed: a number above 0, at most 100`,
    );
  }

  const loadBalancer = loadBalancerConfig(raw, network, ingressCidrs, { problems, int, list, oneOf, where });
  const healthCheckPath = raw.healthCheckPath;
  const scaling: ScalingConfig = {
    minCount: int("minCount"),
    maxCount: int("maxCount"),
    cpuTargetPercent: int("cpuTargetPercent"),
    requestsPerTarget: int("requestsPerTarget"),
    scaleOutLatencyP99Ms: int("scaleOutLatencyP99Ms"),
    onDemandBase: int("onDemandBase"),
    onDemandWeight: int("onDemandWeight"),
    spotWeight: int("spotWeight"),
  };
  problems.check(
    scaling.minCount > scaling.maxCount,
    `${where("minCount")} ${scaling.minCount} is above ${where("maxCount")} ${scaling.maxCount}; allowed: minCount at most maxCount`,
  );
  const waitForSteadyState = oneOf("waitForSteadyState", ["true", "false"] as const) === "true";

  if (!problems.isEmpty) throw new ConfigError(problems.all);
  return {
    region,
    serviceName: raw.serviceName,
    environmentName: raw.environmentName,
    ...(imageUri ? { imageUri } : { imageTag: raw.imageTag }),
    desiredCount,
    taskCpu,
    taskMemoryMiB,
    appCpu,
    appMemoryMiB,
    namespace: raw.namespace,
    metricsMode,
    logRetentionDays,
    ingressCidrs,
    loadBalancer,
    healthCheckPath,
    scaling,
    waitForSteadyState,
    network,
    database,
    backend,
    latencyP99ThresholdMs,
    errorRateThresholdPercent,
    ...(raw.alarmTopicArn ? { alarmTopicArn: raw.alarmTopicArn } : {}),
  };
}

/** The capacity provider strategy of a scaling configuration; undefined for on-demand only (launch type). */
export function capacityStrategyOf(
  scaling: ScalingConfig,
): { capacityProvider: "FARGATE" | "FARGATE_SPOT"; base?: number; weight: number }[] | undefined {
  if (scaling.spotWeight === 0 && scaling.onDemandBase === 0 && scaling.onDemandWeight > 0) return undefined;
  return [
    { capacityProvider: "FARGATE", base: scaling.onDemandBase, weight: scaling.onDemandWeight },
    { capacityProvider: "FARGATE_SPOT", weight: scaling.spotWeight },
  ];
}

/** The parsers of {@link loadKoaAppConfig}, shared with the helpers that read groups of settings. */
interface Readers {
  readonly problems: Problems;
  readonly int: (key: keyof Sources) => number;
  readonly list: (key: keyof Sources) => string[];
  readonly oneOf: <T extends string>(key: keyof Sources, allowed: readonly T[]) => T;
  readonly where: (key: keyof Sources) => string;
}

function loadBalancerConfig(
  raw: Record<keyof Sources, string>,
  network: NetworkConfig,
  ingressCidrs: readonly string[],
  { problems, int, list, oneOf, where }: Readers,
): LoadBalancerConfig {
  const type = oneOf("loadBalancer", ["public", "internal", "none"] as const);
  if (type === "none") return { type };
  const subnetIds = list("loadBalancerSubnetIds");
  problems.check(
    network.create && subnetIds.length > 0,
    `${where("loadBalancerSubnetIds")} is set without vpcId; allowed: with an existing VPC only (a created VPC puts the load balancer in its public subnets)`,
  );
  problems.check(
    !network.create && subnetIds.length === 0 && network.subnetIds.length === 1,
    `${where("loadBalancerSubnetIds")} is empty and subnetIds has 1 subnet; allowed: two or more subnets in different zones for the load balancer`,
  );
  problems.check(
    type === "internal" && !network.create && ingressCidrs.length === 0,
    `${where("ingressCidrs")} is empty for an internal load balancer in an existing VPC; allowed: the CIDRs of the clients that call it`,
  );
  const certificateArn = raw.certificateArn === "" ? undefined : raw.certificateArn;
  const idleTimeoutSeconds = int("idleTimeoutSeconds");
  const keepAliveSeconds = APP_KEEP_ALIVE_TIMEOUT_MS / 1000;
  // The app closes idle connections after its keep-alive; the load balancer must give up on them first,
  // or it reuses a connection the app just closed and answers 502.
  problems.check(
    idleTimeoutSeconds >= keepAliveSeconds || idleTimeoutSeconds < 1,
    `${where("idleTimeoutSeconds")} ${idleTimeoutSeconds} is not below the app's keep-alive timeout of ${keepAliveSeconds} s; allowed: 1 to ${keepAliveSeconds - 1}, so the load balancer closes idle connections before the app does`,
  );
  const deletionProtection =
    raw.loadBalancerDeletionProtection === ""
      ? raw.environmentName === "prod"
      : oneOf("loadBalancerDeletionProtection", ["true", "false"] as const) === "true";
  return {
    type,
    ...(certificateArn ? { certificateArn } : {}),
    subnetIds,
    idleTimeoutSeconds,
    deregistrationDelaySeconds: int("deregistrationDelaySeconds"),
    deletionProtection,
    ...(raw.accessLogsBucket ? { accessLogsBucket: raw.accessLogsBucket } : {}),
  };
}

/**
 * The `existingParameters` setting: a JSON object from the app's secret variables to an SSM parameter name or
 * ARN, a Secrets Manager ARN, or a `{ valueFrom, store, jsonKey? }` reference. The references themselves are
 * judged by AppParameters.
 */
function existingParameters(
  text: string,
  { problems, where }: Pick<Readers, "problems" | "where">,
): Record<string, string | SecretReference> {
  let parsed: unknown = {};
  try {
    parsed = JSON.parse(text || "{}");
  } catch (error) {
    problems.add(
      `${where("existingParameters")} is not JSON (${(error as Error).message}); allowed: {"RDS_USERNAME": "<name or ARN>", ...}`,
    );
    return {};
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    problems.add(
      `${where("existingParameters")} ${text} is not a JSON object; allowed: {"RDS_USERNAME": "<name or ARN>", ...}`,
    );
    return {};
  }
  const parameters = parsed as Record<string, unknown>;
  for (const [name, reference] of Object.entries(parameters)) {
    problems.check(
      !(KOAAPP_SECRET_NAMES as readonly string[]).includes(name),
      `${where("existingParameters")} names ${name}, which the app does not read; allowed: ${KOAAPP_SECRET_NAMES.join(", ")}`,
    );
    problems.check(
      typeof reference !== "string" && (typeof reference !== "object" || reference === null),
      `${where("existingParameters")} gives ${name} ${show(reference)}; allowed: "<SSM name or ARN, or Secrets Manager ARN>" or {"valueFrom": "...", "store": "ssm" | "secretsmanager", "jsonKey": "..."}`,
    );
  }
  return parameters as Record<string, string | SecretReference>;
}
