/**
 * The alarms' options: what `EmfFargateServiceProps.alarms` takes, its defaults, and its checks. The alarms
 * themselves are built in service-alarms.ts.
 */
import { show } from "../contract/problems";
import { ARN, checkArn } from "./aws-rules";
import { type Checker, isKnown, isObject, keysOf } from "./validation";

/** The alarms on the service's EMF metrics, and where they notify. */
export interface AlarmsOptions {
  /**
   * p99 latency across all routes above which the latency alarm fires, in ms: it fires when more than 1 % of the
   * requests of a minute are slower (the same condition, judged on every sample however few) by a margin chance does
   * not explain — at least 3 slow requests, and 3 standard deviations above 1 % — in 3 of 5 minutes (10-second
   * periods with `metrics.highResolution`). See docs/alarms.md for the false-alarm rates and detection times.
   * @default 1000
   */
  readonly latencyP99ThresholdMs?: number;
  /** Extra p99 alarms for single routes: route template (`/items/:id`) → threshold in ms. @default - none */
  readonly routeLatencyP99ThresholdsMs?: Readonly<Record<string, number>>;
  /** Share of requests ending in a 5xx above which the error-rate alarm fires, in percent. @default 5 */
  readonly errorRateThresholdPercent?: number;
  /**
   * Requests a minute below which a minute is not judged (the latency and error-rate alarms read it as healthy):
   * one slow or failed request among a handful is no trend. With `metrics.highResolution` the deployment alarms
   * judge a 10-second period from `ceil(minRequestsPerMinute / 6)` requests.
   * @default 10
   */
  readonly minRequestsPerMinute?: number;
  /** Minutes without any recorded request before the no-metrics alarm fires. @default 15 */
  readonly noMetricsMinutes?: number;
  /** Create the p99 latency alarm(s). @default true */
  readonly latencyAlarm?: boolean;
  /** Create the 5xx-rate alarm. @default true */
  readonly errorRateAlarm?: boolean;
  /**
   * Create the no-metrics alarm: missing data is treated as breaching, deliberately, because missing
   * data is exactly what a stopped agent or a stuck publisher looks like. A service idle by design
   * fires it too: turn it off there, or send synthetic traffic.
   * @default true
   */
  readonly noMetricsAlarm?: boolean;
  /** SNS topic for alarm and OK notifications. @default - a topic is created */
  readonly topicArn?: string;
  /** KMS key of a created topic. @default - the service's kmsKeyArn, or no encryption */
  readonly topicKmsKeyArn?: string;
}

/** {@link AlarmsOptions} with every default resolved. */
export interface ResolvedAlarms {
  readonly latencyP99ThresholdMs: number;
  readonly routeLatencyP99ThresholdsMs: Readonly<Record<string, number>>;
  readonly errorRateThresholdPercent: number;
  readonly minRequestsPerMinute: number;
  readonly noMetricsMinutes: number;
  readonly latencyAlarm: boolean;
  readonly errorRateAlarm: boolean;
  readonly noMetricsAlarm: boolean;
  readonly topicArn?: string;
  readonly topicKmsKeyArn?: string;
}

/** {@link AlarmsOptions.minRequestsPerMinute}'s default, also the dashboard's when there are no alarms. */
export const DEFAULT_MIN_REQUESTS_PER_MINUTE = 10;

const ALARMS_KEYS = keysOf<AlarmsOptions>({
  latencyP99ThresholdMs: true,
  routeLatencyP99ThresholdsMs: true,
  errorRateThresholdPercent: true,
  minRequestsPerMinute: true,
  noMetricsMinutes: true,
  latencyAlarm: true,
  errorRateAlarm: true,
  noMetricsAlarm: true,
  topicArn: true,
  topicKmsKeyArn: true,
});

