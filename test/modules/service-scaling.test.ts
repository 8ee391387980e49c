import { TerraformVariable } from "cdktf";
import { LATENCY_METRIC } from "../../contract/metrics";
import { MAX_TASKS, ServiceScaling, type ServiceScalingProps } from "../../modules/service-scaling";
import {
  blockOf,
  childOf,
  newStack,
  problemLine,
  ref,
  resourcesOf,
  type Synthesized,
  synthStack,
} from "./support";

const BASE: ServiceScalingProps = {
  clusterName: "shared",
  serviceName: "koaapp",
  name: "koaapp",
  namespace: "acme/koaapp",
  minCapacity: 1,
  maxCapacity: 4,
};
const LABEL = "app/koaapp/0123456789abcdef/targetgroup/tg/fedcba9876543210";

function synthScaling(overrides: Partial<ServiceScalingProps> = {}): Synthesized<ServiceScaling> {
  return synthStack((stack) => new ServiceScaling(stack, "Scaling", { ...BASE, ...overrides }));
}

function build(overrides: Partial<ServiceScalingProps>): ServiceScaling {
  return new ServiceScaling(newStack(), "Scaling", { ...BASE, ...overrides });
}

describe("ServiceScaling with defaults and a load balancer's request label", () => {
  const synth = synthScaling({ requestCountResourceLabel: LABEL });
  const scaling = synth.built;
  const at = (path: string, attribute: string) => ref(synth.stack, childOf(scaling, path), attribute);
  const block = (path: string) => blockOf(synth, childOf(scaling, path));
  const scaled = {
    service_namespace: at("Resource", "service_namespace"),
    scalable_dimension: at("Resource", "scalable_dimension"),
    resource_id: at("Resource", "resource_id"),
  };

  it("GIVEN min and max WHEN synthesized THEN the service's desired count is the scalable target", () => {
    expect(block("Resource")).toEqual({
      service_namespace: "ecs",
      scalable_dimension: "ecs:service:DesiredCount",
      resource_id: "service/shared/koaapp",
      min_capacity: 1,
      max_capacity: 4,
    });
  });

  it("GIVEN no targets WHEN synthesized THEN CPU is held at 60 % and requests at 1000 per task per minute, scaling in five times slower than out", () => {
    const cooldowns = { scale_in_cooldown: 300, scale_out_cooldown: 60 };
    expect(block("Cpu")).toEqual({
      name: "koaapp-cpu",
      policy_type: "TargetTrackingScaling",
      ...scaled,
      target_tracking_scaling_policy_configuration: {
        target_value: 60,
        predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
        ...cooldowns,
      },
    });
    expect(block("Requests")).toEqual({
      name: "koaapp-requests",
      policy_type: "TargetTrackingScaling",
      ...scaled,
      target_tracking_scaling_policy_configuration: {
        target_value: 1000,
        predefined_metric_specification: {
          predefined_metric_type: "ALBRequestCountPerTarget",
          resource_label: LABEL,
        },
        ...cooldowns,
      },
    });
  });

  it("GIVEN the EMF namespace WHEN synthesized THEN a p99 Latency alarm above 500 ms for 3 minutes triggers a step that adds one task", () => {
    expect(block("LatencyStep")).toEqual({
      name: "koaapp-latency-step",
      policy_type: "StepScaling",
      ...scaled,
      step_scaling_policy_configuration: {
        adjustment_type: "ChangeInCapacity",
        cooldown: 60,
        metric_aggregation_type: "Maximum",
        step_adjustment: [{ metric_interval_lower_bound: "0", scaling_adjustment: 1 }],
      },
    });
    expect(block("LatencyAlarm")).toEqual({
      alarm_name: "koaapp-latency-p99-scale-out",
      alarm_description: "p99 latency of all routes above 500 ms for 3 minutes: add 1 task(s).",
      namespace: "acme/koaapp",
      metric_name: LATENCY_METRIC.name,
      extended_statistic: "p99",
      unit: LATENCY_METRIC.unit,
      period: 60,
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
      comparison_operator: "GreaterThanThreshold",
      threshold: 500,
      treat_missing_data: "notBreaching",
      evaluate_low_sample_count_percentiles: "ignore",
      alarm_actions: [at("LatencyStep", "arn")],
    });
    expect(scaling.latencyAlarm).toBe(childOf(scaling, "LatencyAlarm"));
  });
});

