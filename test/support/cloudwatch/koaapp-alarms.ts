/**
 * The deploy gate, the 5xx-rate alarm and the latency scale-out alarm of one synthesized EmfFargateService (gate at
 * 1,000 ms, scale-out at 500 ms, 1 to 10 tasks), with the model's runs over them: the alarm timelines, ECS's view of
 * the deployment alarms, and the task count the step policy produces. Shared by the alarm-semantics tests.
 */
import { EmfFargateService } from "../../../modules/emf-fargate-service";
import { resourcesOf, SERVICE_PROPS, synthStack } from "../../modules/support";
import { type AlarmTimeline, runAlarm } from "./alarm";
import type { StateHistory } from "./ecs-deployment";
import { type StepScalingPolicyJson, simulateStepScaling } from "./step-scaling";
import { deploymentAlarmsOf, synthesizedAlarm } from "./synthesized";
import type { PublishedTraffic } from "./traffic";

/** The namespace the service publishes in. */
export const NAMESPACE = "koaapp";
/** The deploy gate's threshold: p99 above it is more than 1 % of requests slower. */
export const GATE_MS = 1000;
/** The latency scale-out's threshold. */
export const SCALE_OUT_MS = 500;
/** The scalable target's maximum. */
export const MAX_TASKS = 10;

const synth = synthStack(
  (stack) =>
    new EmfFargateService(stack, "Service", {
      ...SERVICE_PROPS,
      metrics: { namespace: NAMESPACE },
      scaling: { minCapacity: 1, maxCapacity: MAX_TASKS, latencyP99ScaleOutMs: SCALE_OUT_MS },
      alarms: { latencyP99ThresholdMs: GATE_MS },
    }),
);

/** The synthesized alarms, as the model reads them. */
export const ALARMS = {
  gate: synthesizedAlarm(synth.json, "koaapp-latency-p99"),
  errorRate: synthesizedAlarm(synth.json, "koaapp-5xx-rate"),
  scaleOut: synthesizedAlarm(synth.json, "koaapp-latency-p99-scale-out"),
} as const;

/** The ECS service's deployment alarms, their names resolved from the references cdk.tf.json holds. */
export const DEPLOYMENT_ALARMS = deploymentAlarmsOf(synth.json);

/** The step scaling policy the scale-out alarm invokes. */
export const STEP_POLICY = resourcesOf(synth.json, "aws_appautoscaling_policy").find(
  (policy) => policy.policy_type === "StepScaling",
)?.step_scaling_policy_configuration as StepScalingPolicyJson;

/** The three alarms' timelines over `minutes` of traffic. */
export function runAlarms(traffic: PublishedTraffic, minutes: number) {
  const until = { untilSeconds: minutes * 60 };
  return {
    gate: runAlarm(ALARMS.gate, traffic, until),
    errorRate: runAlarm(ALARMS.errorRate, traffic, until),
    scaleOut: runAlarm(ALARMS.scaleOut, traffic, until),
  } as const;
}

/** The deployment alarms' state histories by name, for deploymentOutcome. */
export function histories(r: ReturnType<typeof runAlarms>): Record<string, StateHistory> {
  // Read from the ECS service's alarm names, so that a deployment alarm the runs leave out fails loudly.
  const runs = new Map(Object.entries(ALARMS).map(([role, alarm]) => [String(alarm.alarm_name), role]));
  return Object.fromEntries(
    DEPLOYMENT_ALARMS.alarm_names.map((name) => {
      const role = runs.get(name) as keyof typeof r | undefined;
      if (role === undefined) throw new Error(`deployment alarm ${name} is not run by runAlarms`);
      return [name, r[role]];
    }),
  );
}

/** The task count the step policy produces from the scale-out alarm, from 1 task. */
export function tasks(timeline: AlarmTimeline) {
  return simulateStepScaling({
    policy: STEP_POLICY,
    alarm: timeline,
    minCapacity: 1,
    maxCapacity: MAX_TASKS,
    initialDesired: 1,
  });
}
