/**
 * The alarms EmfFargateService synthesizes, run through the alarm semantics CloudWatch documents
 * (test/support/cloudwatch: M of N over the evaluation range, missing-data treatment, metric math with gaps, the
 * percentile-rank statistic), and the decisions ECS and Application Auto Scaling take on them: does a deployment
 * roll back, how many tasks does the latency step add. Quiet, 1 request/s and 1,000 requests/s, bursts then silence.
 */

import { alarmsAt } from "../support/cloudwatch/alarm";
import { deploymentOutcome } from "../support/cloudwatch/ecs-deployment";
import {
  ALARMS,
  DEPLOYMENT_ALARMS as deploymentAlarms,
  GATE_MS,
  histories,
  NAMESPACE,
  runAlarms as run,
  SCALE_OUT_MS,
  tasks,
} from "../support/cloudwatch/koaapp-alarms";
import { HEALTHY, phase, phases } from "../support/cloudwatch/traffic";

const { gate, scaleOut } = ALARMS;

describe("the synthesized deploy gate and latency scale-out, under CloudWatch's documented alarm semantics", () => {
  it("GIVEN the alarms WHEN synthesized THEN the gate and the step read the share of slow requests, and both deploy alarms roll back", () => {
    expect(gate.metric_query?.map((q) => q.metric?.stat ?? q.expression)).toEqual([
      "SampleCount",
      `PR(:${GATE_MS})`,
      "FLOOR(requests * (100 - fast) / 100 + 0.5)",
      "IF(requests >= 10 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
    ]);
    expect(scaleOut.metric_query?.map((q) => q.metric?.stat ?? q.expression)).toEqual([
      "SampleCount",
      `PR(:${SCALE_OUT_MS})`,
      "FLOOR(requests * (100 - fast) / 100 + 0.5)",
      "IF(FILL(requests, 0) >= 10 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
    ]);
    expect([
      gate.threshold,
      gate.evaluation_periods,
      gate.datapoints_to_alarm,
      gate.treat_missing_data,
    ]).toEqual([1, 5, 3, "notBreaching"]);
    expect(deploymentAlarms).toEqual({
      alarm_names: ["koaapp-latency-p99", "koaapp-5xx-rate"],
      enable: true,
      rollback: true,
    });
  });

  it("GIVEN no traffic for 30 minutes WHEN evaluated THEN no deploy alarm and no scale-out alarm ever fires", () => {
    const r = run(phases(NAMESPACE, [phase(30, 0, 0)]), 30);

    expect([alarmsAt(r.gate), alarmsAt(r.errorRate), alarmsAt(r.scaleOut)]).toEqual([[], [], []]);
  });

  it.each([
    [1, "1 request/s"],
    [1000, "1,000 requests/s"],
  ])(
    "GIVEN a healthy service at %s req/s (%s) WHEN a deployment makes every request take 1.5 s THEN the gate fires in the third slow minute and ECS rolls back",
    (rate) => {
      const traffic = phases(NAMESPACE, [phase(6, rate, HEALTHY), phase(5, rate, 1500)]);
      const r = run(traffic, 11);

      expect(alarmsAt(r.gate)).toEqual([9 * 60]);
      const outcome = deploymentOutcome({
        alarms: deploymentAlarms,
        histories: histories(r),
        startSeconds: 5 * 60,
        monitoringStartSeconds: 6 * 60,
        rolloutCompleteSeconds: 8 * 60,
        bakeSeconds: 5 * 60,
      });
      expect(outcome).toMatchObject({
        state: "FAILED",
        rolledBack: true,
        atSeconds: 9 * 60,
        alarmsInAlarmAtStart: [],
      });
    },
  );

  it("GIVEN a healthy service at 1 req/s WHEN one request in a minute is slow now and then THEN the gate stays quiet (one slow minute is no trend)", () => {
    const traffic = phases(NAMESPACE, [phase(30, 1, (i) => (i % 600 === 300 ? 3000 : 50))]);
    const r = run(traffic, 30);

    expect(alarmsAt(r.gate)).toEqual([]);
  });

  it("GIVEN a slow burst at 1,000 req/s for 6 minutes THEN silence WHEN the step policy follows the scale-out alarm THEN it adds one task a minute from the third slow minute to the last, and none once the traffic stopped", () => {
    const traffic = phases(NAMESPACE, [phase(6, 1000, 900), phase(12, 0, 0)]);
    const r = run(traffic, 18);
    const scaled = tasks(r.scaleOut);

    // Minutes 3 to 6 are the ALARM evaluations whose newest minute was slow; the first silent minute reads 0
    // (FILL), so CloudWatch does not re-evaluate the burst's datapoints after it, and the policy stops with it.
    expect(r.scaleOut.transitions.map((t) => [t.time, t.to])).toEqual([
      [60, "OK"],
      [180, "ALARM"],
      [420, "OK"],
    ]);
    expect(scaled.activities.map((a) => [a.time, a.to])).toEqual([
      [180, 2],
      [240, 3],
      [300, 4],
      [360, 5],
    ]);
    expect(scaled.finalDesired).toBe(5);
  });

  it("GIVEN a slow burst THEN traffic below 10 requests a minute WHEN the step policy follows THEN the first quiet minute ends the scale-out", () => {
    const traffic = phases(NAMESPACE, [phase(6, 1000, 900), phase(6, 0.1, 900)]);
    const r = run(traffic, 12);

    expect(r.scaleOut.transitions.filter((t) => t.time > 6 * 60).map((t) => [t.time, t.to])).toEqual([
      [7 * 60, "OK"],
    ]);
    expect(tasks(r.scaleOut).activities.every((activity) => activity.time < 7 * 60)).toBe(true);
  });

  it("GIVEN a burst that set the gate THEN a quiet hour WHEN the next deployment regresses at 1 req/s THEN ECS still watches the alarms and rolls back", () => {
    const traffic = phases(NAMESPACE, [phase(5, 200, 1500), phase(55, 0.1, 50), phase(10, 1, 1500)]);
    const r = run(traffic, 70);

    const outcome = deploymentOutcome({
      alarms: deploymentAlarms,
      histories: histories(r),
      startSeconds: 59 * 60,
      monitoringStartSeconds: 60 * 60,
      rolloutCompleteSeconds: 62 * 60,
      bakeSeconds: 5 * 60,
    });
    expect(alarmsAt(r.gate)[0]).toBe(3 * 60);
    expect(outcome).toMatchObject({ alarmsInAlarmAtStart: [], state: "FAILED", rolledBack: true });
  });
});
