import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import type { Construct } from "constructs";
import {
  DEFAULT_AGENT_ENDPOINT,
  EMF_SERVICE_TYPE,
  EMF_VARIABLES,
  HIGH_RESOLUTION_MAX_FLUSH_SECONDS,
  HIGH_RESOLUTION_PERIOD_SECONDS,
} from "../contract/metrics";
import {
  CLOUDWATCH_NAMESPACE,
  checkName,
  LOG_GROUP_NAME,
  LOG_RETENTION_DAYS,
  LOG_STREAM_NAME,
} from "./aws-rules";
import type { ResolvedAgent } from "./cloudwatch-agent-sidecar";
import type { LogConfiguration } from "./container-definition";
import { regionNameOf } from "./provider-bindings";
import { type Checker, isKnown, isObject, keysOf } from "./validation";

/** Where the service's EMF documents go and under which namespace their metrics appear. */
export interface MetricsOptions {
  /** CloudWatch namespace of the metrics (`AWS_EMF_NAMESPACE`). @default - the service name */
  readonly namespace?: string;
  /** Log group of the EMF documents (created here; `AWS_EMF_LOG_GROUP_NAME`). @default "/ecs/<serviceName>/emf" */
  readonly logGroupName?: string;
  /** Log stream of the EMF documents (`AWS_EMF_LOG_STREAM_NAME`). @default - the service name */
  readonly logStreamName?: string;
  /**
   * A fast deployment gate: the app publishes `Latency` at high resolution and the service-wide latency and 5xx-rate
   * alarms (the deployment alarms) judge 10-second periods, 3 of 5, so a regression rolls back after about 30 s of
   * breaching data instead of 3 minutes. The app container gets `AWS_EMF_LATENCY_HIGH_RESOLUTION=true`, a variable of
   * this project that no EMF library reads: `@emf-fargate/koa-latency` follows it; any other app must then publish
   * `"StorageResolution": 1` in the `Latency` metric definition (aws-embedded-metrics: `StorageResolution.High`), or
   * the 10-second alarms lapse into INSUFFICIENT_DATA and never roll back. A period is judged from
   * `ceil(alarms.minRequestsPerMinute / 6)` requests. The minute latency alarm stays a deployment alarm beside
   * them (`<serviceName>-latency-p99-minutes`): ten requests a period cannot tell a small regression at low traffic
   * from chance, a minute can. High-resolution alarms cost three times as much (see docs/progressive-delivery.md);
   * route alarms, the no-metrics alarm and autoscaling keep their periods.
   * @default false
   */
  readonly highResolution?: boolean;
}

/** The containers' stdout/stderr. */
export interface LogsOptions {
  /** Log group of the containers' output (created here). @default "/ecs/<serviceName>" */
  readonly logGroupName?: string;
  /** Days CloudWatch Logs keeps the containers' output and the EMF documents. @default 30 */
  readonly retentionDays?: number;
}

/** {@link LogsOptions} with every default resolved. */
export interface ResolvedLogs {
  readonly logGroupName: string;
  readonly retentionDays: number;
}

const METRICS_KEYS = keysOf<MetricsOptions>({
  namespace: true,
  logGroupName: true,
  logStreamName: true,
  highResolution: true,
});
const LOGS_KEYS = keysOf<LogsOptions>({ logGroupName: true, retentionDays: true });

/** The metric settings the app container and the rest of the service share. */
export interface EmfSettings {
  /** CloudWatch namespace of the service's metrics. */
  readonly namespace: string;
  /** Log group the agent writes EMF documents to (`_aws.LogGroupName`). */
  readonly logGroupName: string;
  /** Log stream of the EMF documents. */
  readonly logStreamName: string;
  /** `ServiceName` the documents carry. */
  readonly serviceName: string;
  /** Agent endpoint as the app sees it. */
  readonly agentEndpoint: string;
  /** Whether the app publishes `Latency` at high resolution (`AWS_EMF_LATENCY_HIGH_RESOLUTION=true`). */
  readonly highResolution: boolean;
}

/**
 * The `AWS_EMF_*` variables the app reads its EMF settings from (the contract's names, which the middleware and
 * aws-embedded-metrics read). `AWS_EMF_ENVIRONMENT` is left unset: the libraries' default, `Agent` on ECS with an
 * endpoint, sends to it. `AWS_EMF_LATENCY_HIGH_RESOLUTION` is set with high resolution only, so a service without it
 * keeps its task definition as it was.
 */
export function emfEnvironment(emf: EmfSettings): Record<string, string> {
  return {
    [EMF_VARIABLES.endpoint]: emf.agentEndpoint,
    [EMF_VARIABLES.serviceName]: emf.serviceName,
    [EMF_VARIABLES.serviceType]: EMF_SERVICE_TYPE,
    [EMF_VARIABLES.logGroupName]: emf.logGroupName,
    [EMF_VARIABLES.logStreamName]: emf.logStreamName,
    [EMF_VARIABLES.namespace]: emf.namespace,
    ...(emf.highResolution ? { [EMF_VARIABLES.highResolution]: "true" } : {}),
  };
}

/** The EMF settings of a service from its metric options, with the log group still by name. */
export function resolveMetrics(options: MetricsOptions, serviceName: string): EmfSettings {
  return {
    namespace: options.namespace ?? serviceName,
    logGroupName: options.logGroupName ?? `/ecs/${serviceName}/emf`,
    logStreamName: options.logStreamName ?? serviceName,
    serviceName,
    agentEndpoint: DEFAULT_AGENT_ENDPOINT,
    highResolution: options.highResolution ?? false,
  };
}

