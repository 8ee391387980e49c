import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import { LATENCY_METRIC } from "../contract/metrics";
import { checkIntRange, invalidProps, isKnown, Problems, show } from "./validation";

/** How the task count follows load; the service supplies cluster, names and metrics. */
export interface ScalingOptions {
  /** Fewest tasks. */
  readonly minCapacity: number;
  /** Most tasks. */
  readonly maxCapacity: number;
  /** Average CPU of the service, in percent, that target tracking holds (10-90). @default 60 */
  readonly cpuTargetPercent?: number;
  /**
   * Requests per task per minute that target tracking holds, through the load balancer's
   * ALBRequestCountPerTarget (needs a created load balancer). `false` for none.
   * @default 1000
   */
  readonly requestsPerTargetPerMinute?: number | false;
  /**
   * p99 latency (ms) of the service's own EMF metric above which, for 3 minutes running, tasks are added
   * (step scaling: latency does not fall in proportion to capacity, so it cannot be a tracking target).
   * `false` for none.
   * @default 500
   */
  readonly latencyP99ScaleOutMs?: number | false;
  /** Tasks added per latency step. @default 1 */
  readonly latencyScaleOutTasks?: number;
  /** Seconds after a scale-in before the next (60-3600, at least the scale-out cooldown). @default 300 */
  readonly scaleInCooldownSeconds?: number;
  /** Seconds after a scale-out before the next (0-3600). @default 60 */
  readonly scaleOutCooldownSeconds?: number;
}

