/**
 * CloudWatch statistics over the raw samples of one period, as the CloudWatch User Guide defines them:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html (archived Markdown:
 * awsdocs/amazon-cloudwatch-user-guide doc_source/Statistics-definitions.md @ 20a560c1).
 *
 * A period without samples has no datapoint for any statistic (`undefined`), SampleCount included: CloudWatch
 * returns no datapoint for a period in which nothing was published.
 */

/** A statistic name as an alarm or a metric query names it (`Average`, `p99`, `PR(:250)`, `tm90`, ...). */
export type StatisticName = string;

/** One bound of a ranged statistic: an absolute value in the metric's unit, or a percentage of the samples. */
type Bound =
  | { readonly kind: "value"; readonly value: number }
  | { readonly kind: "percent"; readonly value: number };

/** A parsed statistic. */
export type Statistic =
  | { readonly kind: "SampleCount" | "Sum" | "Average" | "Minimum" | "Maximum" }
  | { readonly kind: "percentile"; readonly percent: number }
  | {
      readonly kind: "PR" | "TC" | "TM" | "TS";
      readonly lower?: Bound;
      readonly upper?: Bound;
    };

const SIMPLE = ["SampleCount", "Sum", "Average", "Minimum", "Maximum"] as const;

/**
 * Parses a statistic name. Ranged forms follow the guide's syntax: uppercase with parentheses and one or two bounds
 * (`TM(10%:90%)`, `TC(80:500)`, `PR(:300)`), or lowercase with one percentage (`tm99` = `TM(:99%)`); `IQM` is
 * `TM(25%:75%)`. `PR` takes absolute bounds only ("the percentage of values that meet a fixed threshold").
 */
export function parseStatistic(name: StatisticName): Statistic {
  if ((SIMPLE as readonly string[]).includes(name)) return { kind: name as (typeof SIMPLE)[number] };
  if (name === "IQM") return { kind: "TM", lower: percent(25), upper: percent(75) };
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(name);
  if (percentile) {
    const value = Number(percentile[1]);
    if (value <= 100) return { kind: "percentile", percent: value };
  }
  const short = /^(tm|tc|ts)(\d+(?:\.\d+)?)$/.exec(name);
  if (short?.[1] && short[2] && Number(short[2]) <= 100)
    return { kind: short[1].toUpperCase() as "TM" | "TC" | "TS", upper: percent(Number(short[2])) };
  const ranged = /^(PR|TC|TM|TS)\(([^:()]*):([^:()]*)\)$/.exec(name);
  if (ranged?.[1]) {
    const kind = ranged[1] as "PR" | "TC" | "TM" | "TS";
    const lower = parseBound(ranged[2] ?? "");
    const upper = parseBound(ranged[3] ?? "");
    const valid =
      lower !== null &&
      upper !== null &&
      (lower !== undefined || upper !== undefined) &&
      !(kind === "PR" && (lower?.kind === "percent" || upper?.kind === "percent"));
    if (valid) return { kind, lower, upper };
  }
  throw new Error(
    `statistic ${JSON.stringify(name)} is not modelled; allowed: ${SIMPLE.join(", ")}, pNN, tmNN, tcNN, tsNN, IQM, PR(n:m), TC/TM/TS(n:m) or (n%:m%)`,
  );
}

function percent(value: number): Bound {
  return { kind: "percent", value };
}

/** `undefined` for an open end, `null` for something that is not a bound. */
function parseBound(text: string): Bound | undefined | null {
  if (text === "") return undefined;
  const match = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  if (!match) return null;
  const value = Number(match[1]);
  if (match[2] === "%") return value <= 100 ? percent(value) : null;
  return { kind: "value", value };
}

