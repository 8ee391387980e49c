import { type MetricAlarmJson, runAlarm } from "./alarm";
import type { AlarmState } from "./alarm-evaluation";
import {
  type DeploymentAlarmsJson,
  type DeploymentScenario,
  deploymentOutcome,
  type StateHistory,
} from "./ecs-deployment";
import { p99LatencyAlarm, slowShareAlarm } from "./latency-alarms";
import { phases } from "./traffic";

/** A state history: the initial state, then [seconds, state] changes. */
function history(initialState: AlarmState, changes: [number, AlarmState][] = []): StateHistory {
  let from = initialState;
  const transitions = changes.map(([time, to]) => {
    const transition = { time, from, to };
    from = to;
    return transition;
  });
  return { initialState, transitions };
}

const ALARMS: DeploymentAlarmsJson = { alarm_names: ["latency", "errors"], enable: true, rollback: true };

/** Starts at 300 s, rollout complete at 600 s, bake 240 s: ECS watches until 840 s. */
function deploy(histories: Record<string, StateHistory>, overrides: Partial<DeploymentScenario> = {}) {
  return deploymentOutcome({
    alarms: ALARMS,
    histories: { errors: history("OK"), ...histories },
    startSeconds: 300,
    rolloutCompleteSeconds: 600,
    bakeSeconds: 240,
    ...overrides,
  });
}

describe("ECS deployment alarms", () => {
  it("GIVEN alarms OK at the start WHEN one goes into ALARM during the rollout THEN the deployment fails there and rolls back", () => {
    expect(deploy({ latency: history("OK", [[400, "ALARM"]]) })).toEqual({
      state: "FAILED",
      rolledBack: true,
      atSeconds: 400,
      triggeredBy: "latency",
      alarmsInAlarmAtStart: [],
    });
  });

  it("GIVEN alarms OK at the start WHEN one goes into ALARM in the bake time THEN it fails; after the bake time THEN it completed", () => {
    expect(deploy({ latency: history("OK", [[840, "ALARM"]]) })).toMatchObject({
      state: "FAILED",
      atSeconds: 840,
    });
    expect(deploy({ latency: history("OK", [[841, "ALARM"]]) })).toEqual({
      state: "COMPLETED",
      rolledBack: false,
      atSeconds: 840,
      alarmsInAlarmAtStart: [],
    });
  });

  it("GIVEN one alarm already in ALARM at the start WHEN another goes into ALARM during the rollout THEN ECS ignores all alarms and completes", () => {
    const outcome = deploy({
      latency: history("OK", [[100, "ALARM"]]),
      errors: history("OK", [[400, "ALARM"]]),
    });
    expect(outcome).toEqual({
      state: "COMPLETED",
      rolledBack: false,
      atSeconds: 600,
      alarmsInAlarmAtStart: ["latency"],
    });
  });

  it("GIVEN an alarm that went into ALARM after the start but before the first new task ran WHEN monitoring starts THEN it fails at once", () => {
    expect(
      deploy({ latency: history("OK", [[330, "ALARM"]]) }, { monitoringStartSeconds: 360 }),
    ).toMatchObject({
      state: "FAILED",
      atSeconds: 360,
    });
  });

  it("GIVEN rollback off or alarms disabled WHEN an alarm fires THEN the deployment fails without rollback, or is not watched", () => {
    const firing = { latency: history("OK", [[400, "ALARM"]]) };
    expect(deploy(firing, { alarms: { ...ALARMS, rollback: false } })).toMatchObject({
      state: "FAILED",
      rolledBack: false,
    });
    expect(deploy(firing, { alarms: { ...ALARMS, enable: false } })).toMatchObject({
      state: "COMPLETED",
      atSeconds: 600,
    });
  });

  it("GIVEN an alarm name without a history WHEN decided THEN it is refused by name", () => {
    const scenario = {
      alarms: ALARMS,
      histories: {},
      startSeconds: 0,
      rolloutCompleteSeconds: 1,
      bakeSeconds: 0,
    };
    expect(() => deploymentOutcome(scenario)).toThrow(
      "no state history for deployment alarm(s) latency, errors",
    );
  });

  it("GIVEN a slow burst, a quiet spell, then a deployment that slows requests at 1 req/s WHEN gated by p99 ignoring low samples THEN the regression ships; gated by a slow share THEN it rolls back", () => {
    const ns = "acme/koaapp";
    const traffic = phases(ns, [
      { minutes: 3, ratePerSecond: 100, latencyMs: 2000 },
      { minutes: 7, ratePerSecond: 1, latencyMs: 50 },
      { minutes: 10, ratePerSecond: 1, latencyMs: 2000 },
    ]);
    const shape = { namespace: ns, thresholdMs: 1000, evaluationPeriods: 5, datapointsToAlarm: 3 };
    const p99 = p99LatencyAlarm(shape, "ignore");
    const slowShare = slowShareAlarm(shape);
    const gate = (alarm: MetricAlarmJson) =>
      deploymentOutcome({
        alarms: { alarm_names: ["gate"], enable: true, rollback: true },
        histories: { gate: runAlarm(alarm, traffic, { untilSeconds: 1200 }) },
        startSeconds: 600,
        rolloutCompleteSeconds: 900,
        bakeSeconds: 300,
      });
    expect(gate(p99)).toMatchObject({
      state: "COMPLETED",
      rolledBack: false,
      alarmsInAlarmAtStart: ["gate"],
    });
    expect(gate(slowShare)).toMatchObject({ state: "FAILED", rolledBack: true, atSeconds: 780 });
  });
});
