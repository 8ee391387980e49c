import { DIMENSIONS, LATENCY_METRIC, SERVER_ERROR_CLASS } from "../contract/metrics";

/** A CloudWatch metric of the latency contract: namespace, name and dimension values. */
export interface LatencyMetric {
  /** CloudWatch namespace. */
  readonly namespace: string;
  /** Dimension name → value; `{}` is the service-wide metric. */
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The service-wide latency metric (the contract's empty dimension set). */
export function serviceLatency(namespace: string): LatencyMetric {
  return { namespace, dimensions: {} };
}

/** Latency of the requests that ended in a server error. */
export function serverErrorLatency(namespace: string): LatencyMetric {
  return { namespace, dimensions: { [DIMENSIONS.statusClass]: SERVER_ERROR_CLASS } };
}

/** Latency of one route template. */
export function routeLatency(namespace: string, path: string): LatencyMetric {
  return { namespace, dimensions: { [DIMENSIONS.path]: path } };
}

/**
 * Metric math for the share of requests (percent) that ended in a server error, given the ids of the
 * server-error and all-request sample counts. Below `minRequests` requests a period reads 0, so one
 * failure in two requests does not page anyone.
 */
export function errorRateExpression(errorsId: string, requestsId: string, minRequests: number): string {
  return `IF(${requestsId} >= ${minRequests}, 100 * FILL(${errorsId}, 0) / ${requestsId}, 0)`;
}

/**
 * A metric-math SEARCH over every value of `dimension`, e.g. one line per `Path`: routes appear on the
 * dashboard without redeploying it.
 */
export function searchByDimension(
  namespace: string,
  dimension: string,
  statistic: string,
  periodSeconds: number,
): string {
  return `SEARCH('{"${namespace}",${dimension}} MetricName="${LATENCY_METRIC.name}"', '${statistic}', ${periodSeconds})`;
}
