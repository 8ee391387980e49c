/**
 * A CloudWatch metric alarm, taken exactly as the stack synthesizes it (an `aws_cloudwatch_metric_alarm` block of
 * the Terraform JSON), run over synthetic traffic: the state after every evaluation and the transitions.
 *
 * Simplifications, on purpose: a period's datapoint exists at the period's end (no ingestion delay, see
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Alarms.html);
 * the alarm evaluates once per period at its end (CloudWatch evaluates standard alarms every minute and 10/30-s
 * alarms every 10 s, which is the same for the 60-s and 10-s periods the stack uses).
 */
import { LATENCY_METRIC } from "../../../contract/metrics";
import {
  type AlarmState,
  type ComparisonOperator,
  defaultEvaluationRange,
  type EvaluationResult,
  type EvaluationSettings,
  evaluateRange,
  type TreatMissingData,
} from "./alarm-evaluation";
import { evaluateExpression, referencedIds, type Series } from "./metric-math";
import { computeStatistic, lowSampleThreshold, parseStatistic } from "./statistics";
import { type PublishedTraffic, samplesPerPeriod } from "./traffic";

/** `metric` of a `metric_query` entry, as synthesized. */
export interface MetricStatJson {
  readonly metric_name: string;
  readonly namespace: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly stat: string;
  readonly period: number;
  readonly unit?: string;
}

/** One `metric_query` entry, as synthesized. */
export interface MetricQueryJson {
  readonly id: string;
  readonly expression?: string;
  readonly metric?: MetricStatJson;
  readonly label?: string;
  readonly return_data?: boolean;
}

/** The fields of an `aws_cloudwatch_metric_alarm` block the model reads (others, such as actions, are ignored). */
export interface MetricAlarmJson {
  readonly alarm_name?: string;
  readonly comparison_operator: string;
  readonly threshold: number;
  readonly evaluation_periods: number;
  readonly datapoints_to_alarm?: number;
  readonly treat_missing_data?: string;
  readonly metric_name?: string;
  readonly namespace?: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly statistic?: string;
  readonly extended_statistic?: string;
  readonly period?: number;
  readonly unit?: string;
  readonly evaluate_low_sample_count_percentiles?: string;
  readonly metric_query?: readonly MetricQueryJson[];
}

/** Options of {@link runAlarm}. */
export interface AlarmRunOptions {
  /** Evaluate at every period end up to and including this time, in seconds. */
  readonly untilSeconds: number;
  /** State before the first evaluation. @default "INSUFFICIENT_DATA" (PutMetricAlarm sets it on creation) */
  readonly initialState?: AlarmState;
  /** Periods retrieved per evaluation. @default N + 2 (see defaultEvaluationRange) */
  readonly evaluationRangePeriods?: number;
  /** The unit the service publishes; an alarm `unit` that differs sees no data. @default LATENCY_METRIC.unit */
  readonly publishedUnit?: string;
}

/** One evaluation of the alarm. */
export interface AlarmEvaluation extends EvaluationResult {
  /** When it ran (the end of the newest period of its range), in seconds. */
  readonly time: number;
  /** The state before it. */
  readonly previous: AlarmState;
  /** The evaluation range's datapoints, oldest first. */
  readonly range: Series;
}

/** A state change. */
export interface AlarmTransition {
  readonly time: number;
  readonly from: AlarmState;
  readonly to: AlarmState;
}

/** What an alarm did over a run. */
export interface AlarmTimeline {
  readonly alarmName: string;
  readonly periodSeconds: number;
  readonly settings: EvaluationSettings;
  readonly initialState: AlarmState;
  readonly evaluations: readonly AlarmEvaluation[];
  readonly transitions: readonly AlarmTransition[];
}

const OPERATORS: readonly ComparisonOperator[] = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
];
const TREATMENTS: readonly TreatMissingData[] = ["missing", "ignore", "breaching", "notBreaching"];

