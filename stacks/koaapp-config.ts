import { readFileSync } from "node:fs";
import { DEFAULT_NAMESPACE } from "../contract/metrics";
import type { MetricsMode } from "../modules/emf-fargate-service";

/** Where the stack's network comes from. */
export type NetworkConfig =
  | {
      /** The stack creates a VPC with public and private subnets. */
      readonly create: true;
      /** CIDR of the created VPC. */
      readonly cidrBlock: string;
      /** Zones of the created subnets. */
      readonly availabilityZones: readonly string[];
    }
  | {
      /** An existing network. */
      readonly create: false;
      /** Existing VPC. */
      readonly vpcId: string;
      /** Subnets for the tasks. */
      readonly subnetIds: readonly string[];
      /** Private subnets for a created database. */
      readonly databaseSubnetIds: readonly string[];
    };

/** Where the database comes from. */
export type DatabaseConfig =
  | {
      /** The stack creates an RDS PostgreSQL instance and wires it into the parameters. */
      readonly create: true;
      /** Instance class. */
      readonly instanceClass: string;
      /** Keep the instance from being deleted. */
      readonly deletionProtection: boolean;
    }
  | {
      /** An existing database: its six parameters are referenced by name or ARN. */
      readonly create: false;
      /** Existing parameters for RDS_USERNAME, RDS_PASSWORD, RDS_DB_NAME, RDS_HOSTNAME, RDS_PORT, APP_SECRET. */
      readonly parameters: Readonly<Record<string, string>>;
    };

/** Where Terraform keeps the state. */
export type BackendConfig =
  | { readonly type: "local" }
  | { readonly type: "none" }
  | { readonly type: "s3"; readonly bucket: string; readonly key: string; readonly region: string };

/** The typed, validated configuration of the `koaapp` stack. */
export interface KoaAppConfig {
  /** AWS region. */
  readonly region: string;
  /** Service name: ECS service, task family, repository, log groups. */
  readonly serviceName: string;
  /** Environment name (`ENV_TYPE`). */
  readonly environmentName: string;
  /** Tag of the image in the created ECR repository (unless imageUri). */
  readonly imageTag?: string;
  /** Full image URI instead of the created repository. */
  readonly imageUri?: string;
  /** Number of tasks. */
  readonly desiredCount: number;
  /** Task CPU units. */
  readonly taskCpu: number;
  /** Task memory (MiB). */
  readonly taskMemoryMiB: number;
  /** App container CPU units. */
  readonly appCpu: number;
  /** App container memory (MiB). */
  readonly appMemoryMiB: number;
  /** CloudWatch namespace of the metrics. */
  readonly namespace: string;
  /** How the app publishes metrics. */
  readonly metricsMode: MetricsMode;
  /** Days to keep logs. */
  readonly logRetentionDays: number;
  /** CIDR blocks admitted to the app port. */
  readonly ingressCidrs: readonly string[];
  /** Network. */
  readonly network: NetworkConfig;
  /** Database. */
  readonly database: DatabaseConfig;
  /** State backend. */
  readonly backend: BackendConfig;
  /** Default p99 latency alarm threshold (ms). */
  readonly latencyP99ThresholdMs: number;
  /** Default 5xx-rate alarm threshold (percent). */
  readonly errorRateThresholdPercent: number;
  /** Existing SNS topic for alarm notifications. */
  readonly alarmTopicArn?: string;
}

/** One configuration setting: its context key, environment variable, and default. */
interface Setting {
  readonly key: keyof Sources;
  readonly env: string;
  readonly description: string;
  readonly default: string;
}

type Sources = {
  region: string;
  serviceName: string;
  environmentName: string;
  imageTag: string;
  imageUri: string;
  desiredCount: string;
  taskCpu: string;
  taskMemoryMiB: string;
  appCpu: string;
  appMemoryMiB: string;
  namespace: string;
  metricsMode: string;
  logRetentionDays: string;
  ingressCidrs: string;
  vpcCidr: string;
  availabilityZones: string;
  vpcId: string;
  subnetIds: string;
  databaseSubnetIds: string;
  database: string;
  databaseInstanceClass: string;
  databaseDeletionProtection: string;
  existingParameters: string;
  backend: string;
  stateBucket: string;
  stateKey: string;
  stateRegion: string;
  latencyP99ThresholdMs: string;
  errorRateThresholdPercent: string;
  alarmTopicArn: string;
};

/**
 * Every setting, in the order of the README's configuration table. Context keys go in cdktf.json's
 * `context`; environment variables win over context.
 */
