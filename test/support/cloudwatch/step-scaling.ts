/**
 * The desired task count an Application Auto Scaling step scaling policy produces from an alarm's evaluations.
 *
 * Sources: Application Auto Scaling user guide, step scaling —
 * https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html and
 * https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html
 * (archived: awsdocs/application-auto-scaling-user-guide doc_source/application-auto-scaling-step-scaling-policies.md
 * @ 04798a9f); StepScalingPolicyConfiguration API reference; "Application Auto Scaling concepts"
 * (https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html); CloudWatch "Alarm actions"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html).
 */
import type { AlarmTimeline } from "./alarm";

/** One `step_adjustment`, as synthesized (bounds are strings in the Terraform JSON). */
export interface StepAdjustmentJson {
  readonly metric_interval_lower_bound?: string;
  readonly metric_interval_upper_bound?: string;
  readonly scaling_adjustment: number;
}

/** `step_scaling_policy_configuration` of an `aws_appautoscaling_policy`, as synthesized. */
export interface StepScalingPolicyJson {
  readonly adjustment_type?: string;
  /** Seconds; Application Auto Scaling's default for ECS services is 300. */
  readonly cooldown?: number;
  /** Average (the default when null), Minimum or Maximum. */
  readonly metric_aggregation_type?: string;
  readonly min_adjustment_magnitude?: number;
  readonly step_adjustment: readonly StepAdjustmentJson[];
}

/** A RegisterScalableTarget call that changes the bounds. */
export interface CapacityBoundsChange {
  readonly time: number;
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
}

/** Inputs of {@link simulateStepScaling}. */
export interface StepScalingScenario {
  readonly policy: StepScalingPolicyJson;
  /** The alarm whose `alarm_actions` holds the policy. */
  readonly alarm: Pick<AlarmTimeline, "evaluations" | "settings">;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Desired count before the first event. */
  readonly initialDesired: number;
  /** Bounds changes (a `terraform apply` of the scalable target). @default none */
  readonly boundsChanges?: readonly CapacityBoundsChange[];
}

/** A change of the desired count. */
export interface ScalingActivity {
  readonly time: number;
  readonly from: number;
  readonly to: number;
  readonly cause: "step-policy" | "capacity-bounds";
}

/** The desired count over time. */
export interface ScalingRun {
  readonly activities: readonly ScalingActivity[];
  readonly finalDesired: number;
  /** The desired count after every activity at or before `time`. */
  desiredAt(time: number): number;
}

/**
 * Replays the alarm's evaluations:
 *
 * - the policy runs at **every** evaluation that leaves the alarm in ALARM, not only on the OK → ALARM transition
 *   ("Except for Auto Scaling actions, the actions happen only on state transitions"; "The adjustments can continue
 *   for additional alarm breaches until the alarm state returns to OK");
 * - the metric value is the policy's aggregation (Average by default) of the evaluation's real datapoints ("applies
 *   your specified aggregation type to the most recent metric data points"; which points exactly is not documented,
 *   and an evaluation without real datapoints adjusts nothing); its distance from the threshold picks the step —
 *   above the threshold the lower bound is inclusive and the upper exclusive, below it the reverse;
 * - scale-out cooldown: "The scaling policy won't increase the desired capacity again unless either a larger scale
 *   out is triggered or the cooldown period ends", counting the capacity the initiating scale-out added (+2, then a +3
 *   trigger inside the cooldown adds 1); a larger scale-out restarts the cooldown (an interpretation);
 * - scale-in cooldown: scale-in is blocked until it ends; a scale-out ends it;
 * - bounds: "anytime a scaling policy is invoked or the RegisterScalableTarget API is called, Application Auto
 *   Scaling retrieves the current capacity and compares it to the minimum and maximum capacity. If it falls outside
 *   ... the capacity is updated" — so raising the minimum above the desired count scales out at once.
 */
