import { TerraformVariable } from "cdktf";
import { LATENCY_METRIC } from "../../contract/metrics";
import { DEFAULT_MIN_REQUESTS_PER_MINUTE } from "../../modules/service-alarms";
import {
  checkScaling,
  MAX_TASKS,
  type ResolvedAutoScaling,
  resolveScaling,
  type ScalingOptions,
  ServiceScaling,
  type ServiceScalingProps,
} from "../../modules/service-scaling";
import { Checker } from "../../modules/validation";
import { blockOf, childOf, ref, resourcesOf, type Synthesized, synthStack } from "./support";

const LABEL = "app/koaapp/0123456789abcdef/targetgroup/tg/fedcba9876543210";

/** The autoscaling settings EmfFargateService resolves from `options` (a created load balancer by default). */
function autoScaling(options: ScalingOptions, createdLoadBalancer = true): ResolvedAutoScaling {
  const auto = resolveScaling({ minCapacity: 1, maxCapacity: 4, ...options }, createdLoadBalancer).auto;
  if (!auto) throw new Error("no autoscaling resolved");
  return auto;
}

function propsOf(options: ScalingOptions = {}, label?: string): ServiceScalingProps {
  return {
    ...autoScaling(options, label !== undefined),
    clusterName: "shared",
    serviceName: "koaapp",
    name: "koaapp",
    namespace: "acme/koaapp",
    minRequestsPerMinute: DEFAULT_MIN_REQUESTS_PER_MINUTE,
    requestCountResourceLabel: label,
  };
}

function synthScaling(options: ScalingOptions = {}, label?: string): Synthesized<ServiceScaling> {
  return synthStack((stack) => new ServiceScaling(stack, "Scaling", propsOf(options, label)));
}

/** The problems checkScaling records at `scaling`. */
function scalingProblems(options: ScalingOptions, createdLoadBalancer = true): readonly string[] {
  const c = new Checker().at("scaling");
  checkScaling(c, options, resolveScaling(options, createdLoadBalancer), createdLoadBalancer);
  return c.problems.all;
}

describe("ServiceScaling with defaults and a load balancer's request label", () => {
  const synth = synthScaling({}, LABEL);
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

  it("GIVEN the EMF namespace WHEN synthesized THEN more than 1 % of requests over 500 ms for 3 minutes of 10 requests or more triggers a step that adds one task", () => {
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
    const metric = (stat: string) => ({
      namespace: "acme/koaapp",
      metric_name: LATENCY_METRIC.name,
      dimensions: {},
      stat,
      period: 60,
    });
    expect(block("LatencyAlarm")).toEqual({
      alarm_name: "koaapp-latency-p99-scale-out",
      alarm_description:
        "p99 latency of all routes above 500 ms (more than 1% of requests slower, by at least 3 slow requests and 3 standard deviations) for 3 minutes with at least 10 requests each, a minute without requests reading 0: add 1 task(s).",
      comparison_operator: "GreaterThanThreshold",
      threshold: 1,
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
      treat_missing_data: "notBreaching",
      metric_query: [
        { id: "requests", metric: metric("SampleCount"), return_data: false },
        { id: "fast", metric: metric("PR(:500)"), return_data: false },
        {
          id: "slowRequests",
          expression: "FLOOR(requests * (100 - fast) / 100 + 0.5)",
          label: "requests slower than 500 ms",
          return_data: false,
        },
        {
          id: "slow",
          expression:
            "IF(FILL(requests, 0) >= 10 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
          label: "% of requests slower than 500 ms",
          return_data: true,
        },
      ],
      alarm_actions: [at("LatencyStep", "arn")],
    });
    expect(scaling.latencyAlarm).toBe(childOf(scaling, "LatencyAlarm"));
  });
});

describe("ServiceScaling with every option", () => {
  const synth = synthStack(
    (stack) =>
      new ServiceScaling(stack, "Scaling", {
        ...propsOf(
          {
            minCapacity: 2,
            maxCapacity: 20,
            cpuTargetPercent: 45,
            requestsPerTargetPerMinute: 600,
            latencyP99ScaleOutMs: 250,
            latencyScaleOutTasks: 3,
            scaleInCooldownSeconds: 600,
            scaleOutCooldownSeconds: 30,
          },
          LABEL,
        ),
        tags: { Team: "platform" },
      }),
  );
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
    expect(block("LatencyAlarm")).toMatchObject({
      alarm_description: expect.stringContaining("above 250 ms"),
      tags: { Team: "platform" },
    });
    expect((block("LatencyAlarm").metric_query as { metric?: { stat: string } }[])[1]?.metric?.stat).toBe(
      "PR(:250)",
    );
  });
});