/** Reads a synthesized block as an alarm, reporting every field the model cannot use at once. */
export function asMetricAlarm(block: Readonly<Record<string, unknown>>): MetricAlarmJson {
  const alarm = block as unknown as MetricAlarmJson;
  const problems: string[] = [];
  const n = alarm.evaluation_periods;
  if (!OPERATORS.includes(alarm.comparison_operator as ComparisonOperator))
    problems.push(
      `comparison_operator ${JSON.stringify(alarm.comparison_operator)}; allowed: ${OPERATORS.join(", ")}`,
    );
  if (typeof alarm.threshold !== "number")
    problems.push(`threshold ${JSON.stringify(alarm.threshold)}; allowed: a number`);
  if (!Number.isInteger(n) || n < 1)
    problems.push(`evaluation_periods ${JSON.stringify(n)}; allowed: an integer ≥ 1`);
  const m = alarm.datapoints_to_alarm ?? n;
  if (!Number.isInteger(m) || m < 1 || m > n)
    problems.push(
      `datapoints_to_alarm ${JSON.stringify(m)}; allowed: an integer from 1 to evaluation_periods`,
    );
  if (
    alarm.treat_missing_data !== undefined &&
    !TREATMENTS.includes(alarm.treat_missing_data as TreatMissingData)
  )
    problems.push(
      `treat_missing_data ${JSON.stringify(alarm.treat_missing_data)}; allowed: ${TREATMENTS.join(", ")}`,
    );
  if ((alarm.metric_query === undefined) === (alarm.metric_name === undefined))
    problems.push("exactly one of metric_name and metric_query must be set");
  if (alarm.metric_query && alarm.metric_query.filter((query) => query.return_data).length !== 1)
    problems.push("metric_query needs exactly one entry with return_data = true");
  const periods = alarm.metric_query
    ? alarm.metric_query.flatMap((query) => (query.metric ? [query.metric.period] : []))
    : [alarm.period];
  if (new Set(periods).size !== 1)
    problems.push(`periods ${JSON.stringify(periods)}; allowed: one period for all metrics`);
  for (const period of periods.filter((p) => !isAlarmPeriod(p)))
    problems.push(`period ${JSON.stringify(period)}; allowed: 10, 20, 30 or a multiple of 60`);
  if (problems.length > 0)
    throw new Error(
      `alarm ${JSON.stringify(alarm.alarm_name)} cannot be modelled:\n- ${problems.join("\n- ")}`,
    );
  return alarm;
}

/** PutMetricAlarm Period: "Valid values are 10, 20, 30, and any multiple of 60." */
function isAlarmPeriod(period: number | undefined): boolean {
  return (
    period === 10 ||
    period === 20 ||
    period === 30 ||
    (period !== undefined && period > 0 && period % 60 === 0)
  );
}

/** Runs an alarm over published traffic. */
export function runAlarm(
  alarm: MetricAlarmJson,
  published: PublishedTraffic,
  options: AlarmRunOptions,
): AlarmTimeline {
  const checked = asMetricAlarm(alarm as unknown as Record<string, unknown>);
  const periodSeconds = periodOf(checked);
  const periodCount = Math.floor(options.untilSeconds / periodSeconds);
  const settings: EvaluationSettings = {
    comparisonOperator: checked.comparison_operator as ComparisonOperator,
    threshold: checked.threshold,
    evaluationPeriods: checked.evaluation_periods,
    datapointsToAlarm: checked.datapoints_to_alarm ?? checked.evaluation_periods,
    treatMissingData: (checked.treat_missing_data ?? "missing") as TreatMissingData,
  };
  const rangeLength = options.evaluationRangePeriods ?? defaultEvaluationRange(settings.evaluationPeriods);
  const unit = options.publishedUnit ?? LATENCY_METRIC.unit;
  const { values, lowSampleCounts } = datapoints(checked, published, periodCount, unit);

  const initialState = options.initialState ?? "INSUFFICIENT_DATA";
  const evaluations: AlarmEvaluation[] = [];
  const transitions: AlarmTransition[] = [];
  let state = initialState;
  for (let k = 0; k < periodCount; k++) {
    const time = (k + 1) * periodSeconds;
    const range = Array.from({ length: rangeLength }, (_, i) => values[k - rangeLength + 1 + i]);
    const count = lowSampleCounts?.[k];
    // A skipped evaluation leaves the alarm's state reason, and with it the datapoints an Auto Scaling policy reads,
    // as the last evaluation set them (an assumption: the docs only say the state does not change).
    const result: EvaluationResult =
      count !== undefined && count.samples > 0 && count.samples < count.threshold
        ? {
            state,
            reason: "low-sample-count-ignored",
            evaluated: evaluations.at(-1)?.evaluated ?? [],
            filled: 0,
          }
        : evaluateRange(range, settings, state);
    evaluations.push({ ...result, time, previous: state, range });
    if (result.state !== state) transitions.push({ time, from: state, to: result.state });
    state = result.state;
  }
  return {
    alarmName: checked.alarm_name ?? "(unnamed)",
    periodSeconds,
    settings,
    initialState,
    evaluations,
    transitions,
  };
}