/** The value of a statistic over one period's samples, or `undefined` when the period has no datapoint. */
export function computeStatistic(
  statistic: Statistic | StatisticName,
  samples: readonly number[],
): number | undefined {
  const stat = typeof statistic === "string" ? parseStatistic(statistic) : statistic;
  if (samples.length === 0) return undefined;
  // "Percentile statistics are not available for metrics when any of the metric values are negative numbers"
  // (Statistics-definitions, "Requirements to use percentiles ..."); latency never is, so refuse rather than guess.
  if (!(SIMPLE as readonly string[]).includes(stat.kind) && samples.some((value) => value < 0))
    throw new RangeError(`${stat.kind} is not available for negative values`);
  switch (stat.kind) {
    case "SampleCount":
      return samples.length;
    case "Sum":
      return sum(samples);
    case "Average":
      return sum(samples) / samples.length;
    case "Minimum":
      return Math.min(...samples);
    case "Maximum":
      return Math.max(...samples);
    case "percentile":
      return percentile(sorted(samples), stat.percent);
    default:
      return ranged(stat, samples);
  }
}

/**
 * Nearest-rank percentile: the smallest sample such that at least `p` % of the samples are at or below it ("p95 ...
 * means that 95 percent of the data within the period is lower than this value"). CloudWatch does not publish
 * whether it interpolates or buckets raw values; on exact values this is the textbook reading of its definition.
 */
export function percentile(ascending: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil(round((p / 100) * ascending.length)));
  return ascending[Math.min(rank, ascending.length) - 1] as number;
}

function ranged(stat: Extract<Statistic, { lower?: Bound }>, samples: readonly number[]): number | undefined {
  const inRange = selectRange(sorted(samples), stat.lower, stat.upper);
  switch (stat.kind) {
    case "PR":
      return (100 * inRange.length) / samples.length;
    case "TC":
      return inRange.length;
    case "TS":
      return sum(inRange);
    case "TM":
      return inRange.length === 0 ? undefined : sum(inRange) / inRange.length;
  }
}

/**
 * The samples inside a range. Absolute bounds: lower exclusive, upper inclusive ("the calculation includes values
 * equal to the higher boundary, but does not include values equal to the lower boundary"; "Percentile rank is
 * exclusive on the lower bound and inclusive on the upper bound"). Percentage bounds cut by nearest rank, like
 * {@link percentile}: `TM(10%:90%)` over 100 samples keeps ranks 11–90 (the guide: "removing the 10% of data points
 * with the highest values"); how CloudWatch breaks ties at a percentage cut is not documented.
 */
function selectRange(ascending: readonly number[], lower?: Bound, upper?: Bound): number[] {
  const n = ascending.length;
  const fromRank = lower?.kind === "percent" ? Math.ceil(round((lower.value / 100) * n)) : 0;
  const toRank = upper?.kind === "percent" ? Math.ceil(round((upper.value / 100) * n)) : n;
  return ascending.filter(
    (value, index) =>
      index >= fromRank &&
      index < toRank &&
      (lower?.kind !== "value" || value > lower.value) &&
      (upper?.kind !== "value" || value <= upper.value),
  );
}

/**
 * The sample count below which `evaluate_low_sample_count_percentiles` applies to a `pNN` alarm: 10/(1-p) for p in
 * [0.5, 1), 10/p for p in (0, 0.5) (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/percentiles-with-low-samples.html;
 * p99 → 1000). `undefined` for p0 and p100, which the page leaves out, and for every other statistic: the page
 * speaks of percentiles only and its formula needs a p.
 */
export function lowSampleThreshold(statistic: Statistic | StatisticName): number | undefined {
  const stat = typeof statistic === "string" ? parseStatistic(statistic) : statistic;
  if (stat.kind !== "percentile" || stat.percent <= 0 || stat.percent >= 100) return undefined;
  return round(stat.percent >= 50 ? 1000 / round(100 - stat.percent) : 1000 / stat.percent);
}

/** Rounds away binary noise (0.999 * 1000 = 998.9999999999999) before a ceil or a comparison. */
function round(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

function sorted(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