describe("ServiceScaling with every option", () => {
  const synth = synthScaling({
    minCapacity: 2,
    maxCapacity: 20,
    cpuTargetPercent: 45,
    requestsPerTargetPerMinute: 600,
    requestCountResourceLabel: LABEL,
    latencyP99ScaleOutMs: 250,
    latencyScaleOutTasks: 3,
    scaleInCooldownSeconds: 600,
    scaleOutCooldownSeconds: 30,
    tags: { Team: "platform" },
  });
  const block = (path: string) => blockOf(synth, childOf(synth.built, path));

  it("GIVEN targets, cooldowns and a step size WHEN synthesized THEN every policy and the alarm follow them", () => {
    expect(block("Resource")).toMatchObject({
      min_capacity: 2,
      max_capacity: 20,
      tags: { Team: "platform" },
    });
    const cooldowns = { scale_in_cooldown: 600, scale_out_cooldown: 30 };
    expect(block("Cpu").target_tracking_scaling_policy_configuration).toMatchObject({
      target_value: 45,
      ...cooldowns,
    });
    expect(block("Requests").target_tracking_scaling_policy_configuration).toMatchObject({
      target_value: 600,
      ...cooldowns,
    });
    expect(block("LatencyStep").step_scaling_policy_configuration).toMatchObject({
      cooldown: 30,
      step_adjustment: [{ metric_interval_lower_bound: "0", scaling_adjustment: 3 }],
    });
    expect(block("LatencyAlarm")).toMatchObject({ threshold: 250, tags: { Team: "platform" } });
  });
});

describe("ServiceScaling without a load balancer or latency step", () => {
  it("GIVEN no request label WHEN synthesized THEN there is no request tracking", () => {
    expect(synthScaling().built.node.tryFindChild("Requests")).toBeUndefined();
    expect(resourcesOf(synthScaling().json, "aws_appautoscaling_policy").map((p) => p.name)).toEqual([
      "koaapp-cpu",
      "koaapp-latency-step",
    ]);
  });

  it("GIVEN requests and latency turned off WHEN synthesized THEN only CPU tracking remains", () => {
    const synth = synthScaling({
      requestCountResourceLabel: LABEL,
      requestsPerTargetPerMinute: false,
      latencyP99ScaleOutMs: false,
    });
    expect(resourcesOf(synth.json, "aws_appautoscaling_policy").map((p) => p.name)).toEqual(["koaapp-cpu"]);
    expect(resourcesOf(synth.json, "aws_cloudwatch_metric_alarm")).toEqual([]);
    expect(synth.built.latencyAlarm).toBeUndefined();
  });

  it("GIVEN min, max and the latency threshold from variables WHEN synthesized THEN they are passed through unjudged", () => {
    const synth = synthStack((stack) => {
      const variable = (name: string) => new TerraformVariable(stack, name, { type: "number" }).numberValue;
      return new ServiceScaling(stack, "Scaling", {
        ...BASE,
        minCapacity: variable("min"),
        maxCapacity: variable("max"),
        latencyP99ScaleOutMs: variable("latency"),
      });
    });
    expect(blockOf(synth, childOf(synth.built, "Resource"))).toMatchObject({
      min_capacity: "${var.min}",
      max_capacity: "${var.max}",
    });
    expect(blockOf(synth, childOf(synth.built, "LatencyAlarm")).threshold).toBe("${var.latency}");
  });
});

describe("ServiceScaling validation", () => {
  it.each<[string, Partial<ServiceScalingProps>, string]>([
    [
      "min above max",
      { minCapacity: 5, maxCapacity: 2 },
      "minCapacity 5 is above maxCapacity 2; allowed: minCapacity at most maxCapacity",
    ],
    [
      "a negative min",
      { minCapacity: -1 },
      `minCapacity -1 is out of range; allowed: an integer from 0 to ${MAX_TASKS}`,
    ],
    [
      "a max of 0",
      { minCapacity: 0, maxCapacity: 0 },
      `maxCapacity 0 is out of range; allowed: an integer from 1 to ${MAX_TASKS}`,
    ],
    [
      "a max above the bound",
      { maxCapacity: 1000 },
      `maxCapacity 1000 is out of range; allowed: an integer from 1 to ${MAX_TASKS}`,
    ],
    [
      "a CPU target of 95 %",
      { cpuTargetPercent: 95 },
      "cpuTargetPercent 95 is out of range; allowed: an integer from 10 to 90",
    ],
    [
      "0 requests per task",
      { requestsPerTargetPerMinute: 0 },
      "requestsPerTargetPerMinute 0 is out of range; allowed: an integer from 1 to 1000000",
    ],
    [
      "a latency threshold of 0",
      { latencyP99ScaleOutMs: 0 },
      "latencyP99ScaleOutMs 0 is not positive; allowed: a number of milliseconds above 0",
    ],
    [
      "a step of 0 tasks",
      { latencyScaleOutTasks: 0 },
      `latencyScaleOutTasks 0 is out of range; allowed: an integer from 1 to ${MAX_TASKS}`,
    ],
    [
      "a scale-in cooldown shorter than the scale-out one",
      { scaleInCooldownSeconds: 60, scaleOutCooldownSeconds: 120 },
      "scaleInCooldownSeconds 60 is shorter than scaleOutCooldownSeconds 120; allowed: a scale-in cooldown at least as long, so the service adds capacity faster than it sheds it",
    ],
    [
      "a scale-in cooldown of 10 s",
      { scaleInCooldownSeconds: 10, scaleOutCooldownSeconds: 0 },
      "scaleInCooldownSeconds 10 is out of range; allowed: an integer from 60 to 3600",
    ],
  ])("GIVEN %s WHEN built THEN it is refused naming the prop", (_case, overrides, message) => {
    expect(() => build(overrides)).toThrow(problemLine(message));
  });
});
