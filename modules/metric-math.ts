import {
  DIMENSIONS,
  HIGH_RESOLUTION_PERIOD_SECONDS,
  LATENCY_METRIC,
  SERVER_ERROR_CLASS,
} from "../contract/metrics";
import { Fn, Op, Token } from "./cdktf";
import { isKnown } from "./validation";

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

/** A `metric_query` entry of a CloudWatch metric alarm, as the provider takes it. */
export interface AlarmQuery {
  readonly id: string;
  readonly expression?: string;
  readonly label?: string;
  readonly returnData: boolean;
  readonly metric?: {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, string>>;
    readonly stat: string;
    readonly period: number;
  };
}

/**
 * The metric queries of "share of requests slower than `thresholdMs`, in percent": the percentile rank
 * `PR(:threshold)` (the percentage of samples at most the threshold; CloudWatch's bounds are exclusive below,
 * inclusive above) subtracted from 100, in minutes with at least `minRequests` requests; a quieter minute reads 0,
 * and a minute without any request has no datapoint (the alarm's missing-data treatment decides).
 *
 * More than 1 % slower than T is p99 above T, but judged on every sample: a p99 alarm with the low-sample setting
 * "ignore" never changes state below 1,000 samples a period (10/(1 − 0.99)), so a regression at low traffic never
 * fires and an alarm set by a burst stays set; "evaluate" would judge 10 samples by their maximum. Sources:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html (percentile rank),
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/percentiles-with-low-samples.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html (IF and missing values).
 */
export function slowShareQueries(
  metric: LatencyMetric,
  thresholdMs: number,
  minRequests: number,
  periodSeconds: number,
): AlarmQuery[] {
  const stat = (name: string) => ({
    namespace: metric.namespace,
    metricName: LATENCY_METRIC.name,
    dimensions: metric.dimensions,
    stat: name,
    period: periodSeconds,
  });
  const threshold = Token.isUnresolved(thresholdMs) ? Token.asString(thresholdMs) : String(thresholdMs);
  return [
    { id: "requests", metric: stat("SampleCount"), returnData: false },
    { id: "fast", metric: stat(`PR(:${threshold})`), returnData: false },
    {
      id: "slow",
      expression: `IF(requests >= ${minRequests}, 100 - fast, 0)`,
      label: `% of requests slower than ${threshold} ms`,
      returnData: true,
    },
  ];
}

/** The share of slow requests above which a latency alarm fires: more than 1 % slower than T is p99 above T. */
export const SLOW_SHARE_PERCENT = 1;

/** The periods the deployment alarms judge, and how many requests make one worth judging. */
export interface GatePeriod {
  /** Seconds per datapoint: 60, or 10 with high resolution. */
  readonly seconds: number;
  /** Requests a period needs to be judged: `minRequestsPerMinute` scaled to the period, rounded up. */
  readonly minRequests: number;
  /** The periods in words, for descriptions: "minutes" or "10-second periods". */
  readonly periods: string;
}

/**
 * The deployment alarms' period: a minute, or with high resolution the 10-second period of metrics stored at
 * resolution 1 (PutMetricAlarm: 10, 20 and 30 s only for them, else INSUFFICIENT_DATA). The minimum keeps its rate:
 * `ceil(minRequestsPerMinute / 6)` requests per 10 s (10 a minute → 2), computed by Terraform for a variable. Each
 * datapoint then rests on a sixth of the requests, which is why the alarms keep needing 3 breaching of 5.
 */
export function gatePeriod(highResolution: boolean, minRequestsPerMinute: number): GatePeriod {
  if (!highResolution) return { seconds: 60, minRequests: minRequestsPerMinute, periods: "minutes" };
  const perMinute = 60 / HIGH_RESOLUTION_PERIOD_SECONDS;
  return {
    seconds: HIGH_RESOLUTION_PERIOD_SECONDS,
    minRequests: isKnown(minRequestsPerMinute)
      ? Math.ceil(minRequestsPerMinute / perMinute)
      : Token.asNumber(Fn.ceil(Token.asNumber(Op.div(minRequestsPerMinute, perMinute)))),
    periods: `${HIGH_RESOLUTION_PERIOD_SECONDS}-second periods`,
  };
}

/** How long the deployment alarms need to fire: 3 periods, in whole minutes (as bake times are) and in words. */
export function deploymentAlarmTimeToFire(highResolution: boolean): { minutes: number; text: string } {
  const seconds = 3 * gatePeriod(highResolution, 1).seconds;
  return {
    minutes: Math.ceil(seconds / 60),
    text: seconds < 60 ? `${seconds} seconds` : `${seconds / 60} minutes`,
  };
}

/** The `SampleCount` of a latency metric as a `metric_query` metric: its requests per period. */
export function sampleCountStat(metric: LatencyMetric, periodSeconds: number) {
  return {
    namespace: metric.namespace,
    metricName: LATENCY_METRIC.name,
    dimensions: metric.dimensions,
    stat: "SampleCount",
    period: periodSeconds,
  };
}
