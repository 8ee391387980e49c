/**
 * One CloudWatch alarm evaluation: from the datapoints of the evaluation range to the alarm's next state.
 *
 * Source: CloudWatch User Guide, "Alarm evaluation", "Configuring how CloudWatch alarms treat missing data" and
 * "Avoiding premature transitions to alarm state":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html (archived Markdown:
 * awsdocs/amazon-cloudwatch-user-guide doc_source/AlarmThatSendsEmail.md, revisions 05fd32f6, cd4004cd and the later
 * one with the premature-transition section). Every row of both example tables of every revision is pinned in
 * alarm-evaluation.test.ts.
 */

/** The three states of a metric alarm. */
export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** `treat_missing_data`; CloudWatch's default is `missing`. */
export type TreatMissingData = "missing" | "ignore" | "breaching" | "notBreaching";

/** Static-threshold comparison operators of PutMetricAlarm (the anomaly-band ones are out of scope). */
export type ComparisonOperator =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

/** Settings that decide a state from datapoints. */
export interface EvaluationSettings {
  readonly comparisonOperator: ComparisonOperator;
  readonly threshold: number;
  /** N: `evaluation_periods`. */
  readonly evaluationPeriods: number;
  /** M: `datapoints_to_alarm` (CloudWatch's default is N). */
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
}

/** Why an evaluation landed where it did. */
export type EvaluationReason =
  | "threshold-crossed"
  | "within-threshold"
  | "premature-alarm"
  | "all-missing"
  | "too-few-datapoints"
  | "missing-data-ignored"
  | "low-sample-count-ignored";

/** The outcome of one evaluation. */
export interface EvaluationResult {
  readonly state: AlarmState;
  readonly reason: EvaluationReason;
  /** The real datapoints evaluated, oldest first (what `recentDatapoints` of the state reason would list). */
  readonly evaluated: readonly number[];
  /** How many datapoints the missing-data treatment supplied. */
  readonly filled: number;
}

/** Whether a datapoint breaches the threshold. */
export function breaches(value: number, operator: ComparisonOperator, threshold: number): boolean {
  switch (operator) {
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "GreaterThanThreshold":
      return value > threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
  }
}

/**
 * The default evaluation range, in periods. The guide publishes one example (N = 3, "5 is the evaluation range")
 * and says the number "depends on the length of the alarm period and whether it is based on a metric with standard
 * resolution or high resolution" without a formula: N + 2 is an assumption, overridable per run.
 */
export function defaultEvaluationRange(evaluationPeriods: number): number {
  return evaluationPeriods + 2;
}

/**
 * Evaluates the range (oldest first, `undefined` for a period without a datapoint):
 *
 * 1. at least N real datapoints in the range → the most recent N real ones decide; the treatment "is not needed
 *    and is ignored";
 * 2. fewer → every real datapoint in the range plus N − real fills decide ("CloudWatch uses missing data points only
 *    as few times as possible"); ALARM when at least M breach, else OK — except that `missing` and `ignore` never
 *    let fills decide: with no real non-breaching datapoint and fewer than M breaching, `missing` goes to ALARM when
 *    the oldest real (breaching) datapoint is at least M periods old (the premature-alarm rule: `- - X - -` alarms,
 *    `- - - - X` does not yet) and to INSUFFICIENT_DATA otherwise, and `ignore` keeps the current state;
 * 3. no real datapoint → breaching: ALARM, notBreaching: OK, missing: INSUFFICIENT_DATA, ignore: current state.
 *
 * The guide's M-of-N paragraph says "at least as old as ... Evaluation Periods", but its own table (`- - - X -`,
 * M = 2, N = 3 → ALARM under `missing`) needs M; the table wins.
 */
export function evaluateRange(
  range: readonly (number | undefined)[],
  settings: EvaluationSettings,
  current: AlarmState,
): EvaluationResult {
  const { evaluationPeriods: n, datapointsToAlarm: m, treatMissingData } = settings;
  const isBreaching = (value: number) => breaches(value, settings.comparisonOperator, settings.threshold);
  const real = range.flatMap((value, index) =>
    value === undefined ? [] : [{ value, age: range.length - index }],
  );

  if (real.length >= n) {
    const evaluated = real.slice(-n).map((point) => point.value);
    const breaching = evaluated.filter(isBreaching).length;
    return decided(breaching >= m, evaluated, 0);
  }

  const evaluated = real.map((point) => point.value);
  const filled = n - real.length;
  const breaching = evaluated.filter(isBreaching).length;
  const healthy = evaluated.length - breaching;
  switch (treatMissingData) {
    case "breaching":
      return decided(breaching + filled >= m, evaluated, filled);
    case "notBreaching":
      return decided(breaching >= m, evaluated, filled);
    case "missing":
    case "ignore": {
      if (breaching >= m || healthy > 0) return decided(breaching >= m, evaluated, filled);
      if (treatMissingData === "ignore")
        return { state: current, reason: "missing-data-ignored", evaluated, filled };
      if (real.length === 0) return { state: "INSUFFICIENT_DATA", reason: "all-missing", evaluated, filled };
      const oldest = real[0]?.age ?? 0;
      if (oldest >= m) return { state: "ALARM", reason: "premature-alarm", evaluated, filled };
      return { state: "INSUFFICIENT_DATA", reason: "too-few-datapoints", evaluated, filled };
    }
  }
}

function decided(alarm: boolean, evaluated: readonly number[], filled: number): EvaluationResult {
  return alarm
    ? { state: "ALARM", reason: "threshold-crossed", evaluated, filled }
    : { state: "OK", reason: "within-threshold", evaluated, filled };
}