/** Props of {@link ServiceScaling}. */
export interface ServiceScalingProps extends ScalingOptions {
  /** Cluster of the service. */
  readonly clusterName: string;
  /** Name of the ECS service. */
  readonly serviceName: string;
  /** Name prefix of the scale-out alarm. */
  readonly name: string;
  /** CloudWatch namespace of the service's EMF metrics (for the latency step). */
  readonly namespace: string;
  /** ALBRequestCountPerTarget resource label (`app/…/targetgroup/…`). @default - no request tracking */
  readonly requestCountResourceLabel?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Most tasks autoscaling may run: a bound against typos, not an ECS limit. */
export const MAX_TASKS = 100;

/** Checks min and max task counts against each other and {@link MAX_TASKS}. */
export function checkTaskBounds(
  problems: Problems,
  minProp: string,
  min: number,
  maxProp: string,
  max: number,
): void {
  checkIntRange(problems, minProp, min, 0, MAX_TASKS);
  checkIntRange(problems, maxProp, max, 1, MAX_TASKS);
  problems.check(
    isKnown(min) && isKnown(max) && min > max,
    `${minProp} ${show(min)} is above ${maxProp} ${show(max)}; allowed: ${minProp} at most ${maxProp}`,
  );
}

/** Checks scaling options, naming them under `prefix` (e.g. "autoScaling."). */
export function checkScalingOptions(problems: Problems, prefix: string, options: ScalingOptions): void {
  checkTaskBounds(
    problems,
    `${prefix}minCapacity`,
    options.minCapacity,
    `${prefix}maxCapacity`,
    options.maxCapacity,
  );
  checkIntRange(problems, `${prefix}cpuTargetPercent`, options.cpuTargetPercent, 10, 90);
  const requests = options.requestsPerTargetPerMinute;
  if (requests !== false)
    checkIntRange(problems, `${prefix}requestsPerTargetPerMinute`, requests, 1, 1_000_000);
  const latency = options.latencyP99ScaleOutMs;
  problems.check(
    latency !== false && latency !== undefined && isKnown(latency) && !(latency > 0),
    `${prefix}latencyP99ScaleOutMs ${show(latency)} is not positive; allowed: a number of milliseconds above 0`,
  );
  checkIntRange(problems, `${prefix}latencyScaleOutTasks`, options.latencyScaleOutTasks, 1, MAX_TASKS);
  const scaleIn = options.scaleInCooldownSeconds ?? 300;
  const scaleOut = options.scaleOutCooldownSeconds ?? 60;
  checkIntRange(problems, `${prefix}scaleInCooldownSeconds`, options.scaleInCooldownSeconds, 60, 3600);
  checkIntRange(problems, `${prefix}scaleOutCooldownSeconds`, options.scaleOutCooldownSeconds, 0, 3600);
  problems.check(
    isKnown(scaleIn) && isKnown(scaleOut) && scaleIn < scaleOut,
    `${prefix}scaleInCooldownSeconds ${scaleIn} is shorter than ${prefix}scaleOutCooldownSeconds ${scaleOut}; allowed: a scale-in cooldown at least as long, so the service adds capacity faster than it sheds it`,
  );
}

/**
 * Application Auto Scaling of an ECS service's task count: target tracking on CPU and on requests per
 * task, and a step policy that adds tasks while the p99 of the service's own EMF `Latency` stays high.
 */
export class ServiceScaling extends Construct {
  /** The scalable target. */
  readonly target: AppautoscalingTarget;
  /** The latency alarm driving the step policy, unless turned off. */
  readonly latencyAlarm?: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: ServiceScalingProps) {
    super(scope, id);
    const cpuTargetPercent = props.cpuTargetPercent ?? 60;
    const requestsPerTarget = props.requestsPerTargetPerMinute ?? 1000;
    const latencyThreshold = props.latencyP99ScaleOutMs ?? 500;
    const latencyScaleOutTasks = props.latencyScaleOutTasks ?? 1;
    const scaleInCooldown = props.scaleInCooldownSeconds ?? 300;
    const scaleOutCooldown = props.scaleOutCooldownSeconds ?? 60;

    const problems = new Problems();
    checkScalingOptions(problems, "", props);
    problems.throwIfAny(invalidProps(this));

    this.target = new AppautoscalingTarget(this, "Resource", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      tags: props.tags,
    });
    const scaled = {
      serviceNamespace: this.target.serviceNamespace,
      scalableDimension: this.target.scalableDimension,
      resourceId: this.target.resourceId,
    };
    const track = (id: string, targetValue: number, predefinedMetricType: string, resourceLabel?: string) =>
      new AppautoscalingPolicy(this, id, {
        name: `${props.name}-${id.toLowerCase()}`,
        policyType: "TargetTrackingScaling",
        ...scaled,
        targetTrackingScalingPolicyConfiguration: {
          targetValue,
          predefinedMetricSpecification: { predefinedMetricType, resourceLabel },
          scaleInCooldown,
          scaleOutCooldown,
        },
      });
    track("Cpu", cpuTargetPercent, "ECSServiceAverageCPUUtilization");
    if (requestsPerTarget !== false && props.requestCountResourceLabel !== undefined)
      track("Requests", requestsPerTarget, "ALBRequestCountPerTarget", props.requestCountResourceLabel);
    if (latencyThreshold !== false) {
      const step = new AppautoscalingPolicy(this, "LatencyStep", {
        name: `${props.name}-latency-step`,
        policyType: "StepScaling",
        ...scaled,
        stepScalingPolicyConfiguration: {
          adjustmentType: "ChangeInCapacity",
          cooldown: scaleOutCooldown,
          metricAggregationType: "Maximum",
          stepAdjustment: [{ metricIntervalLowerBound: "0", scalingAdjustment: latencyScaleOutTasks }],
        },
      });
      this.latencyAlarm = new CloudwatchMetricAlarm(this, "LatencyAlarm", {
        alarmName: `${props.name}-latency-p99-scale-out`,
        alarmDescription: `p99 latency of all routes above ${latencyThreshold} ms for 3 minutes: add ${latencyScaleOutTasks} task(s).`,
        namespace: props.namespace,
        metricName: LATENCY_METRIC.name,
        extendedStatistic: "p99",
        unit: LATENCY_METRIC.unit,
        period: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        comparisonOperator: "GreaterThanThreshold",
        threshold: latencyThreshold,
        // No traffic is no reason to scale; a p99 of a handful of samples is noise.
        treatMissingData: "notBreaching",
        evaluateLowSampleCountPercentiles: "ignore",
        alarmActions: [step.arn],
        tags: props.tags,
      });
    }
  }
}