/** Resolves the alarms' defaults; `kmsKeyArn` is the service's key, the created topic's default. */
export function resolveAlarms(options: AlarmsOptions, kmsKeyArn: string | undefined): ResolvedAlarms {
  return {
    latencyP99ThresholdMs: options.latencyP99ThresholdMs ?? 1000,
    routeLatencyP99ThresholdsMs: options.routeLatencyP99ThresholdsMs ?? {},
    errorRateThresholdPercent: options.errorRateThresholdPercent ?? 5,
    minRequestsPerMinute: options.minRequestsPerMinute ?? DEFAULT_MIN_REQUESTS_PER_MINUTE,
    noMetricsMinutes: options.noMetricsMinutes ?? 15,
    latencyAlarm: options.latencyAlarm ?? true,
    errorRateAlarm: options.errorRateAlarm ?? true,
    noMetricsAlarm: options.noMetricsAlarm ?? true,
    topicArn: options.topicArn,
    topicKmsKeyArn: options.topicKmsKeyArn ?? kmsKeyArn,
  };
}

/** Checks the alarm options (`c` is the `alarms` prop's checker); `name` prefixes the alarm names. */
export function checkAlarms(c: Checker, raw: unknown, s: ResolvedAlarms, name: string): void {
  const given = c.object(raw, ALARMS_KEYS, "AlarmsOptions");
  checkArn(c.at("topicArn"), s.topicArn, ARN.topic, "SNS topic ARN");
  // The default, the service's kmsKeyArn, is judged there.
  if (given.topicKmsKeyArn !== undefined)
    checkArn(c.at("topicKmsKeyArn"), s.topicKmsKeyArn, ARN.kmsKey, "KMS key ARN");
  c.at("latencyP99ThresholdMs").number(s.latencyP99ThresholdMs, { above: 0 }, "a number above 0");
  const routes = isObject(s.routeLatencyP99ThresholdsMs) ? Object.entries(s.routeLatencyP99ThresholdsMs) : [];
  if (!isObject(s.routeLatencyP99ThresholdsMs))
    c.at("routeLatencyP99ThresholdsMs").fail(
      s.routeLatencyP99ThresholdsMs,
      "is not an object",
      'route template → threshold in ms, e.g. { "/items/:id": 500 }',
    );
  const routeNames = new Map<string, string>();
  for (const [path, threshold] of routes) {
    const at = c.at("routeLatencyP99ThresholdsMs").at(path);
    const alarmName = `${name}-latency-p99-${slug(path)}`;
    const sameName = routeNames.get(alarmName);
    if (sameName !== undefined)
      at.fail(
        threshold,
        `names the alarm ${show(alarmName)} as ${show(sameName)} does`,
        "route templates that differ in letters or digits",
      );
    routeNames.set(alarmName, path);
    if (!path.startsWith("/"))
      at.fail(
        threshold,
        "is not under a route template",
        "keys that are paths starting with / as the router declares them, e.g. /items/:id",
      );
    at.number(threshold, { above: 0 }, "a number above 0");
  }
  c.at("errorRateThresholdPercent").number(
    s.errorRateThresholdPercent,
    { above: 0, atMost: 100 },
    "above 0, at most 100",
  );
  c.at("minRequestsPerMinute").integer(s.minRequestsPerMinute, 1, 1_000_000);
  c.at("noMetricsMinutes").integer(s.noMetricsMinutes, 5, 1440);
  const minutes = s.noMetricsMinutes;
  c.at("noMetricsMinutes").check(
    isKnown(minutes) && Number.isInteger(minutes) && minutes >= 5 && minutes % 5 !== 0,
    minutes,
    "is not a multiple of 5",
    "5, 10, 15, ... (the alarm evaluates 5-minute periods)",
  );
  for (const key of ["latencyAlarm", "errorRateAlarm", "noMetricsAlarm"] as const) c.at(key).boolean(s[key]);
}

/** A route template as it appears in an alarm name: "/items/:id" -> "items-id", "/" -> "root". */
export function slug(path: string): string {
  return (
    path
      .replace(/^\//, "")
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/-$/, "") || "root"
  );
}