export const SETTINGS: readonly Setting[] = [
  { key: "region", env: "KOAAPP_REGION", default: "eu-west-2", description: "AWS region" },
  {
    key: "serviceName",
    env: "KOAAPP_SERVICE_NAME",
    default: "koaapp",
    description: "ECS service, task family, ECR repository and log group names",
  },
  {
    key: "environmentName",
    env: "KOAAPP_ENVIRONMENT",
    default: "prod",
    description: "Environment name, passed to the app as ENV_TYPE",
  },
  {
    key: "imageTag",
    env: "KOAAPP_IMAGE_TAG",
    default: "0.1.0",
    description: "Default of the image_tag variable (ignored when imageUri is set)",
  },
  {
    key: "imageUri",
    env: "KOAAPP_IMAGE_URI",
    default: "",
    description: "Run this image instead of a created repository: default of the image_uri variable",
  },
  {
    key: "desiredCount",
    env: "KOAAPP_DESIRED_COUNT",
    default: "1",
    description: "Default of the desired_count variable",
  },
  { key: "taskCpu", env: "KOAAPP_TASK_CPU", default: "512", description: "Task CPU units (Fargate table)" },
  {
    key: "taskMemoryMiB",
    env: "KOAAPP_TASK_MEMORY_MIB",
    default: "1024",
    description: "Task memory in MiB (Fargate table)",
  },
  { key: "appCpu", env: "KOAAPP_APP_CPU", default: "256", description: "App container CPU units" },
  {
    key: "appMemoryMiB",
    env: "KOAAPP_APP_MEMORY_MIB",
    default: "512",
    description: "App container memory limit in MiB",
  },
  {
    key: "namespace",
    env: "KOAAPP_NAMESPACE",
    default: DEFAULT_NAMESPACE,
    description: "CloudWatch namespace of the metrics",
  },
  {
    key: "metricsMode",
    env: "KOAAPP_METRICS_MODE",
    default: "aggregate",
    description: "off, aggregate or request",
  },
  {
    key: "logRetentionDays",
    env: "KOAAPP_LOG_RETENTION_DAYS",
    default: "30",
    description: "Days to keep container logs and EMF documents",
  },
  {
    key: "ingressCidrs",
    env: "KOAAPP_INGRESS_CIDRS",
    default: "",
    description: "Comma-separated CIDRs admitted to port 5000 (default: the VPC's own CIDR)",
  },
  { key: "vpcCidr", env: "KOAAPP_VPC_CIDR", default: "10.0.0.0/16", description: "CIDR of the created VPC" },
  {
    key: "availabilityZones",
    env: "KOAAPP_AZS",
    default: "",
    description: "Comma-separated zones of the created VPC (default: <region>a,<region>b)",
  },
  { key: "vpcId", env: "KOAAPP_VPC_ID", default: "", description: "Existing VPC: no VPC is created" },
  {
    key: "subnetIds",
    env: "KOAAPP_SUBNET_IDS",
    default: "",
    description: "Existing subnets for the tasks (with vpcId)",
  },
  {
    key: "databaseSubnetIds",
    env: "KOAAPP_DB_SUBNET_IDS",
    default: "",
    description: "Existing private subnets for a created database (with vpcId)",
  },
  {
    key: "database",
    env: "KOAAPP_DATABASE",
    default: "create",
    description: "create (RDS PostgreSQL) or existing",
  },
  {
    key: "databaseInstanceClass",
    env: "KOAAPP_DB_INSTANCE_CLASS",
    default: "db.t4g.micro",
    description: "Instance class of a created database",
  },
  {
    key: "databaseDeletionProtection",
    env: "KOAAPP_DB_DELETION_PROTECTION",
    default: "true",
    description: "Deletion protection of a created database",
  },
  {
    key: "existingParameters",
    env: "KOAAPP_EXISTING_PARAMETERS",
    default: "",
    description: "With database=existing: JSON object of the six variables to SSM parameter names or ARNs",
  },
  {
    key: "backend",
    env: "KOAAPP_BACKEND",
    default: "local",
    description: "local, s3, or none (no backend block: for use as a child module)",
  },
  {
    key: "stateBucket",
    env: "KOAAPP_STATE_BUCKET",
    default: "",
    description: "S3 bucket of the state (backend=s3)",
  },
  {
    key: "stateKey",
    env: "KOAAPP_STATE_KEY",
    default: "koaapp/terraform.tfstate",
    description: "S3 key of the state (backend=s3)",
  },
  {
    key: "latencyP99ThresholdMs",
    env: "KOAAPP_LATENCY_P99_THRESHOLD_MS",
    default: "1000",
    description: "Default of the latency_p99_threshold_ms variable",
  },
  {
    key: "errorRateThresholdPercent",
    env: "KOAAPP_ERROR_RATE_THRESHOLD_PERCENT",
    default: "5",
    description: "Default of the error_rate_threshold_percent variable",
  },
  {
    key: "alarmTopicArn",
    env: "KOAAPP_ALARM_TOPIC_ARN",
    default: "",
    description: "Existing SNS topic for alarm notifications (default: a topic is created)",
  },
  {
    key: "stateRegion",
    env: "KOAAPP_STATE_REGION",
    default: "",
    description: "Region of the state bucket (default: region)",
  },
];

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Thrown with every configuration problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`koaapp configuration is invalid:\n- ${problems.join("\n- ")}`);
    this.name = "ConfigError";
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
  const problems: string[] = [];
  const where = (key: keyof Sources) => {
    const s = SETTINGS.find((x) => x.key === key) as Setting;
    return `${key} (${s.env})`;
  };
  const int = (key: keyof Sources): number => {
    const n = Number(raw[key]);
    if (!/^\d+$/.test(raw[key]) || !Number.isSafeInteger(n)) {
      problems.push(`${where(key)} "${raw[key]}" is not a whole number; allowed: digits only`);
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
      problems.push(
        `${where(key)} ${value} is not a list; allowed: a JSON array of strings or comma-separated values`,
      );
      return [];
    }
    return value === "" ? [] : value.split(",").map((x) => x.trim());
  };
  const oneOf = <T extends string>(key: keyof Sources, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(raw[key])) {
      problems.push(`${where(key)} "${raw[key]}" is not allowed; allowed: ${allowed.join(", ")}`);
    }
    return raw[key] as T;
  };

  const region = raw.region;
  if (!REGION.test(region))
    problems.push(`${where("region")} "${region}" is not an AWS region; allowed: e.g. eu-west-2`);
  const imageUri = raw.imageUri === "" ? undefined : raw.imageUri;
  const desiredCount = int("desiredCount");
  const taskCpu = int("taskCpu");
  const taskMemoryMiB = int("taskMemoryMiB");
  const appCpu = int("appCpu");
  const appMemoryMiB = int("appMemoryMiB");
  const logRetentionDays = int("logRetentionDays");
  const metricsMode = oneOf("metricsMode", ["off", "aggregate", "request"] as const);
  const ingressCidrs = list("ingressCidrs");
  const azs = list("availabilityZones");

  let network: NetworkConfig;
  if (raw.vpcId === "") {
    const subnets = list("subnetIds");
    if (subnets.length > 0)
      problems.push(`${where("subnetIds")} is set without vpcId; allowed: both, or neither to create a VPC`);
    network = {
      create: true,
      cidrBlock: raw.vpcCidr,
      availabilityZones: azs.length > 0 ? azs : [`${region}a`, `${region}b`],
    };
  } else {
    const subnetIds = list("subnetIds");
    if (subnetIds.length === 0)
      problems.push(`${where("subnetIds")} is empty while vpcId is set; allowed: one or more subnet IDs`);
    network = { create: false, vpcId: raw.vpcId, subnetIds, databaseSubnetIds: list("databaseSubnetIds") };
  }

  let database: DatabaseConfig;
  const databaseMode = oneOf("database", ["create", "existing"] as const);
  if (databaseMode === "existing") {
    let parameters: Record<string, string> = {};
    try {
      parameters = JSON.parse(raw.existingParameters || "{}") as Record<string, string>;
    } catch (error) {
      problems.push(
        `${where("existingParameters")} is not JSON (${(error as Error).message}); allowed: {"RDS_USERNAME": "<name or ARN>", ...}`,
      );
    }
    database = { create: false, parameters };
  } else {
    if (!network.create && network.databaseSubnetIds.length < 2) {
      problems.push(
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
      problems.push(`${where("stateBucket")} is empty; allowed: the name of an S3 bucket when backend is s3`);
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
    problems.push(
      `${where("errorRateThresholdPercent")} "${raw.errorRateThresholdPercent}" is not a percentage; allowed: a number above 0, at most 100`,
    );
  }
  if (
    raw.alarmTopicArn !== "" &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(raw.alarmTopicArn)
  ) {
    problems.push(
      `${where("alarmTopicArn")} "${raw.alarmTopicArn}" is not an SNS topic ARN; allowed: arn:aws:sns:<region>:<account>:<name>`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
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
    network,
    database,
    backend,
    latencyP99ThresholdMs,
    errorRateThresholdPercent,
    ...(raw.alarmTopicArn ? { alarmTopicArn: raw.alarmTopicArn } : {}),
  };
}
