/**
 * The deployment alarms of `metrics.highResolution` (10-second periods, 3 of 5, periods with at least
 * ceil(minRequestsPerMinute / 6) requests) run through CloudWatch's documented alarm semantics
 * (test/support/cloudwatch), beside the standard ones on the same traffic: how soon a regression fails the
 * deployment, and that quiet traffic and noise do not.
 *
 * The model's limits, which these times inherit: a period's datapoint exists at the period's end (no ingestion
 * delay: the middleware's flush, at most 1 s after a 10-s window by default, the agent's, 5 s by default, and
 * CloudWatch Logs' extraction come on top, so the real alarm sees each period one or two evaluations later); the
 * alarm is evaluated once per period at its end, which for 10-s alarms is the documented cadence ("If the alarm
 * period is 10 seconds or 30 seconds, the alarm is evaluated every 10 seconds"); the evaluation range is N + 2 =
 * 7 periods (70 s), the model's default, as AWS publishes the range only for N = 3 and says it depends on the
 * metric's resolution (unverified for 10-s periods).
 */

import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { alarmsAt } from "../support/cloudwatch/alarm";
import { deploymentOutcome } from "../support/cloudwatch/ecs-deployment";
import { deploymentAlarmsByName, deploymentAlarmsOf, runEach } from "../support/cloudwatch/synthesized";
import {
  HEALTHY,
  healthyWithTail,
  type PublishedTraffic,
  phase,
  phases,
} from "../support/cloudwatch/traffic";
import { SERVICE_PROPS, synthStack } from "./support";

const NAMESPACE = "koaapp";
const GATE_MS = 1000;
const REGRESSION_AT = 6 * 60;
const GATE = "koaapp-latency-p99";
const MINUTES = "koaapp-latency-p99-minutes";
const ERROR_RATE = "koaapp-5xx-rate";

/** The synthesized deployment alarms of a service, and the ECS service's alarm block with their names. */
function deploymentAlarms(metrics: EmfFargateServiceProps["metrics"]) {
  const synth = synthStack(
    (stack) =>
      new EmfFargateService(stack, "Service", {
        ...SERVICE_PROPS,
        metrics: { namespace: NAMESPACE, ...metrics },
        alarms: { latencyP99ThresholdMs: GATE_MS },
      }),
  );
  const byName = deploymentAlarmsByName(synth.json);
  // with high resolution, the minute latency alarm beside the 10-s gate (absent otherwise)
  return { byName, gate: byName[GATE], minutes: byName[MINUTES], ecs: deploymentAlarmsOf(synth.json) };
}

const high = deploymentAlarms({ highResolution: true });
const standard = deploymentAlarms({});

/** Every deployment alarm's timeline over `minutes` of traffic (`byName`, ECS's histories), and each by role. */
const run = (alarms: typeof high, traffic: PublishedTraffic, minutes: number) => {
  const byName = runEach(alarms.byName, traffic, { untilSeconds: minutes * 60 });
  return { byName, gate: byName[GATE], minutes: byName[MINUTES], errorRate: byName[ERROR_RATE] };
};

/** ECS's decision for a deployment that starts at 5 min, runs new tasks from 6 min and completes at 7 min. */
const outcome = (alarms: typeof high, r: ReturnType<typeof run>) =>
  deploymentOutcome({
    alarms: alarms.ecs,
    histories: r.byName,
    startSeconds: 5 * 60,
    monitoringStartSeconds: REGRESSION_AT,
    rolloutCompleteSeconds: 7 * 60,
    bakeSeconds: 5 * 60,
  });

