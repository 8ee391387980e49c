/**
 * The metric contract: the one definition of what the service publishes as Embedded Metric Format and
 * what the infrastructure reads (log group wiring, alarms, dashboards, queries).
 *
 * It is the only module `app/` and `modules/` share, so it imports neither cdktf nor Koa.
 */

/** Namespace used when the deployment does not choose one. */
export const DEFAULT_NAMESPACE = "koaapp";

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

/** The service type the agent and the library report for an ECS container. */
export const EMF_SERVICE_TYPE = "AWS::ECS::Container";

/**
 * The environment variables the task definition gives the app and the latency middleware reads: the names
 * aws-embedded-metrics' `Configuration` reads, by middleware option.
 */
export const EMF_VARIABLES = {
  endpoint: "AWS_EMF_AGENT_ENDPOINT",
  environment: "AWS_EMF_ENVIRONMENT",
  namespace: "AWS_EMF_NAMESPACE",
  serviceName: "AWS_EMF_SERVICE_NAME",
  serviceType: "AWS_EMF_SERVICE_TYPE",
  logGroupName: "AWS_EMF_LOG_GROUP_NAME",
  logStreamName: "AWS_EMF_LOG_STREAM_NAME",
} as const;
