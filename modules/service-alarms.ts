import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { Construct } from "constructs";
import { DIMENSIONS, LATENCY_METRIC, SERVER_ERROR_CLASS } from "../contract/metrics";
import { type ResolvedAlarms, slug } from "./alarms-options";
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
import { isKnown } from "./validation";

export {
  type AlarmsOptions,
  checkAlarms,
  DEFAULT_MIN_REQUESTS_PER_MINUTE,
  type ResolvedAlarms,
  resolveAlarms,
} from "./alarms-options";

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
  /**
   * With `highResolution`, the service-wide latency alarm on minutes beside the 10-second one: ten requests a period
   * cannot tell a small regression at low traffic from chance (docs/alarms.md), a minute can. A deployment alarm too.
   */
  readonly latencyP99Minutes?: CloudwatchMetricAlarm;
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
      if (gate.seconds !== minutes.seconds)
        this.latencyP99Minutes = this.percentileAlarm(
          "LatencyP99Minutes",
          `${props.name}-latency-p99-minutes`,
          serviceLatency(props.namespace),
          latencyP99ThresholdMs,
          minutes,
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