describe("high-resolution deployment alarms under CloudWatch's documented alarm semantics", () => {
  it("GIVEN highResolution WHEN synthesized THEN the model reads 10-s periods, 3 of 5, and ECS watches both alarms", () => {
    expect(high.gate.metric_query?.map((q) => q.metric?.period ?? q.expression)).toEqual([
      10,
      10,
      "FLOOR(requests * (100 - fast) / 100 + 0.5)",
      "IF(requests >= 2 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
    ]);
    expect([high.gate.evaluation_periods, high.gate.datapoints_to_alarm]).toEqual([5, 3]);
    expect(high.ecs.alarm_names).toEqual(["koaapp-latency-p99", MINUTES, "koaapp-5xx-rate"]);
    expect(high.minutes?.metric_query?.map((q) => q.metric?.period).filter(Boolean)).toEqual([60, 60]);
    expect(standard.ecs.alarm_names).toEqual(["koaapp-latency-p99", "koaapp-5xx-rate"]);
  });

  it("GIVEN 1 req/s WHEN a deployment makes 5 % of requests slow THEN 10-s periods cannot tell it from chance, the minute alarm fires 3 minutes after it and ECS rolls back", () => {
    // 1 slow request in 20: 3 a minute (breaching: at least 3, and above 0.6 + 3 sqrt(0.6) = 2.9), 0 or 1 a period
    const traffic = phases(NAMESPACE, [phase(6, 1, HEALTHY), phase(5, 1, (i) => (i % 20 === 0 ? 1500 : 50))]);
    const r = run(high, traffic, 11);

    expect(alarmsAt(r.gate)).toEqual([]);
    expect(r.minutes && alarmsAt(r.minutes)).toEqual([REGRESSION_AT + 180]);
    expect(outcome(high, r)).toMatchObject({
      state: "FAILED",
      rolledBack: true,
      atSeconds: REGRESSION_AT + 180,
      triggeredBy: MINUTES,
      alarmsInAlarmAtStart: [],
    });
  });

  it("GIVEN no traffic for 30 minutes WHEN evaluated every 10 s THEN neither deployment alarm ever fires", () => {
    const r = run(high, phases(NAMESPACE, [phase(30, 0, 0)]), 30);

    expect([alarmsAt(r.gate), alarmsAt(r.errorRate)]).toEqual([[], []]);
    expect(r.gate.evaluations).toHaveLength(180);
  });

  it.each([1, 100])(
    "GIVEN %s req/s WHEN a deployment makes every request take 1.5 s THEN the gate fires 30 s after the regression (standard: 180 s) and ECS rolls back",
    (rate) => {
      const traffic = phases(NAMESPACE, [phase(6, rate, HEALTHY), phase(5, rate, 1500)]);
      const fast = run(high, traffic, 11);
      const slow = run(standard, traffic, 11);

      expect(alarmsAt(fast.gate)).toEqual([REGRESSION_AT + 30]);
      expect(alarmsAt(slow.gate)).toEqual([REGRESSION_AT + 180]);
      expect(outcome(high, fast)).toMatchObject({
        state: "FAILED",
        rolledBack: true,
        atSeconds: REGRESSION_AT + 30,
        triggeredBy: "koaapp-latency-p99",
        alarmsInAlarmAtStart: [],
      });
    },
  );

  it.each([1, 100])(
    "GIVEN %s req/s WHEN a deployment fails every request with a 5xx THEN the error-rate alarm fires 30 s after it (standard: 180 s)",
    (rate) => {
      const traffic = phases(NAMESPACE, [
        phase(6, rate, HEALTHY),
        { ...phase(5, rate, HEALTHY), status: "5xx" },
      ]);

      expect(alarmsAt(run(high, traffic, 11).errorRate)).toEqual([REGRESSION_AT + 30]);
      expect(alarmsAt(run(standard, traffic, 11).errorRate)).toEqual([REGRESSION_AT + 180]);
    },
  );

  it("GIVEN 1 req/s WHEN one request in 10 minutes is slow THEN the gate stays quiet (one slow period is no trend)", () => {
    const traffic = phases(NAMESPACE, [phase(30, 1, (i) => (i % 600 === 300 ? 3000 : 50))]);

    expect(alarmsAt(run(high, traffic, 30).gate)).toEqual([]);
  });

  // 3 and 6 req/s are the worst rates for 10-s periods (docs/alarms.md): 2 and 3 slow requests breach there.
  it.each([
    [1, 1],
    [3, 2],
    [6, 3],
  ])(
    "GIVEN %s req/s for 24 h with 0.5 %% of requests at 3 s (seed %s) WHEN evaluated every 10 s THEN no deployment alarm fires",
    (rate, seed) => {
      const day = 24 * 60;
      const r = run(high, phases(NAMESPACE, [{ ...phase(day, rate, healthyWithTail()), seed }]), day);

      // the 10-s pair and the minute latency alarm beside it
      expect(Object.values(r.byName).map(alarmsAt)).toEqual([[], [], []]);
    },
  );

  it("GIVEN every request slow but fewer than 2 in 10 s (0.1 req/s) WHEN evaluated THEN no period is judged and the gate stays quiet", () => {
    const traffic = phases(NAMESPACE, [phase(30, 0.1, 1500)]);

    expect(alarmsAt(run(high, traffic, 30).gate)).toEqual([]);
  });

  it("GIVEN a slow burst that set the gate THEN a trickle WHEN the next deployment starts THEN the gate is back to OK within a minute and watches it", () => {
    const traffic = phases(NAMESPACE, [phase(1, 200, 1500), phase(9, 0.1, 50), phase(5, 1, 1500)]);
    const r = run(high, traffic, 15);

    expect(r.gate.transitions.map((t) => [t.time, t.to])).toEqual([
      [10, "OK"],
      [30, "ALARM"],
      [90, "OK"],
      [630, "ALARM"],
    ]);
    expect(
      deploymentOutcome({
        alarms: high.ecs,
        histories: r.byName,
        startSeconds: 9 * 60,
        rolloutCompleteSeconds: 11 * 60,
        bakeSeconds: 5 * 60,
      }),
    ).toMatchObject({ alarmsInAlarmAtStart: [], state: "FAILED", rolledBack: true, atSeconds: 630 });
  });
});