/** The log settings of a service from its options. */
export function resolveLogs(options: LogsOptions, serviceName: string): ResolvedLogs {
  return {
    logGroupName: options.logGroupName ?? `/ecs/${serviceName}`,
    retentionDays: options.retentionDays ?? 30,
  };
}

/**
 * Checks the metric options with the naming rules the middleware applies too. Only names given are judged: the
 * defaults derive from the service name, which is judged as serviceName (a bad one is reported there, once).
 */
export function checkMetrics(c: Checker, raw: unknown, s: EmfSettings): void {
  const given = c.object(raw, METRICS_KEYS, "MetricsOptions");
  if (given.namespace !== undefined) checkName(c.at("namespace"), CLOUDWATCH_NAMESPACE, s.namespace);
  if (given.logGroupName !== undefined) checkName(c.at("logGroupName"), LOG_GROUP_NAME, s.logGroupName);
  if (given.logStreamName !== undefined) checkName(c.at("logStreamName"), LOG_STREAM_NAME, s.logStreamName);
  // Not a token either: it decides the alarms' periods at synth.
  c.at("highResolution").check(
    typeof s.highResolution !== "boolean",
    s.highResolution,
    "is not a boolean",
    "true or false",
  );
}

/**
 * With `metrics.highResolution`, the agent must not hold EMF documents longer than AWS recommends for alarms on
 * high-resolution EMF metrics: its `logs.force_flush_interval` (seconds; the agent's default, 5, is what the
 * construct relies on and does not write) at most 5. `c` is the service props' checker.
 */
export function checkHighResolutionAgent(c: Checker, metrics: EmfSettings, agent: ResolvedAgent): void {
  const logs = agent.config.logs;
  const flush = isObject(logs) ? logs.force_flush_interval : undefined;
  // Other values are the agent's to refuse.
  if (metrics.highResolution !== true || !isKnown(flush) || typeof flush !== "number") return;
  c.at("agent")
    .at("config")
    .at("logs")
    .at("force_flush_interval")
    .check(
      flush > HIGH_RESOLUTION_MAX_FLUSH_SECONDS,
      flush,
      `holds documents longer than the ${HIGH_RESOLUTION_MAX_FLUSH_SECONDS} s AWS recommends for the ${HIGH_RESOLUTION_PERIOD_SECONDS}-second alarms of metrics.highResolution (they would judge partial or missing periods)`,
      `seconds up to ${HIGH_RESOLUTION_MAX_FLUSH_SECONDS} (the agent's default is 5), or metrics.highResolution false`,
    );
}

/** Checks the log options; a default log group name derives from serviceName and is judged there. */
export function checkLogs(c: Checker, raw: unknown, s: ResolvedLogs): void {
  const given = c.object(raw, LOGS_KEYS, "LogsOptions");
  if (given.logGroupName !== undefined) checkName(c.at("logGroupName"), LOG_GROUP_NAME, s.logGroupName);
  c.at("retentionDays").oneOf(s.retentionDays, LOG_RETENTION_DAYS, "is not a CloudWatch Logs retention");
}

/** What {@link createServiceLogging} needs; every value already resolved. */
export interface ServiceLoggingProps {
  /** The provider's region (a data source of the service). */
  readonly region: DataAwsRegion;
  /** The containers' log group. */
  readonly logs: ResolvedLogs;
  /** The metric settings, with the EMF log group still by name (created). */
  readonly emf: EmfSettings;
  /** Customer-managed KMS key of both log groups. @default - AWS-managed keys */
  readonly kmsKeyArn?: string;
  /** Tags of the log groups. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** What {@link createServiceLogging} created. */
export interface ServiceLogging {
  /** The name of the region the provider deploys to (the awslogs region), as the bindings' major reads it. */
  readonly regionName: string;
  /** Log group of the containers' output. */
  readonly logGroup: CloudwatchLogGroup;
  /** Log group of the EMF documents. */
  readonly emfLogGroup: CloudwatchLogGroup;
  /** The metric settings with the EMF log group as the created group's name reference. */
  readonly emf: EmfSettings;
  /** awslogs to the containers' log group, non-blocking: every container of the task logs with it. */
  readonly logConfiguration: LogConfiguration;
}

/** The log groups of a service and the awslogs settings of its containers, created in `scope`. */
export function createServiceLogging(scope: Construct, props: ServiceLoggingProps): ServiceLogging {
  const regionName = regionNameOf(props.region);
  const logGroup = new CloudwatchLogGroup(scope, "Logs", {
    name: props.logs.logGroupName,
    retentionInDays: props.logs.retentionDays,
    kmsKeyId: props.kmsKeyArn,
    tags: props.tags,
  });
  const emfLogGroup = new CloudwatchLogGroup(scope, "EmfLogs", {
    name: props.emf.logGroupName,
    retentionInDays: props.logs.retentionDays,
    kmsKeyId: props.kmsKeyArn,
    tags: props.tags,
  });
  const logConfiguration: LogConfiguration = {
    logDriver: "awslogs",
    options: {
      "awslogs-group": logGroup.name,
      "awslogs-region": regionName,
      "awslogs-stream-prefix": "ecs",
      // A full buffer drops log lines instead of blocking the app's writes (and its requests).
      mode: "non-blocking",
      "max-buffer-size": "4m",
    },
  };
  // The app and the infrastructure read the metric settings from here only, so the log group and
  // namespace in the environment cannot disagree with the ones alarms and queries use.
  const emf = { ...props.emf, logGroupName: emfLogGroup.name };
  return { regionName, logGroup, emfLogGroup, emf, logConfiguration };
}