describe("ServiceScaling without a load balancer or latency step", () => {
  it("GIVEN no created load balancer WHEN synthesized THEN there is no request tracking", () => {
    const synth = synthScaling();

    expect(synth.built.node.tryFindChild("Requests")).toBeUndefined();
    expect(resourcesOf(synth.json, "aws_appautoscaling_policy").map((p) => p.name)).toEqual([
      "koaapp-cpu",
      "koaapp-latency-step",
    ]);
  });

  it("GIVEN requests and latency turned off WHEN synthesized THEN only CPU tracking remains", () => {
    const synth = synthScaling({ requestsPerTargetPerMinute: false, latencyP99ScaleOutMs: false }, LABEL);

    expect(resourcesOf(synth.json, "aws_appautoscaling_policy").map((p) => p.name)).toEqual(["koaapp-cpu"]);
    expect(resourcesOf(synth.json, "aws_cloudwatch_metric_alarm")).toEqual([]);
    expect(synth.built.latencyAlarm).toBeUndefined();
  });

  it("GIVEN min, max and the latency threshold from variables WHEN synthesized THEN they are passed through unjudged", () => {
    const synth = synthStack((stack) => {
      const variable = (name: string) => new TerraformVariable(stack, name, { type: "number" }).numberValue;
      const options = {
        minCapacity: variable("min"),
        maxCapacity: variable("max"),
        latencyP99ScaleOutMs: variable("latency"),
      };
      expect(scalingProblems(options)).toEqual([]);
      return new ServiceScaling(stack, "Scaling", propsOf(options));
    });
    expect(blockOf(synth, childOf(synth.built, "Resource"))).toMatchObject({
      min_capacity: "${var.min}",
      max_capacity: "${var.max}",
    });
    expect(
      (
        blockOf(synth, childOf(synth.built, "LatencyAlarm")).metric_query as { metric?: { stat: string } }[]
      )[1]?.metric?.stat,
    ).toBe("PR(:${var.latency})");
  });
});

describe("resolveScaling", () => {
  it("GIVEN no maxCapacity WHEN resolved THEN a fixed count, 1 unless given, and no autoscaling", () => {
    expect(resolveScaling({}, true)).toEqual({ desiredCount: 1 });
    expect(resolveScaling({ desiredCount: 3 }, true)).toEqual({ desiredCount: 3 });
  });

  it("GIVEN maxCapacity WHEN resolved THEN autoscaling with its defaults, starting at minCapacity", () => {
    expect(resolveScaling({ minCapacity: 2, maxCapacity: 6 }, true)).toEqual({
      desiredCount: 2,
      auto: {
        minCapacity: 2,
        maxCapacity: 6,
        cpuTargetPercent: 60,
        requestsPerTargetPerMinute: 1000,
        latencyP99ScaleOutMs: 500,
        latencyScaleOutTasks: 1,
        scaleInCooldownSeconds: 300,
        scaleOutCooldownSeconds: 60,
      },
    });
    expect(resolveScaling({ maxCapacity: 6, desiredCount: 4 }, true).desiredCount).toBe(4);
  });

  it("GIVEN no created load balancer WHEN resolved THEN requests are not tracked by default", () => {
    expect(resolveScaling({ maxCapacity: 6 }, false).auto?.requestsPerTargetPerMinute).toBe(false);
  });

  it("GIVEN a created load balancer and a traffic-shifting strategy WHEN resolved THEN requests are not tracked by default", () => {
    // ALBRequestCountPerTarget is one target group's metric, and a blue/green, linear or canary release moves the
    // traffic to the other group: tracking would scale on a group that serves nothing after the first release.
    expect(resolveScaling({ maxCapacity: 6 }, true, true).auto?.requestsPerTargetPerMinute).toBe(false);
  });

  it("GIVEN a traffic-shifting strategy and an explicit value WHEN resolved THEN the value is kept, for the service to refuse", () => {
    // emf-fargate-service-settings.ts refuses it with the strategy's name (test/modules/deployment-strategy-service.test.ts).
    expect(
      resolveScaling({ maxCapacity: 6, requestsPerTargetPerMinute: 800 }, true, true).auto
        ?.requestsPerTargetPerMinute,
    ).toBe(800);
  });
});

