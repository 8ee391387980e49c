/**
 * What the model reads from a synthesized stack: an alarm by name, and the ECS service's deployment-alarm block with
 * the alarm names it holds as references resolved, so the model's alarm histories can be keyed by name.
 */
import { onlyResource, resourcesOf, type TerraformJson } from "../../modules/support";
import {
  type AlarmRunOptions,
  type AlarmTimeline,
  asMetricAlarm,
  type MetricAlarmJson,
  runAlarm,
} from "./alarm";
import type { DeploymentAlarmsJson } from "./ecs-deployment";
import type { PublishedTraffic } from "./traffic";

/** The synthesized alarm called `name`, checked as the model reads it. */
export function synthesizedAlarm(json: TerraformJson, name: string): MetricAlarmJson {
  const alarms = resourcesOf(json, "aws_cloudwatch_metric_alarm");
  const found = alarms.find((alarm) => alarm.alarm_name === name);
  if (!found) throw new Error(`no alarm ${name}; have ${alarms.map((a) => a.alarm_name).join(", ")}`);
  return asMetricAlarm(found);
}

/** The only ECS service's `alarms` block, each `${aws_cloudwatch_metric_alarm.<id>.alarm_name}` replaced by the name. */
export function deploymentAlarmsOf(json: TerraformJson): DeploymentAlarmsJson {
  const block = onlyResource(json, "aws_ecs_service").alarms as DeploymentAlarmsJson;
  const names = new Map(
    Object.entries(json.resource?.aws_cloudwatch_metric_alarm ?? {}).map(([id, alarm]) => [
      `\${aws_cloudwatch_metric_alarm.${id}.alarm_name}`,
      String(alarm.alarm_name),
    ]),
  );
  return { ...block, alarm_names: block.alarm_names.map((name) => names.get(name) ?? name) };
}

/** The alarms the ECS service rolls a deployment back on, by name, as the model reads them. */
export function deploymentAlarmsByName(json: TerraformJson): Readonly<Record<string, MetricAlarmJson>> {
  return Object.fromEntries(
    deploymentAlarmsOf(json).alarm_names.map((name) => [name, synthesizedAlarm(json, name)]),
  );
}

/** Each alarm's timeline over the same traffic, by the same keys: the histories deploymentOutcome reads. */
export function runEach(
  alarms: Readonly<Record<string, MetricAlarmJson>>,
  published: PublishedTraffic,
  options: AlarmRunOptions,
): Record<string, AlarmTimeline> {
  return Object.fromEntries(
    Object.entries(alarms).map(([name, alarm]) => [name, runAlarm(alarm, published, options)]),
  );
}