export function simulateStepScaling(scenario: StepScalingScenario): ScalingRun {
  const { policy, alarm } = scenario;
  const cooldown = policy.cooldown ?? 300;
  let min = scenario.minCapacity;
  let max = scenario.maxCapacity;
  let desired = scenario.initialDesired;
  let scaleOut: { until: number; base: number } | undefined;
  let scaleInUntil: number | undefined;
  const activities: ScalingActivity[] = [];
  const change = (time: number, to: number, cause: ScalingActivity["cause"]) => {
    if (to !== desired) activities.push({ time, from: desired, to, cause });
    desired = to;
  };
  const clamp = (value: number) => Math.min(max, Math.max(min, value));

  const events = [
    ...(scenario.boundsChanges ?? []).map((bounds) => ({ time: bounds.time, bounds })),
    ...alarm.evaluations
      .filter((e) => e.state === "ALARM")
      .map((evaluation) => ({ time: evaluation.time, evaluation })),
  ].sort((a, b) => a.time - b.time || Number("evaluation" in a) - Number("evaluation" in b));

  for (const event of events) {
    const { time } = event;
    if ("bounds" in event) {
      min = event.bounds.minCapacity ?? min;
      max = event.bounds.maxCapacity ?? max;
      change(time, clamp(desired), "capacity-bounds");
      continue;
    }
    change(time, clamp(desired), "capacity-bounds");
    const value = aggregate(policy.metric_aggregation_type ?? "Average", event.evaluation.evaluated);
    if (value === undefined) continue;
    const step = stepFor(policy.step_adjustment, value - alarm.settings.threshold);
    if (!step) continue;
    const outward = isScaleOut(policy, step.scaling_adjustment, desired);
    if (outward) {
      const inCooldown = scaleOut !== undefined && time < scaleOut.until;
      const base = inCooldown && scaleOut ? scaleOut.base : desired;
      const target = clamp(adjusted(policy, base, step.scaling_adjustment));
      if (target > desired) {
        change(time, target, "step-policy");
        scaleOut = { until: time + cooldown, base };
        scaleInUntil = undefined;
      }
    } else if (scaleInUntil === undefined || time >= scaleInUntil) {
      const target = clamp(adjusted(policy, desired, step.scaling_adjustment));
      if (target < desired) {
        change(time, target, "step-policy");
        scaleInUntil = time + cooldown;
      }
    }
  }

  return {
    activities,
    finalDesired: desired,
    desiredAt(time: number) {
      let value = scenario.initialDesired;
      for (const activity of activities) if (activity.time <= time) value = activity.to;
      return value;
    },
  };
}

function aggregate(type: string, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  if (type === "Maximum") return Math.max(...values);
  if (type === "Minimum") return Math.min(...values);
  if (type === "Average") return values.reduce((a, b) => a + b, 0) / values.length;
  throw new Error(`metric_aggregation_type ${JSON.stringify(type)}; allowed: Average, Minimum, Maximum`);
}

/** The step whose interval holds the breach size (metric value − threshold); open bounds are ±infinity. */
function stepFor(steps: readonly StepAdjustmentJson[], breach: number): StepAdjustmentJson | undefined {
  const bound = (text: string | undefined, open: number) => (text === undefined ? open : Number(text));
  return steps.find((step) => {
    const lower = bound(step.metric_interval_lower_bound, Number.NEGATIVE_INFINITY);
    const upper = bound(step.metric_interval_upper_bound, Number.POSITIVE_INFINITY);
    return breach >= 0 ? lower <= breach && breach < upper : lower < breach && breach <= upper;
  });
}

function isScaleOut(policy: StepScalingPolicyJson, adjustment: number, desired: number): boolean {
  return (policy.adjustment_type ?? "ChangeInCapacity") === "ExactCapacity"
    ? adjustment > desired
    : adjustment > 0;
}

/**
 * Capacity after one adjustment. PercentChangeInCapacity rounds as documented: above 1 down, between 0 and 1 to 1,
 * between −1 and 0 to −1, below −1 up; `min_adjustment_magnitude` is a floor on the size of the change.
 */
function adjusted(policy: StepScalingPolicyJson, capacity: number, adjustment: number): number {
  const type = policy.adjustment_type ?? "ChangeInCapacity";
  if (type === "ExactCapacity") return adjustment;
  if (type === "ChangeInCapacity") return capacity + adjustment;
  if (type !== "PercentChangeInCapacity")
    throw new Error(
      `adjustment_type ${JSON.stringify(type)}; allowed: ChangeInCapacity, ExactCapacity, PercentChangeInCapacity`,
    );
  const raw = (capacity * adjustment) / 100;
  let delta = raw > 1 ? Math.floor(raw) : raw > 0 ? 1 : raw < -1 ? Math.ceil(raw) : raw < 0 ? -1 : 0;
  const magnitude = policy.min_adjustment_magnitude ?? 0;
  if (delta !== 0 && Math.abs(delta) < magnitude) delta = Math.sign(delta) * magnitude;
  return capacity + delta;
}