describe("checkScaling", () => {
  it.each<[string, ScalingOptions, string]>([
    [
      "min above max",
      { minCapacity: 5, maxCapacity: 2 },
      "scaling.minCapacity 5 is above scaling.maxCapacity 2; allowed: minCapacity at most maxCapacity",
    ],
    [
      "a negative min",
      { minCapacity: -1, maxCapacity: 4 },
      `scaling.minCapacity -1 is out of range; allowed: an integer from 0 to ${MAX_TASKS}`,
    ],
    [
      "a max of 0",
      { minCapacity: 0, maxCapacity: 0 },
      `scaling.maxCapacity 0 is out of range; allowed: an integer from 1 to ${MAX_TASKS}`,
    ],
    [
      "a max above the bound",
      { maxCapacity: 1000 },
      `scaling.maxCapacity 1000 is out of range; allowed: an integer from 1 to ${MAX_TASKS}`,
    ],
    [
      "a desired count outside min and max",
      { desiredCount: 9, minCapacity: 1, maxCapacity: 4 },
      "scaling.desiredCount 9 is outside scaling.minCapacity 1 to scaling.maxCapacity 4; allowed: a count between them (autoscaling would move it there at once)",
    ],
    [
      "a CPU target of 95 %",
      { maxCapacity: 4, cpuTargetPercent: 95 },
      "scaling.cpuTargetPercent 95 is out of range; allowed: an integer from 10 to 90",
    ],
    [
      "0 requests per task",
      { maxCapacity: 4, requestsPerTargetPerMinute: 0 },
      "scaling.requestsPerTargetPerMinute 0 is out of range; allowed: an integer from 1 to 1000000",
    ],
    [
      "a latency threshold of 0",
      { maxCapacity: 4, latencyP99ScaleOutMs: 0 },
      "scaling.latencyP99ScaleOutMs 0 is out of range; allowed: a number of milliseconds above 0, or false",
    ],
    [
      "a step of 0 tasks",
      { maxCapacity: 4, latencyScaleOutTasks: 0 },
      `scaling.latencyScaleOutTasks 0 is out of range; allowed: an integer from 1 to ${MAX_TASKS}`,
    ],
    [
      "a scale-in cooldown shorter than the scale-out one",
      { maxCapacity: 4, scaleInCooldownSeconds: 60, scaleOutCooldownSeconds: 120 },
      "scaling.scaleInCooldownSeconds 60 is shorter than scaling.scaleOutCooldownSeconds 120; allowed: a scale-in cooldown at least as long, so the service adds capacity faster than it sheds it",
    ],
    [
      "a scale-in cooldown of 10 s",
      { maxCapacity: 4, scaleInCooldownSeconds: 10, scaleOutCooldownSeconds: 0 },
      "scaling.scaleInCooldownSeconds 10 is out of range; allowed: an integer from 60 to 3600",
    ],
    [
      "a fixed count above 5000",
      { desiredCount: 5001 },
      "scaling.desiredCount 5001 is out of range; allowed: an integer from 0 to 5000",
    ],
    [
      "the 0.1.0 autoScaling block",
      { autoScaling: { maxCapacity: 4 } } as ScalingOptions,
      'scaling.autoScaling {"maxCapacity":4} is not a prop of ScalingOptions; allowed: desiredCount, minCapacity, maxCapacity, cpuTargetPercent, requestsPerTargetPerMinute, latencyP99ScaleOutMs, latencyScaleOutTasks, scaleInCooldownSeconds, scaleOutCooldownSeconds',
    ],
  ])("GIVEN %s WHEN checked THEN it is refused naming the prop", (_case, options, message) => {
    expect(scalingProblems(options)).toEqual([message]);
  });

  it("GIVEN autoscaling props without maxCapacity WHEN checked THEN each is refused as set without autoscaling", () => {
    expect(
      scalingProblems({ minCapacity: 2, cpuTargetPercent: 50, requestsPerTargetPerMinute: false }),
    ).toEqual(
      ["minCapacity 2", "cpuTargetPercent 50", "requestsPerTargetPerMinute false"].map(
        (prop) =>
          `scaling.${prop} is set without autoscaling; allowed: this prop with scaling.maxCapacity, which turns autoscaling on`,
      ),
    );
  });

  it("GIVEN request tracking without a created load balancer WHEN checked THEN it is refused; false is not", () => {
    expect(scalingProblems({ maxCapacity: 4, requestsPerTargetPerMinute: 600 }, false)).toEqual([
      "scaling.requestsPerTargetPerMinute 600 needs a created load balancer; allowed: with loadBalancer.create, or false",
    ]);
    expect(scalingProblems({ maxCapacity: 4, requestsPerTargetPerMinute: false }, false)).toEqual([]);
  });

  it("GIVEN the bounds WHEN checked THEN they are accepted", () => {
    expect(scalingProblems({ minCapacity: 0, maxCapacity: MAX_TASKS, desiredCount: 0 })).toEqual([]);
    expect(scalingProblems({ maxCapacity: 1, cpuTargetPercent: 10, scaleInCooldownSeconds: 60 })).toEqual([]);
  });
});
