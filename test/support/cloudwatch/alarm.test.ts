import { EmfFargateService } from "../../../modules/emf-fargate-service";
import { resourcesOf, SERVICE_PROPS, synthStack } from "../../modules/support";
import { type AlarmTimeline, asMetricAlarm, type MetricAlarmJson, runAlarm, stateAt } from "./alarm";
import { p99LatencyAlarm, slowShareAlarm } from "./latency-alarms";
import { phases } from "./traffic";

const NS = "acme/koaapp";
const SLOW_MS = 2000;
const FAST_MS = 50;

/** The gate's shape: a request slower than 1 s is slow, 3 of 5 minutes. */
const GATE = { namespace: NS, thresholdMs: 1000, evaluationPeriods: 5, datapointsToAlarm: 3 };

/** A p99 alarm in the shape ServiceAlarms synthesized before 0.2.0, with the low-sample setting under test. */
const p99Alarm = (lowSamples: "ignore" | "evaluate"): MetricAlarmJson => p99LatencyAlarm(GATE, lowSamples);

/** A metric-math alarm on the share of requests slower than 1 s, read as 0 below 10 requests a minute. */
const SLOW_SHARE = slowShareAlarm(GATE);

/** Transitions as [seconds, new state]. */
function changes(timeline: AlarmTimeline): [number, string][] {
  return timeline.transitions.map((transition) => [transition.time, transition.to]);
}

const QUIET = phases(NS, [{ minutes: 10, ratePerSecond: 0, latencyMs: 0 }]);
const REGRESSION_1_RPS = phases(NS, [{ minutes: 10, ratePerSecond: 1, latencyMs: SLOW_MS }]);
const BURST_THEN_TRICKLE = phases(NS, [
  { minutes: 3, ratePerSecond: 100, latencyMs: SLOW_MS },
  { minutes: 20, ratePerSecond: 1, latencyMs: FAST_MS },
]);
const BURST_THEN_SILENCE = phases(NS, [
  { minutes: 3, ratePerSecond: 100, latencyMs: SLOW_MS },
  { minutes: 10, ratePerSecond: 0, latencyMs: 0 },
]);

