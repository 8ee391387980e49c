import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import { show } from "../contract/problems";
import { SLOW_SHARE_CONDITION, SLOW_SHARE_PERCENT, serviceLatency, slowShareQueries } from "./metric-math";
import { type Checker, isKnown, keysOf } from "./validation";

/**
 * How many tasks run: a fixed count, or (with `maxCapacity`) Application Auto Scaling between `minCapacity` and
 * `maxCapacity` by target tracking on CPU and on requests per task, and a step policy that adds tasks while the
 * service's own EMF latency stays high.
 */
export interface ScalingOptions {
  /** Tasks the service runs; with autoscaling, the count it is created with (autoscaling owns it afterwards). @default - 1, or minCapacity with autoscaling */
  readonly desiredCount?: number;
  /** Fewest tasks autoscaling keeps (with maxCapacity). @default 1 */
  readonly minCapacity?: number;
  /** Most tasks autoscaling runs: setting it turns autoscaling on. @default - no autoscaling: the service runs desiredCount tasks */
  readonly maxCapacity?: number;
  /** Average CPU of the service, in percent, that target tracking holds (10-90). @default 60 */
  readonly cpuTargetPercent?: number;
  /**
   * Requests per task per minute that target tracking holds, through the load balancer's
   * ALBRequestCountPerTarget (needs a created load balancer and a rolling deployment). `false` for none. With a
   * blue/green, linear or canary strategy it is off and refused if set: the metric is per target group, tracking
   * follows one of the service's two, and every release moves the traffic to the other.
   * @default - 1000 with a created load balancer and a rolling deployment, none otherwise
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

/** The autoscaling part of {@link ScalingOptions}, with every default resolved. */
export interface ResolvedAutoScaling {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly cpuTargetPercent: number;
  readonly requestsPerTargetPerMinute: number | false;
  readonly latencyP99ScaleOutMs: number | false;
  readonly latencyScaleOutTasks: number;
  readonly scaleInCooldownSeconds: number;
  readonly scaleOutCooldownSeconds: number;
}

/** {@link ScalingOptions} with every default resolved. */
export interface ResolvedScaling {
  readonly desiredCount: number;
  /** Autoscaling, when `maxCapacity` was given. */
  readonly auto?: ResolvedAutoScaling;
}

const SCALING_KEYS = keysOf<ScalingOptions>({
  desiredCount: true,
  minCapacity: true,
  maxCapacity: true,
  cpuTargetPercent: true,
  requestsPerTargetPerMinute: true,
  latencyP99ScaleOutMs: true,
  latencyScaleOutTasks: true,
  scaleInCooldownSeconds: true,
  scaleOutCooldownSeconds: true,
});

/** The props that mean something only with autoscaling. */
const AUTO_ONLY = SCALING_KEYS.filter((key) => key !== "desiredCount" && key !== "maxCapacity");

/**
 * Resolves the scaling defaults. Request tracking defaults on only with a created load balancer and without a
 * `trafficShift` (a blue/green, linear or canary strategy): ALBRequestCountPerTarget is one target group's metric.
 */
export function resolveScaling(
  options: ScalingOptions,
  createdLoadBalancer: boolean,
  trafficShift = false,
): ResolvedScaling {
  if (options.maxCapacity === undefined) return { desiredCount: options.desiredCount ?? 1 };
  const minCapacity = options.minCapacity ?? 1;
  return {
    desiredCount: options.desiredCount ?? minCapacity,
    auto: {
      minCapacity,
      maxCapacity: options.maxCapacity,
      cpuTargetPercent: options.cpuTargetPercent ?? 60,
      requestsPerTargetPerMinute:
        options.requestsPerTargetPerMinute ?? (createdLoadBalancer && !trafficShift ? 1000 : false),
      latencyP99ScaleOutMs: options.latencyP99ScaleOutMs ?? 500,
      latencyScaleOutTasks: options.latencyScaleOutTasks ?? 1,
      scaleInCooldownSeconds: options.scaleInCooldownSeconds ?? 300,
      scaleOutCooldownSeconds: options.scaleOutCooldownSeconds ?? 60,
    },
  };
}

/** Most tasks autoscaling may run: a bound against typos, not an ECS limit. */
export const MAX_TASKS = 100;

/** Checks the scaling options; `createdLoadBalancer` decides whether request tracking is possible. */
export function checkScaling(
  c: Checker,
  raw: unknown,
  s: ResolvedScaling,
  createdLoadBalancer: boolean,
): void {
  const given = c.object(raw, SCALING_KEYS, "ScalingOptions") as ScalingOptions;
  // As given: with autoscaling the default is minCapacity, whose own check names the value.
  c.at("desiredCount").integer(given.desiredCount, 0, 5000);
  const auto = s.auto;
  if (!auto) {
    c.setWithout(
      given,
      AUTO_ONLY,
      "autoscaling",
      "this prop with scaling.maxCapacity, which turns autoscaling on",
    );
    return;
  }
  const { minCapacity: min, maxCapacity: max } = auto;
  c.at("minCapacity").integer(min, 0, MAX_TASKS);
  c.at("maxCapacity").integer(max, 1, MAX_TASKS);
  if (isKnown(min) && isKnown(max) && min > max)
    c.at("minCapacity").fail(
      min,
      `is above ${c.path}.maxCapacity ${show(max)}`,
      "minCapacity at most maxCapacity",
    );
  const desired = s.desiredCount;
  if (given.desiredCount !== undefined && isKnown(desired) && isKnown(min) && isKnown(max))
    c.at("desiredCount").check(
      desired < min || desired > max,
      desired,
      `is outside ${c.path}.minCapacity ${min} to ${c.path}.maxCapacity ${max}`,
      "a count between them (autoscaling would move it there at once)",
    );
  c.at("cpuTargetPercent").integer(auto.cpuTargetPercent, 10, 90);
  const requests = auto.requestsPerTargetPerMinute;
  if (requests !== false) {
    c.at("requestsPerTargetPerMinute").integer(requests, 1, 1_000_000);
    c.at("requestsPerTargetPerMinute").check(
      !createdLoadBalancer,
      requests,
      "needs a created load balancer",
      "with loadBalancer.create, or false",
    );
  }
  const latency = auto.latencyP99ScaleOutMs;
  if (latency !== false)
    c.at("latencyP99ScaleOutMs").number(latency, { above: 0 }, "a number of milliseconds above 0, or false");
  c.at("latencyScaleOutTasks").integer(auto.latencyScaleOutTasks, 1, MAX_TASKS);
  const { scaleInCooldownSeconds: scaleIn, scaleOutCooldownSeconds: scaleOut } = auto;
  c.at("scaleInCooldownSeconds").integer(scaleIn, 60, 3600);
  c.at("scaleOutCooldownSeconds").integer(scaleOut, 0, 3600);
  if (isKnown(scaleIn) && isKnown(scaleOut))
    c.at("scaleInCooldownSeconds").check(
      scaleIn < scaleOut,
      scaleIn,
      `is shorter than ${c.path}.scaleOutCooldownSeconds ${scaleOut}`,
      "a scale-in cooldown at least as long, so the service adds capacity faster than it sheds it",
    );
}

/** Props of {@link ServiceScaling}; every value already resolved and validated by the service. */
export interface ServiceScalingProps extends ResolvedAutoScaling {
  /** Cluster of the service. */
  readonly clusterName: string;
  /** Name of the ECS service. */
  readonly serviceName: string;
  /** Name prefix of the policies and the scale-out alarm. */
  readonly name: string;
  /** CloudWatch namespace of the service's EMF metrics (for the latency step). */
  readonly namespace: string;
  /** Requests a minute below which a minute does not count towards the latency step. */
  readonly minRequestsPerMinute: number;
  /** ALBRequestCountPerTarget resource label (`app/…/targetgroup/…`). @default - no request tracking */
  readonly requestCountResourceLabel?: string;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
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
    const {
      cpuTargetPercent,
      requestsPerTargetPerMinute: requestsPerTarget,
      latencyP99ScaleOutMs: latencyThreshold,
      latencyScaleOutTasks,
      scaleInCooldownSeconds: scaleInCooldown,
      scaleOutCooldownSeconds: scaleOutCooldown,
    } = props;

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
        alarmDescription: `p99 latency of all routes above ${latencyThreshold} ms (${SLOW_SHARE_CONDITION}) for 3 minutes with at least ${props.minRequestsPerMinute} requests each, a minute without requests reading 0: add ${latencyScaleOutTasks} task(s).`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: SLOW_SHARE_PERCENT,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        // Application Auto Scaling invokes the policy at every evaluation while the alarm stays in ALARM: a quiet
        // minute must end it, so no traffic and too little traffic are not breaching.
        treatMissingData: "notBreaching",
        metricQuery: slowShareQueries(
          serviceLatency(props.namespace),
          latencyThreshold,
          props.minRequestsPerMinute,
          60,
          // Silence must end the ALARM at once, or the policy adds a task at each of its carried-over evaluations.
          { silenceReadsZero: true },
        ).map((q) => ({ ...q })),
        alarmActions: [step.arn],
        tags: props.tags,
      });
    }
  }
}
