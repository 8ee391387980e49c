/**
 * Latency alarms written by hand for the model's own tests, in the two shapes that matter: the p99 alarm ServiceAlarms
 * synthesized before 0.2.0 (its low-sample setting under test) and the share of slow requests it synthesizes since.
 * The tests of the constructs read the synthesized alarms instead.
 */
import { LATENCY_METRIC } from "../../../contract/metrics";
import type { MetricAlarmJson, MetricStatJson } from "./alarm";

/** What the two shapes share: where the latency is published, what is slow, and the M of N. */
export interface LatencyAlarmShape {
  /** EMF namespace the service publishes `Latency` in. */
  readonly namespace: string;
  /** A request slower than this is slow (p99 above it breaches). */
  readonly thresholdMs: number;
  /** N, one-minute periods. */
  readonly evaluationPeriods: number;
  /** M of N. */
  readonly datapointsToAlarm: number;
}

/** A p99 alarm on the service-wide latency, with the given `evaluate_low_sample_count_percentiles`. */
export function p99LatencyAlarm(
  shape: LatencyAlarmShape,
  lowSamples: "ignore" | "evaluate",
): MetricAlarmJson {
  return {
    alarm_name: `p99-${lowSamples}`,
    namespace: shape.namespace,
    metric_name: LATENCY_METRIC.name,
    dimensions: {},
    extended_statistic: "p99",
    unit: LATENCY_METRIC.unit,
    period: 60,
    evaluation_periods: shape.evaluationPeriods,
    datapoints_to_alarm: shape.datapointsToAlarm,
    comparison_operator: "GreaterThanThreshold",
    threshold: shape.thresholdMs,
    treat_missing_data: "notBreaching",
    evaluate_low_sample_count_percentiles: lowSamples,
  };
}

/** A metric-math alarm on the share of requests slower than the threshold: above 5 %, read as 0 below 10 requests. */
export function slowShareAlarm(shape: LatencyAlarmShape): MetricAlarmJson {
  const latency = (stat: string): MetricStatJson => ({
    namespace: shape.namespace,
    metric_name: LATENCY_METRIC.name,
    dimensions: {},
    stat,
    period: 60,
  });
  return {
    alarm_name: "slow-share",
    comparison_operator: "GreaterThanThreshold",
    threshold: 5,
    evaluation_periods: shape.evaluationPeriods,
    datapoints_to_alarm: shape.datapointsToAlarm,
    treat_missing_data: "notBreaching",
    metric_query: [
      { id: "requests", metric: latency("SampleCount"), return_data: false },
      { id: "fast", metric: latency(`PR(:${shape.thresholdMs})`), return_data: false },
      {
        id: "slow",
        expression: "IF(requests >= 10, 100 - fast, 0)",
        label: `% slower than ${shape.thresholdMs} ms`,
        return_data: true,
      },
    ],
  };
}
