import { type AlarmEvaluation, type AlarmTimeline, type MetricAlarmJson, runAlarm } from "./alarm";
import type { AlarmState } from "./alarm-evaluation";
import { p99LatencyAlarm, slowShareAlarm } from "./latency-alarms";
import { type StepScalingPolicyJson, type StepScalingScenario, simulateStepScaling } from "./step-scaling";
import { phases } from "./traffic";

const THRESHOLD = 500;

/** An alarm that evaluated as listed: [seconds, state, the evaluated datapoints]. */
function alarm(
  evaluations: [number, AlarmState, number[]][],
  threshold = THRESHOLD,
): Pick<AlarmTimeline, "evaluations" | "settings"> {
  let previous: AlarmState = "INSUFFICIENT_DATA";
  return {
    settings: {
      comparisonOperator: "GreaterThanThreshold",
      threshold,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    },
    evaluations: evaluations.map(([time, state, evaluated]): AlarmEvaluation => {
      const evaluation = {
        time,
        state,
        previous,
        evaluated,
        range: evaluated,
        filled: 0,
        reason: "threshold-crossed" as const,
      };
      previous = state;
      return evaluation;
    }),
  };
}

/** In ALARM every minute from 60 s to `until`, all datapoints `value`. */
function stuckInAlarm(until: number, value = 600) {
  return alarm(
    Array.from({ length: until / 60 }, (_, i): [number, AlarmState, number[]] => [
      (i + 1) * 60,
      "ALARM",
      [value],
    ]),
  );
}

/** The stack's latency step today: +1 task at or above the threshold, 60-s cooldown, Maximum. */
const STACK_POLICY: StepScalingPolicyJson = {
  adjustment_type: "ChangeInCapacity",
  cooldown: 60,
  metric_aggregation_type: "Maximum",
  step_adjustment: [{ metric_interval_lower_bound: "0", scaling_adjustment: 1 }],
};

function scale(overrides: Partial<StepScalingScenario>) {
  return simulateStepScaling({
    policy: STACK_POLICY,
    alarm: stuckInAlarm(600),
    minCapacity: 1,
    maxCapacity: 5,
    initialDesired: 2,
    ...overrides,
  });
}

const steps = (policy: Partial<StepScalingPolicyJson>): StepScalingPolicyJson => ({
  ...STACK_POLICY,
  ...policy,
});

