import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { DIMENSIONS, LATENCY_METRIC, SERVER_ERROR_CLASS } from "../contract/metrics";
import { show } from "../contract/problems";
import { ARN, checkArn } from "./aws-rules";
import { Op, Token } from "./cdktf";
import {
  errorRateExpression,
  type GatePeriod,
  gatePeriod,
  type LatencyMetric,
  MIN_SLOW_REQUESTS,
  routeLatency,
  SLOW_SHARE_CONDITION,
  SLOW_SHARE_PERCENT,
  SLOW_SHARE_SIGMAS,
  sampleCountStat,
  serverErrorLatency,
  serviceLatency,
  slowShareQueries,
} from "./metric-math";
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

/** Props of {@link ServiceAlarms}; every value already resolved and validated by the service. */
export interface ServiceAlarmsProps extends ResolvedAlarms {
  /** Prefix of the alarm names, usually the service name. */
  readonly name: string;
  /** CloudWatch namespace of the service's metrics. */
  readonly namespace: string;
  /**
   * The deployment alarms judge 10-second periods (the app publishes `Latency` at resolution 1); route alarms stay
   * on minutes: they gate nothing, see a fraction of the traffic, and would cost three times as much.
   * @default false
   */
  readonly highResolution?: boolean;
  /** Tags of the created resources. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** One alarm as a README table row. */
export interface AlarmSummary {
  /** Alarm name. */
  readonly name: string;
  /** What is measured. */
  readonly metric: string;
  /** The statistic or expression. */
  readonly statistic: string;
  /** Comparison and threshold. */
  readonly threshold: string;
  /** Period and evaluation. */
  readonly period: string;
  /** Treatment of missing data. */
  readonly missingData: string;
}

/**
 * The alarms an on-call engineer needs on the EMF latency metrics: p99 latency (service-wide and per
 * route), the 5xx rate, and "no metrics arriving", all notifying one SNS topic.
 */
export class ServiceAlarms extends Construct {
  /** ARN of the topic the alarms notify. */
  readonly topicArn: string;
  /** The alarms created. */
  readonly alarms: CloudwatchMetricAlarm[] = [];
  /** What each alarm watches, for documentation. */
  readonly summaries: AlarmSummary[] = [];
  /** The service-wide p99 latency alarm, unless turned off. */
  readonly latencyP99?: CloudwatchMetricAlarm;
  /** The 5xx-rate alarm, unless turned off. */
  readonly errorRate?: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const {
      latencyP99ThresholdMs,
      routeLatencyP99ThresholdsMs: routeThresholds,
      errorRateThresholdPercent,
      minRequestsPerMinute,
      noMetricsMinutes,
      latencyAlarm,
      errorRateAlarm,
      noMetricsAlarm,
    } = props;

    this.topicArn =
      props.topicArn ??
      new SnsTopic(this, "Topic", {
        name: `${props.name}-alarms`,
        kmsMasterKeyId: props.topicKmsKeyArn,
        tags: props.tags,
      }).arn;
    const actions = { alarmActions: [this.topicArn], okActions: [this.topicArn], tags: props.tags };
    const latency = LATENCY_METRIC.name;
    const minutes = gatePeriod(false, minRequestsPerMinute);
    const gate = gatePeriod(props.highResolution ?? false, minRequestsPerMinute);

    if (latencyAlarm) {
      this.latencyP99 = this.percentileAlarm(
        "LatencyP99",
        `${props.name}-latency-p99`,
        serviceLatency(props.namespace),
        latencyP99ThresholdMs,
        gate,
        actions,
        "all routes",
      );
      for (const [path, threshold] of Object.entries(routeThresholds)) {
        // The id follows the route, not its position, so adding a route never replaces another's alarm.
        this.percentileAlarm(
          `RouteLatencyP99-${slug(path)}`,
          `${props.name}-latency-p99-${slug(path)}`,
          routeLatency(props.namespace, path),
          threshold,
          minutes,
          actions,
          path,
        );
      }
    }

