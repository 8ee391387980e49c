/**
 * The metric contract: the one definition of what the service publishes as Embedded Metric Format and
 * what the infrastructure reads (log group wiring, alarms, dashboards, queries).
 *
 * `app/` and `modules/` share only `contract/` (this file, the naming rules in cloudwatch-names.ts and the
 * validation helper in problems.ts), so it imports neither cdktf nor Koa.
 */

/**
 * The sample's namespace: the koaapp stack's default and the app's `AWS_EMF_NAMESPACE` when unset. The two
 * packages keep their own defaults on purpose: `EmfFargateService` uses its `serviceName`, and the middleware
 * uses aws-embedded-metrics' (`aws-embedded-metrics`), so that neither publishes under the sample's name.
 */
export const DEFAULT_NAMESPACE = "koaapp";

/**
 * How the latency middleware publishes (its `mode` option, which no `AWS_EMF_*` variable sets; the sample app
 * passes its own `METRICS_MODE`): not at all (a pass-through), one aggregated document per key and flush, or one
 * document per request.
 */
export const METRICS_MODES = ["off", "aggregate", "request"] as const;

/** A value of `METRICS_MODES`: `off`, `aggregate` or `request`. */
export type MetricsMode = (typeof METRICS_MODES)[number];

/** The mode of the middleware, the app and the koaapp stack when none is chosen. */
export const DEFAULT_METRICS_MODE: MetricsMode = "aggregate";

/** The request latency metric: one sample per request that is not excluded. */
export const LATENCY_METRIC = { name: "Latency", unit: "Milliseconds" } as const;

/** Dimension names. `Path` is the matched route template, never the raw URL. */
export const DIMENSIONS = {
  path: "Path",
  statusClass: "StatusClass",
} as const;

/**
 * The dimension sets every latency document declares, in this order. They are explicit so that the
 * library's default dimensions (ServiceName, ServiceType, LogGroup) never change a metric's identity.
 *
 * - `[Path]`: latency percentiles and request count per route.
 * - `[StatusClass]`: request count per status class; `5xx` over the sum of all classes is the error rate.
 * - `[]`: service-wide latency percentiles and request count.
 */
export const LATENCY_DIMENSION_SETS: readonly (readonly string[])[] = [
  [DIMENSIONS.path],
  [DIMENSIONS.statusClass],
  [],
];

/** Values of the `StatusClass` dimension. `aborted` marks requests the client abandoned before the response. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "aborted"] as const;

/** A value of the `StatusClass` dimension. */
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** The status class of server errors: what the error-rate alarm and widget count. */
export const SERVER_ERROR_CLASS: StatusClass = "5xx";

/** The `Path` value of every request no route matched, so unknown URLs cannot multiply metrics. */
export const UNMATCHED_PATH = "(unmatched)";

/** Property names of request-mode documents: searchable in Logs Insights, not metrics. */
export const PROPERTIES = {
  method: "Method",
  url: "Url",
  statusCode: "StatusCode",
  requestId: "RequestId",
} as const;

/** The status-class value for an HTTP status, or `aborted` when the client went away first. */
export function statusClassOf(status: number, aborted = false): StatusClass {
  if (aborted) return "aborted";
  if (status < 200) return "1xx";
  if (status < 300) return "2xx";
  if (status < 400) return "3xx";
  if (status < 500) return "4xx";
  return "5xx";
}

/** The CloudWatch agent's EMF listener port (TCP and UDP). */
export const AGENT_EMF_PORT = 25888;

/**
 * The agent's EMF listener as the app reaches it: the sidecar shares the task's network namespace, so on
 * loopback. It is also aws-embedded-metrics' default, so the middleware's default and the construct's value agree.
 */
export const DEFAULT_AGENT_ENDPOINT = `tcp://127.0.0.1:${AGENT_EMF_PORT}`;

/** The service type the agent and the library report for an ECS container. */
export const EMF_SERVICE_TYPE = "AWS::ECS::Container";

/** The prefix of every {@link EMF_VARIABLES} name; the construct keeps its `environment` prop off it. */
export const EMF_VARIABLE_PREFIX = "AWS_EMF_";

/**
 * The environment variables the task definition gives the app and the latency middleware reads, by middleware
 * option: the names aws-embedded-metrics' `Configuration` reads, and one of this project's own,
 * `AWS_EMF_LATENCY_HIGH_RESOLUTION` (no EMF library reads it). The construct sets that one to `true`, and only then,
 * with `metrics.highResolution`: an app must then publish `Latency` with `"StorageResolution": 1` in its metric
 * definition (aws-embedded-metrics: `StorageResolution.High`), because the deployment alarms then read 10-second
 * periods, which standard-resolution metrics cannot fill. Under the `AWS_EMF_` prefix so that the construct's
 * `environment` prop cannot set it against `metrics.highResolution`.
 */
export const EMF_VARIABLES = {
  endpoint: "AWS_EMF_AGENT_ENDPOINT",
  environment: "AWS_EMF_ENVIRONMENT",
  namespace: "AWS_EMF_NAMESPACE",
  serviceName: "AWS_EMF_SERVICE_NAME",
  serviceType: "AWS_EMF_SERVICE_TYPE",
  logGroupName: "AWS_EMF_LOG_GROUP_NAME",
  logStreamName: "AWS_EMF_LOG_STREAM_NAME",
  highResolution: "AWS_EMF_LATENCY_HIGH_RESOLUTION",
} as const;

/**
 * The period of the high-resolution deployment alarms, in seconds: the shortest alarm period (PutMetricAlarm takes
 * 10, 20, 30 or a multiple of 60), and one hashicorp/aws 5.x and 6.x both accept in a `metric_query` (1, 5, 10, 30
 * or a multiple of 60). The middleware cuts high-resolution aggregate documents at windows of this length, so every
 * sample of a document falls into the period its timestamp files it under.
 */
export const HIGH_RESOLUTION_PERIOD_SECONDS = 10;

/**
 * How long an EMF hop may hold a high-resolution document, in seconds: "we recommended that you flush logs to
 * CloudWatch Logs at an interval of 5 seconds or less" for alarms on high-resolution EMF metrics
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Alarms.html).
 * The middleware's flush interval and the agent's `force_flush_interval` are each held to it.
 */
export const HIGH_RESOLUTION_MAX_FLUSH_SECONDS = 5;