/** The times, in seconds, at which the alarm went into ALARM. */
export function alarmsAt(timeline: Pick<AlarmTimeline, "transitions">): number[] {
  return timeline.transitions.filter((t) => t.to === "ALARM").map((t) => t.time);
}

/** The alarm's state at a time: its state after the last transition at or before it. */
export function stateAt(
  timeline: Pick<AlarmTimeline, "initialState" | "transitions">,
  time: number,
): AlarmState {
  let state = timeline.initialState;
  for (const transition of timeline.transitions) if (transition.time <= time) state = transition.to;
  return state;
}

function periodOf(alarm: MetricAlarmJson): number {
  const period = alarm.metric_query
    ? alarm.metric_query.find((query) => query.metric)?.metric?.period
    : alarm.period;
  if (period === undefined) throw new Error(`alarm ${JSON.stringify(alarm.alarm_name)} reads no metric`);
  return period;
}

/**
 * The alarm's datapoint per period, and for a `pNN` alarm with `evaluate_low_sample_count_percentiles = "ignore"`
 * the sample count and the low-sample threshold of each period. "If you specify ignore, the alarm state does not
 * change during periods with too few data points" (PutMetricAlarm EvaluateLowSampleCountPercentile): the model keeps
 * the state at any evaluation whose newest period has 1 to threshold − 1 samples; a period without samples is
 * missing data, handled by treat_missing_data (the docs do not say which an empty period is). Metric-math alarms
 * are not affected: the parameter is documented for percentile alarms only.
 */
function datapoints(
  alarm: MetricAlarmJson,
  published: PublishedTraffic,
  periodCount: number,
  unit: string,
): { values: Series; lowSampleCounts?: { samples: number; threshold: number }[] } {
  const samplesOf = (metric: Omit<MetricStatJson, "stat">) =>
    metric.namespace === published.namespace &&
    metric.metric_name === LATENCY_METRIC.name &&
    (metric.unit === undefined || metric.unit === unit)
      ? samplesPerPeriod(published.requests, metric.dimensions ?? {}, metric.period, periodCount)
      : Array.from({ length: periodCount }, () => []);

  if (!alarm.metric_query) {
    const statName = alarm.extended_statistic ?? alarm.statistic ?? "";
    const stat = parseStatistic(statName);
    const samples = samplesOf({
      metric_name: alarm.metric_name ?? "",
      namespace: alarm.namespace ?? "",
      dimensions: alarm.dimensions,
      period: alarm.period ?? 0,
      unit: alarm.unit,
    });
    const threshold = lowSampleThreshold(stat);
    const ignoreLow = alarm.evaluate_low_sample_count_percentiles === "ignore" && threshold !== undefined;
    return {
      values: samples.map((period) => computeStatistic(stat, period)),
      lowSampleCounts: ignoreLow
        ? samples.map((period) => ({ samples: period.length, threshold }))
        : undefined,
    };
  }

  const queries = new Map(alarm.metric_query.map((query) => [query.id, query]));
  const cache = new Map<string, Series>();
  const resolving = new Set<string>();
  const resolve = (id: string): Series => {
    const cached = cache.get(id);
    if (cached) return cached;
    const query = queries.get(id);
    if (!query) throw new Error(`metric_query id ${JSON.stringify(id)} is not defined`);
    if (resolving.has(id)) throw new Error(`metric_query ${JSON.stringify(id)} refers to itself`);
    resolving.add(id);
    let series: Series;
    if (query.metric)
      series = samplesOf(query.metric).map((period) => computeStatistic(query.metric?.stat ?? "", period));
    else if (query.expression) {
      for (const dependency of referencedIds(query.expression)) resolve(dependency);
      series = evaluateExpression(query.expression, resolve, periodCount);
    } else throw new Error(`metric_query ${JSON.stringify(id)} has neither metric nor expression`);
    resolving.delete(id);
    cache.set(id, series);
    return series;
  };
  const returned = alarm.metric_query.find((query) => query.return_data);
  return { values: resolve(returned?.id ?? "") };
}
