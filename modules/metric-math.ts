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

/** The share of slow requests above which a latency alarm fires: more than 1 % slower than T is p99 above T. */
export const SLOW_SHARE_PERCENT = 1;

/**
 * Slow requests a period needs before it can breach, whatever the share: with fewer, the period reads 0. Below about
 * 60 requests a period the margin of {@link SLOW_SHARE_SIGMAS} alone would let 2 slow requests breach, and a healthy
 * service with 0.5 % of its requests slow would then set the 10-second gate off about once in 17 days; at 3 the worst
 * traffic rate sets it off about once in a year (docs/alarms.md, "How many slow requests make a breach").
 */
export const MIN_SLOW_REQUESTS = 3;

/**
 * How far above 1 % of the period's requests the slow count must be, in standard deviations of a Poisson count with
 * that mean (`requests / 100 + 3 × sqrt(requests / 100)`): the slow share must be above 1 % beyond what chance gives a
 * service whose share is 1 %, not merely above it. Without it one slow request in 60 (1.7 %) breached, and a healthy
 * service at 1 request/s with 0.5 % slow requests set the gate off about 60 times a day.
 */
export const SLOW_SHARE_SIGMAS = 3;

/** Options of {@link slowShareQueries}. */
export interface SlowShareOptions {
  /**
   * A period without any request reads 0 (`FILL(requests, 0)`) instead of having no datapoint: CloudWatch keeps
   * evaluating the last real datapoints while they are inside the evaluation range, so without it an alarm set by a
   * burst stays in ALARM for two more minutes after the traffic stops, and a step policy adds a task at each. The
   * price, from the metric math guide: if the newest period's data always arrives after the evaluation, FILL keeps
   * reading it as 0.
   * @default false
   */
  readonly silenceReadsZero?: boolean;
}

/**
 * The metric queries of "share of requests slower than `thresholdMs`, in percent": the percentile rank `PR(:threshold)`
 * (the percentage of samples at most the threshold; CloudWatch's bounds are exclusive below, inclusive above)
 * subtracted from 100, in periods with at least `minRequests` requests whose slow count — `requests × (100 − PR) / 100`,
 * rounded to a whole request — is at least {@link MIN_SLOW_REQUESTS} and more than `requests / 100` by
 * {@link SLOW_SHARE_SIGMAS} standard deviations. Any other period with requests reads 0; a period without any has no
 * datapoint (the alarm's missing-data treatment decides) unless `silenceReadsZero`.
 *
 * More than 1 % slower than T is p99 above T, but judged on every sample: a p99 alarm with the low-sample setting
 * "ignore" never changes state below 1,000 samples a period (10/(1 − 0.99)), so a regression at low traffic never
 * fires and an alarm set by a burst stays set; "evaluate" would judge 10 samples by their maximum. Sources:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html (percentile rank),
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/percentiles-with-low-samples.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html (IF, FILL, FLOOR, AND, `^`,
 * and missing values).
 */
export function slowShareQueries(
  metric: LatencyMetric,
  thresholdMs: number,
  minRequests: number,
  periodSeconds: number,
  options: SlowShareOptions = {},
): AlarmQuery[] {
  const stat = (name: string) => ({
    namespace: metric.namespace,
    metricName: LATENCY_METRIC.name,
    dimensions: metric.dimensions,
    stat: name,
    period: periodSeconds,
  });
  const threshold = Token.isUnresolved(thresholdMs) ? Token.asString(thresholdMs) : String(thresholdMs);
  const requests = options.silenceReadsZero ? "FILL(requests, 0)" : "requests";
  // The count a share of 1 % expects, and its Poisson standard deviation, sqrt(expected).
  const expected = "requests / 100";
  return [
    { id: "requests", metric: stat("SampleCount"), returnData: false },
    { id: "fast", metric: stat(`PR(:${threshold})`), returnData: false },
    {
      id: "slowRequests",
      // PR is a percentage: rounded back to whole requests so that 3 slow requests are never 2.9999.
      expression: "FLOOR(requests * (100 - fast) / 100 + 0.5)",
      label: `requests slower than ${threshold} ms`,
      returnData: false,
    },
    {
      id: "slow",
      expression: `IF(${requests} >= ${minRequests} AND slowRequests >= ${MIN_SLOW_REQUESTS} AND slowRequests > ${expected} + ${SLOW_SHARE_SIGMAS} * (${expected}) ^ 0.5, 100 - fast, 0)`,
      label: `% of requests slower than ${threshold} ms`,
      returnData: true,
    },
  ];
}

/** The breach condition of {@link slowShareQueries} in words, for alarm descriptions. */
export const SLOW_SHARE_CONDITION = `more than ${SLOW_SHARE_PERCENT}% of requests slower, by at least ${MIN_SLOW_REQUESTS} slow requests and ${SLOW_SHARE_SIGMAS} standard deviations`;

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