describe("an alarm run over synthetic traffic", () => {
  it("GIVEN no traffic WHEN missing data is not breaching THEN every alarm leaves INSUFFICIENT_DATA for OK at its first evaluation", () => {
    for (const alarm of [p99Alarm("ignore"), p99Alarm("evaluate"), SLOW_SHARE]) {
      const timeline = runAlarm(alarm, QUIET, { untilSeconds: 600 });
      expect({ alarm: alarm.alarm_name, changes: changes(timeline) }).toEqual({
        alarm: alarm.alarm_name,
        changes: [[60, "OK"]],
      });
      expect(timeline.evaluations).toHaveLength(10);
    }
  });

  it("GIVEN a p99 regression at 1 req/s WHEN low sample counts are ignored THEN the alarm never changes state; evaluated, it alarms on the 3rd slow minute", () => {
    const ignored = runAlarm(p99Alarm("ignore"), REGRESSION_1_RPS, { untilSeconds: 600, initialState: "OK" });
    expect(changes(ignored)).toEqual([]);
    expect(new Set(ignored.evaluations.map((evaluation) => evaluation.reason))).toEqual(
      new Set(["low-sample-count-ignored"]),
    );
    expect(changes(runAlarm(p99Alarm("evaluate"), REGRESSION_1_RPS, { untilSeconds: 600 }))).toEqual([
      [60, "OK"],
      [180, "ALARM"],
    ]);
    expect(changes(runAlarm(SLOW_SHARE, REGRESSION_1_RPS, { untilSeconds: 600 }))).toEqual([
      [60, "OK"],
      [180, "ALARM"],
    ]);
  });

  it("GIVEN the same regression at 1,000 req/s WHEN low sample counts are ignored THEN 60,000 samples a minute are enough and it alarms on the 3rd minute", () => {
    const busy = phases(NS, [{ minutes: 4, ratePerSecond: 1000, latencyMs: SLOW_MS }]);
    expect(changes(runAlarm(p99Alarm("ignore"), busy, { untilSeconds: 240 }))).toEqual([
      [60, "OK"],
      [180, "ALARM"],
    ]);
  });

  it("GIVEN a slow burst then a fast trickle WHEN low sample counts are ignored THEN the alarm stays in ALARM; evaluated, it clears once 3 of 5 minutes are fast", () => {
    const options = { untilSeconds: 23 * 60 };
    const ignored = runAlarm(p99Alarm("ignore"), BURST_THEN_TRICKLE, options);
    expect(changes(ignored)).toEqual([
      [60, "OK"],
      [180, "ALARM"],
    ]);
    expect(stateAt(ignored, 23 * 60)).toBe("ALARM");
    for (const alarm of [p99Alarm("evaluate"), SLOW_SHARE])
      expect(changes(runAlarm(alarm, BURST_THEN_TRICKLE, options))).toEqual([
        [60, "OK"],
        [180, "ALARM"],
        [360, "OK"],
      ]);
  });

  it("GIVEN a slow burst then silence WHEN missing data is not breaching THEN the alarm holds until the burst leaves the evaluation range", () => {
    const options = { untilSeconds: 13 * 60 };
    expect(changes(runAlarm(p99Alarm("ignore"), BURST_THEN_SILENCE, options))).toEqual([
      [60, "OK"],
      [180, "ALARM"],
      [480, "OK"],
    ]);
    expect(
      changes(runAlarm(p99Alarm("ignore"), BURST_THEN_SILENCE, { ...options, evaluationRangePeriods: 5 })),
    ).toEqual([
      [60, "OK"],
      [180, "ALARM"],
      [360, "OK"],
    ]);
  });

  it("GIVEN traffic on several routes and classes WHEN alarms name dimensions THEN each sees exactly its EMF dimension set", () => {
    const traffic = {
      namespace: NS,
      requests: [
        ...phases(NS, [{ minutes: 1, ratePerSecond: 1, latencyMs: 10, path: "/a" }]).requests,
        ...phases(NS, [{ minutes: 1, ratePerSecond: 1, latencyMs: 500, path: "/b", status: "5xx" }]).requests,
      ],
    };
    const maximum = (overrides: Partial<MetricAlarmJson>): MetricAlarmJson => ({
      ...p99Alarm("evaluate"),
      extended_statistic: undefined,
      statistic: "Maximum",
      threshold: 100,
      evaluation_periods: 1,
      datapoints_to_alarm: 1,
      treat_missing_data: "missing",
      ...overrides,
    });
    const stateOf = (overrides: Partial<MetricAlarmJson>) =>
      runAlarm(maximum(overrides), traffic, { untilSeconds: 60 }).evaluations[0]?.state;
    expect(stateOf({ dimensions: {} })).toBe("ALARM");
    expect(stateOf({ dimensions: { Path: "/a" } })).toBe("OK");
    expect(stateOf({ dimensions: { Path: "/b" } })).toBe("ALARM");
    expect(stateOf({ dimensions: { StatusClass: "2xx" } })).toBe("OK");
    expect(stateOf({ dimensions: { Path: "/b", StatusClass: "5xx" } })).toBe("INSUFFICIENT_DATA");
    expect(stateOf({ namespace: "other" })).toBe("INSUFFICIENT_DATA");
    expect(stateOf({ unit: "Seconds" })).toBe("INSUFFICIENT_DATA");
  });

  it("GIVEN a block the model cannot run WHEN read THEN every problem is reported at once", () => {
    expect(() =>
      asMetricAlarm({
        alarm_name: "broken",
        comparison_operator: "LessThanLowerThreshold",
        threshold: "1",
        evaluation_periods: 2,
        datapoints_to_alarm: 3,
        treat_missing_data: "skip",
        metric_name: "Latency",
        period: 45,
      }),
    ).toThrow(
      [
        'alarm "broken" cannot be modelled:',
        '- comparison_operator "LessThanLowerThreshold"; allowed: GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold',
        '- threshold "1"; allowed: a number',
        "- datapoints_to_alarm 3; allowed: an integer from 1 to evaluation_periods",
        '- treat_missing_data "skip"; allowed: missing, ignore, breaching, notBreaching',
        "- period 45; allowed: 10, 20, 30 or a multiple of 60",
      ].join("\n"),
    );
  });

  it("GIVEN the alarms the service synthesizes WHEN run on a quiet service THEN the model reads each block and the no-metrics alarm fires at its first evaluation", () => {
    const { json } = synthStack(
      (stack) =>
        new EmfFargateService(stack, "Service", {
          ...SERVICE_PROPS,
          metrics: { namespace: NS },
          scaling: { minCapacity: 1, maxCapacity: 4 },
        }),
    );
    const quiet = phases(NS, [{ minutes: 15, ratePerSecond: 0, latencyMs: 0 }]);
    const timelines = resourcesOf(json, "aws_cloudwatch_metric_alarm").map((block) =>
      runAlarm(asMetricAlarm(block), quiet, { untilSeconds: 900 }),
    );
    expect(Object.fromEntries(timelines.map((timeline) => [timeline.alarmName, changes(timeline)]))).toEqual({
      "koaapp-latency-p99": [[60, "OK"]],
      "koaapp-5xx-rate": [[60, "OK"]],
      "koaapp-no-metrics": [[300, "ALARM"]],
      "koaapp-latency-p99-scale-out": [[60, "OK"]],
    });
  });
});