    if (errorRateAlarm) {
      const name = `${props.name}-5xx-rate`;
      this.errorRate = this.add(
        "ErrorRate",
        {
          alarmName: name,
          alarmDescription: `More than ${errorRateThresholdPercent}% of requests ended in a server error (5xx) in 3 of 5 ${gate.periods}, counting ${gate.periods} with at least ${gate.minRequests} requests.`,
          comparisonOperator: "GreaterThanThreshold",
          threshold: errorRateThresholdPercent,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          treatMissingData: "notBreaching",
          metricQuery: [
            {
              id: "errors",
              metric: sampleCountStat(serverErrorLatency(props.namespace), gate.seconds),
              returnData: false,
            },
            {
              id: "requests",
              metric: sampleCountStat(serviceLatency(props.namespace), gate.seconds),
              returnData: false,
            },
            {
              id: "rate",
              expression: errorRateExpression("errors", "requests", gate.minRequests),
              label: "5xx % of requests",
              returnData: true,
            },
          ],
          ...actions,
        },
        {
          name,
          metric: `${latency} sample count, ${DIMENSIONS.statusClass}=${SERVER_ERROR_CLASS} over all`,
          statistic: "percent (metric math)",
          threshold: `> ${this.shown(errorRateThresholdPercent)} %`,
          period: `${gate.seconds} s${gate.seconds < 60 ? " (high resolution)" : ""}, 3 of 5`,
          missingData: "not breaching (no traffic is no error)",
        },
      );
    }

    if (noMetricsAlarm) {
      const name = `${props.name}-no-metrics`;
      const periods = isKnown(noMetricsMinutes)
        ? noMetricsMinutes / 5
        : Token.asNumber(Op.div(noMetricsMinutes, 5));
      this.add(
        "NoMetrics",
        {
          alarmName: name,
          alarmDescription: `No request latency recorded for ${noMetricsMinutes} minutes: the CloudWatch agent, the app's EMF publisher, or the traffic stopped.`,
          namespace: props.namespace,
          metricName: latency,
          statistic: "SampleCount",
          period: 300,
          evaluationPeriods: periods,
          comparisonOperator: "LessThanThreshold",
          threshold: 1,
          treatMissingData: "breaching",
          ...actions,
        },
        {
          name,
          metric: `${latency} sample count over all`,
          statistic: "SampleCount",
          threshold: "< 1",
          period: `300 s, ${this.shown(periods)} of ${this.shown(periods)}`,
          missingData: "breaching (missing data is the failure)",
        },
      );
    }
  }

  private percentileAlarm(
    id: string,
    name: string,
    metric: LatencyMetric,
    thresholdMs: number,
    period: GatePeriod,
    actions: Pick<CloudwatchMetricAlarmConfig, "alarmActions" | "okActions" | "tags">,
    scope: string,
  ): CloudwatchMetricAlarm {
    const { seconds, minRequests, periods } = period;
    return this.add(
      id,
      {
        alarmName: name,
        alarmDescription: `p99 latency of ${scope} above ${this.shown(thresholdMs)} ms — ${SLOW_SHARE_CONDITION} — in 3 of 5 ${periods}, counting ${periods} with at least ${minRequests} requests.`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: SLOW_SHARE_PERCENT,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        // No traffic is no regression: a quiet minute must let the alarm recover, or ECS ignores the alarms of
        // the next deployment (it skips them all when one is in ALARM at the start).
        treatMissingData: "notBreaching",
        metricQuery: slowShareQueries(metric, thresholdMs, minRequests, seconds).map((q) => ({ ...q })),
        ...actions,
      },
      {
        name,
        metric: `${LATENCY_METRIC.name} (${LATENCY_METRIC.unit}), ${scope}`,
        statistic: "100 − PR(:threshold), metric math",
        threshold: `> ${SLOW_SHARE_PERCENT} % slower than ${this.shown(thresholdMs)} ms, by ≥ ${MIN_SLOW_REQUESTS} requests and ${SLOW_SHARE_SIGMAS} σ`,
        period: `${seconds} s${seconds < 60 ? " (high resolution)" : ""}, 3 of 5, ${periods} with ≥ ${minRequests} requests`,
        missingData: "not breaching (no traffic is no regression)",
      },
    );
  }

  /** A threshold for documentation: the number, or that a token (a Terraform variable) sets it at deploy. */
  private shown(value: number): string {
    return isKnown(value) ? String(value) : "(set at deploy)";
  }

  private add(id: string, config: CloudwatchMetricAlarmConfig, summary: AlarmSummary): CloudwatchMetricAlarm {
    const alarm = new CloudwatchMetricAlarm(this, id, config);
    this.alarms.push(alarm);
    this.summaries.push(summary);
    return alarm;
  }
}

function slug(path: string): string {
  return (
    path
      .replace(/^\//, "")
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/-$/, "") || "root"
  );
}
