/**
 * The synthesized deploy gate and latency scale-out on traffic with a realistic tail — a healthy service whose p99 is
 * under the threshold but 0.5 % of whose requests take 3 s — over simulated days, and on real regressions, through
 * CloudWatch's documented alarm semantics (test/support/cloudwatch). docs/alarms.md derives the rates these runs
 * sample: a healthy service sets the gate off at most about once in six years at any rate, where the alarm that
 * counted one slow request in 60 as "more than 1 %" set it off about 60 times a day at 1 request/s.
 *
 * Every run is seeded, so it is the same on every machine.
 */

import { alarmsAt } from "../support/cloudwatch/alarm";
import { deploymentOutcome } from "../support/cloudwatch/ecs-deployment";
import {
  DEPLOYMENT_ALARMS,
  histories,
  NAMESPACE,
  runAlarms,
  tasks,
} from "../support/cloudwatch/koaapp-alarms";
import { healthyWithTail, phase, phases, type TrafficPhase } from "../support/cloudwatch/traffic";

const DAY_MINUTES = 24 * 60;
const seeded = (p: TrafficPhase, seed: number): TrafficPhase => ({ ...p, seed });

describe("the deploy gate and latency scale-out on a healthy service with a tail", () => {
  it.each([
    [1, 1],
    [1, 2],
    [2, 3],
    [5, 4],
  ])(
    "GIVEN %s req/s for 24 h with 0.5 %% of requests at 3 s (seed %s) WHEN evaluated every minute THEN the gate never goes to ALARM and the step policy adds no task",
    (rate, seed) => {
      const traffic = phases(NAMESPACE, [seeded(phase(DAY_MINUTES, rate, healthyWithTail()), seed)]);
      const r = runAlarms(traffic, DAY_MINUTES);

      expect(alarmsAt(r.gate)).toEqual([]);
      expect(alarmsAt(r.scaleOut)).toEqual([]);
      expect(tasks(r.scaleOut).activities).toEqual([]);
    },
  );

  it("GIVEN 1,000 req/s for 20 minutes with 0.5 % of requests at 3 s WHEN evaluated THEN neither alarm fires", () => {
    const traffic = phases(NAMESPACE, [seeded(phase(20, 1000, healthyWithTail()), 5)]);
    const r = runAlarms(traffic, 20);

    expect([alarmsAt(r.gate), alarmsAt(r.scaleOut)]).toEqual([[], []]);
  });

  it("GIVEN 1 req/s with the tail for 24 h WHEN a deployment starts at every full hour THEN the gate is OK at every start, so ECS watches the alarms each time", () => {
    const traffic = phases(NAMESPACE, [seeded(phase(DAY_MINUTES, 1, healthyWithTail()), 6)]);
    const r = runAlarms(traffic, DAY_MINUTES);

    const starts = Array.from({ length: 23 }, (_, hour) => (hour + 1) * 3600);
    const ignored = starts.filter(
      (start) =>
        deploymentOutcome({
          alarms: DEPLOYMENT_ALARMS,
          histories: histories(r),
          startSeconds: start,
          rolloutCompleteSeconds: start + 120,
          bakeSeconds: 300,
        }).alarmsInAlarmAtStart.length > 0,
    );
    expect(ignored).toEqual([]);
  });
});

describe("real regressions on top of the tail", () => {
  /** A deployment that starts a minute before its tasks run and regress at `minute`, baked for 20 minutes. */
  const deployment = (r: ReturnType<typeof runAlarms>, minute: number) =>
    deploymentOutcome({
      alarms: DEPLOYMENT_ALARMS,
      histories: histories(r),
      startSeconds: (minute - 1) * 60,
      monitoringStartSeconds: minute * 60,
      rolloutCompleteSeconds: (minute + 2) * 60,
      bakeSeconds: 20 * 60,
    });

  // Two healthy hours at 1 req/s (the tail has had time to set an over-eager gate off); 5 minutes at 1,000 req/s.
  it.each([
    [1, 120, 1],
    [1000, 5, 1],
    [1000, 5, 0.05],
  ])(
    "GIVEN %s req/s with the tail for %s minutes WHEN a deployment makes a share %s of requests take 1.5 s THEN the gate and the scale-out fire in the third minute and ECS rolls back",
    (rate, healthyMinutes, share) => {
      const traffic = phases(NAMESPACE, [
        seeded(phase(healthyMinutes, rate, healthyWithTail()), 7),
        seeded(phase(10, rate, healthyWithTail(share, 1500)), 8),
      ]);
      const r = runAlarms(traffic, healthyMinutes + 10);

      const third = (healthyMinutes + 3) * 60;
      expect([alarmsAt(r.gate), alarmsAt(r.scaleOut)]).toEqual([[third], [third]]);
      expect(deployment(r, healthyMinutes)).toMatchObject({
        state: "FAILED",
        rolledBack: true,
        atSeconds: third,
        triggeredBy: "koaapp-latency-p99",
        alarmsInAlarmAtStart: [],
      });
    },
  );

  it("GIVEN 1 req/s with the tail for 2 hours WHEN a deployment makes 5 % of requests take 1.5 s THEN the gate fires within 17 minutes (the 99th percentile docs/alarms.md derives) and ECS rolls back", () => {
    const traffic = phases(NAMESPACE, [
      seeded(phase(120, 1, healthyWithTail()), 10),
      seeded(phase(30, 1, healthyWithTail(0.05, 1500)), 11),
    ]);
    const r = runAlarms(traffic, 150);

    const fired = alarmsAt(r.gate);
    expect(fired[0]).toBeGreaterThan(120 * 60);
    expect(fired[0]).toBeLessThanOrEqual((120 + 17) * 60);
    expect(deployment(r, 120)).toMatchObject({ state: "FAILED", rolledBack: true, alarmsInAlarmAtStart: [] });
  });
});
