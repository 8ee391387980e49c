/**
 * Whether an ECS rolling deployment with CloudWatch deployment alarms (`aws_ecs_service.alarms`) is rolled back.
 *
 * Source: "How CloudWatch alarms detect Amazon ECS deployment failures",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html (archived Markdown:
 * awsdocs/amazon-ecs-developer-guide doc_source/deployment-alarm-failure.md @ 13fa9b2540aefd3b7068abe5769ea892e00b9598),
 * and the AWS Containers blog "Automate rollbacks for Amazon ECS rolling deployments with CloudWatch alarms"
 * (monitoring starts "as soon as one or more tasks of the updated service are running").
 *
 * Not modelled: ECS polls DescribeAlarms at an undocumented interval (and can miss an alarm when throttled); here it
 * sees every transition the moment it happens.
 */
import { type AlarmTimeline, stateAt } from "./alarm";

/** The `alarms` block of an `aws_ecs_service`, as synthesized. */
export interface DeploymentAlarmsJson {
  readonly alarm_names: readonly string[];
  readonly enable: boolean;
  readonly rollback: boolean;
}

/** What ECS needs of an alarm: its state over time. */
export type StateHistory = Pick<AlarmTimeline, "initialState" | "transitions">;

/** One deployment. Times in seconds, on the alarms' clock. */
export interface DeploymentScenario {
  readonly alarms: DeploymentAlarmsJson;
  /** State history of every alarm named in `alarms.alarm_names`. */
  readonly histories: Readonly<Record<string, StateHistory>>;
  /** When the deployment starts (UpdateService). */
  readonly startSeconds: number;
  /** When the first task of the new revision runs and ECS starts watching. @default startSeconds */
  readonly monitoringStartSeconds?: number;
  /** When all new tasks are healthy at the desired count and the old revision is scaled to 0. */
  readonly rolloutCompleteSeconds: number;
  /**
   * Bake time after the rollout, during which ECS keeps watching the alarms. ECS computes it "based on the alarm
   * configuration"; "The default bake time is less than 5 minutes" (formula unpublished, so it is an input).
   */
  readonly bakeSeconds: number;
}

/** How a deployment ends. */
export interface DeploymentOutcome {
  /** `FAILED` when an alarm went into ALARM while ECS watched. */
  readonly state: "COMPLETED" | "FAILED";
  /** Whether ECS rolls back to the last completed deployment (FAILED with `rollback = true`). */
  readonly rolledBack: boolean;
  /** When the deployment failed, or completed (rollout end plus bake time when alarms are watched). */
  readonly atSeconds: number;
  /** The alarm that failed it. */
  readonly triggeredBy?: string;
  /** Alarms that were in ALARM when the deployment started, so ECS ignored the alarm configuration. */
  readonly alarmsInAlarmAtStart: readonly string[];
}

/**
 * Decides a deployment:
 *
 * - `enable = false` → alarms play no part; completes at the rollout's end;
 * - any named alarm in ALARM at the start → "Amazon ECS will not monitor alarms for the duration of that deployment
 *   (Amazon ECS ignores the alarm configuration)" — every alarm, not only the one in ALARM; completes at the rollout's
 *   end;
 * - otherwise the first moment in [monitoring start, rollout end + bake] at which any named alarm is in ALARM fails
 *   the deployment ("set the deployment to failed when it detects that a specified CloudWatch alarm has gone into
 *   the ALARM state"), rolled back when `rollback = true`; none → completes after the bake time.
 */
export function deploymentOutcome(scenario: DeploymentScenario): DeploymentOutcome {
  const { alarms, histories, startSeconds, rolloutCompleteSeconds, bakeSeconds } = scenario;
  const monitoringStart = scenario.monitoringStartSeconds ?? startSeconds;
  const missing = alarms.alarm_names.filter((name) => histories[name] === undefined);
  if (missing.length > 0) throw new Error(`no state history for deployment alarm(s) ${missing.join(", ")}`);
  const historyOf = (name: string) => histories[name] as StateHistory;

  if (!alarms.enable)
    return {
      state: "COMPLETED",
      rolledBack: false,
      atSeconds: rolloutCompleteSeconds,
      alarmsInAlarmAtStart: [],
    };
  const inAlarmAtStart = alarms.alarm_names.filter(
    (name) => stateAt(historyOf(name), startSeconds) === "ALARM",
  );
  if (inAlarmAtStart.length > 0)
    return {
      state: "COMPLETED",
      rolledBack: false,
      atSeconds: rolloutCompleteSeconds,
      alarmsInAlarmAtStart: inAlarmAtStart,
    };

  const end = rolloutCompleteSeconds + bakeSeconds;
  let first: { time: number; name: string } | undefined;
  for (const name of alarms.alarm_names) {
    const history = historyOf(name);
    const candidates = [
      ...(stateAt(history, monitoringStart) === "ALARM" ? [monitoringStart] : []),
      ...history.transitions
        .filter(
          (transition) =>
            transition.to === "ALARM" && transition.time > monitoringStart && transition.time <= end,
        )
        .map((transition) => transition.time),
    ];
    const time = Math.min(...candidates);
    if (candidates.length > 0 && (first === undefined || time < first.time)) first = { time, name };
  }
  if (first === undefined)
    return { state: "COMPLETED", rolledBack: false, atSeconds: end, alarmsInAlarmAtStart: [] };
  return {
    state: "FAILED",
    rolledBack: alarms.rollback,
    atSeconds: first.time,
    triggeredBy: first.name,
    alarmsInAlarmAtStart: [],
  };
}