describe("Application Auto Scaling step scaling", () => {
  it("GIVEN an alarm that stays in ALARM WHEN the policy has a 60-s cooldown THEN it adds a task at every evaluation up to the maximum", () => {
    const run = scale({});
    expect(run.activities.map((a) => [a.time, a.to])).toEqual([
      [60, 3],
      [120, 4],
      [180, 5],
    ]);
    expect([run.desiredAt(90), run.finalDesired]).toEqual([3, 5]);
  });

  it("GIVEN a 300-s cooldown WHEN the alarm stays in ALARM THEN the next scale-out waits for the cooldown to end", () => {
    const run = scale({ policy: steps({ cooldown: 300 }) });
    expect(run.activities.map((a) => [a.time, a.to])).toEqual([
      [60, 3],
      [360, 4],
    ]);
  });

  it("GIVEN a larger step during the cooldown WHEN it triggers THEN the capacity the first scale-out added counts toward it", () => {
    const policy = steps({
      cooldown: 300,
      step_adjustment: [
        { metric_interval_lower_bound: "0", metric_interval_upper_bound: "100", scaling_adjustment: 1 },
        { metric_interval_lower_bound: "100", scaling_adjustment: 3 },
      ],
    });
    const evaluations = alarm([
      [60, "ALARM", [550]],
      [120, "ALARM", [650]],
      [180, "ALARM", [650]],
    ]);
    const run = scale({ policy, alarm: evaluations, maxCapacity: 10 });
    expect(run.activities.map((a) => [a.time, a.from, a.to])).toEqual([
      [60, 2, 3],
      [120, 3, 5],
    ]);
  });

  it("GIVEN steps meeting at a bound WHEN the breach equals it THEN above the threshold the lower bound is inclusive", () => {
    const policy = steps({
      step_adjustment: [
        { metric_interval_lower_bound: "0", metric_interval_upper_bound: "100", scaling_adjustment: 1 },
        { metric_interval_lower_bound: "100", scaling_adjustment: 3 },
      ],
    });
    const run = scale({ policy, alarm: alarm([[60, "ALARM", [600]]]), maxCapacity: 10 });
    expect(run.finalDesired).toBe(5);
  });

  it("GIVEN several datapoints WHEN aggregated by Minimum, Maximum or the default Average THEN each picks its own step", () => {
    const twoSteps = [
      { metric_interval_lower_bound: "0", metric_interval_upper_bound: "100", scaling_adjustment: 1 },
      { metric_interval_lower_bound: "100", scaling_adjustment: 3 },
    ];
    const evaluations = alarm([[60, "ALARM", [510, 520, 800]]]);
    const desired = (metric_aggregation_type?: string) =>
      scale({
        policy: { ...steps({ step_adjustment: twoSteps }), metric_aggregation_type },
        alarm: evaluations,
        maxCapacity: 10,
      }).finalDesired;
    expect([desired("Minimum"), desired("Maximum"), desired(undefined)]).toEqual([3, 5, 5]);
  });

  it("GIVEN percentage and exact adjustments WHEN applied THEN they round as documented and honour the minimum magnitude", () => {
    const once = alarm([[60, "ALARM", [600]]]);
    const desired = (policy: Partial<StepScalingPolicyJson>, initialDesired: number, adjustment: number) =>
      scale({
        policy: steps({
          ...policy,
          step_adjustment: [{ metric_interval_lower_bound: "0", scaling_adjustment: adjustment }],
        }),
        alarm: once,
        initialDesired,
        maxCapacity: 100,
      }).finalDesired;
    expect(desired({ adjustment_type: "PercentChangeInCapacity" }, 4, 10)).toBe(5);
    expect(desired({ adjustment_type: "PercentChangeInCapacity" }, 10, 25)).toBe(12);
    expect(desired({ adjustment_type: "PercentChangeInCapacity", min_adjustment_magnitude: 2 }, 4, 10)).toBe(
      6,
    );
    expect(desired({ adjustment_type: "ExactCapacity" }, 2, 7)).toBe(7);
  });

  it("GIVEN a scale-in step WHEN the alarm stays in ALARM THEN scale-in waits for its cooldown, and a scale-out cuts it short", () => {
    const policy = steps({
      cooldown: 300,
      step_adjustment: [
        { metric_interval_upper_bound: "0", scaling_adjustment: -1 },
        { metric_interval_lower_bound: "0", scaling_adjustment: 1 },
      ],
    });
    const evaluations = alarm([
      [60, "ALARM", [400]],
      [120, "ALARM", [400]],
      [180, "ALARM", [600]],
      [240, "ALARM", [400]],
    ]);
    const run = scale({ policy, alarm: evaluations, initialDesired: 4 });
    expect(run.activities.map((a) => [a.time, a.from, a.to])).toEqual([
      [60, 4, 3],
      [180, 3, 4],
      [240, 4, 3],
    ]);
  });

  it("GIVEN a minimum raised above the desired count WHEN the scalable target is registered THEN it scales out at once", () => {
    const run = scale({ alarm: alarm([]), boundsChanges: [{ time: 300, minCapacity: 4 }] });
    expect(run.activities).toEqual([{ time: 300, from: 2, to: 4, cause: "capacity-bounds" }]);
  });

  it("GIVEN a slow burst then a fast trickle WHEN a p99 alarm ignores low samples THEN the stack's step policy scales to the maximum; a slow-share alarm adds one task", () => {
    const ns = "acme/koaapp";
    const traffic = phases(ns, [
      { minutes: 3, ratePerSecond: 100, latencyMs: 2000 },
      { minutes: 20, ratePerSecond: 1, latencyMs: 50 },
    ]);
    const shape = { namespace: ns, thresholdMs: 500, evaluationPeriods: 3, datapointsToAlarm: 3 };
    const p99 = p99LatencyAlarm(shape, "ignore");
    const slowShare = slowShareAlarm(shape);
    const finalDesired = (json: MetricAlarmJson) =>
      scale({ alarm: runAlarm(json, traffic, { untilSeconds: 23 * 60 }), maxCapacity: 10 }).finalDesired;
    expect(finalDesired(p99)).toBe(10);
    expect(finalDesired(slowShare)).toBe(3);
  });
});
