/**
 * `metrics.highResolution`: the variable the app container gets, the deployment alarms on 10-second periods (3 of
 * 5, a period judged from ceil(minRequestsPerMinute / 6) requests), what stays on minutes, and what is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformVariable } from "cdktf";
import { EMF_VARIABLES, LATENCY_METRIC } from "../../contract/metrics";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import { resolveServiceSettings, settingsWarnings } from "../../modules/emf-fargate-service-settings";
import { gatePeriod } from "../../modules/metric-math";
import { type TerraformPlan, TerraformWorkdir, terraformSuite } from "../support/terraform";
import {
  type Block,
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  PUBLIC_LOAD_BALANCER,
  problemLine,
  resourcesOf,
  SERVICE_PROPS,
  synthStack,
} from "./support";

const HIGH: Partial<EmfFargateServiceProps> = { metrics: { highResolution: true } };

function synthService(extra: Partial<EmfFargateServiceProps> = {}) {
  return synthStack((stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, ...extra }));
}

/** The high-resolution service with alarms.minRequestsPerMinute from the Terraform variable `min_requests`. */
function synthWithVariableMinimum() {
  return synthStack(
    (stack) =>
      new EmfFargateService(stack, "Service", {
        ...SERVICE_PROPS,
        ...HIGH,
        alarms: {
          minRequestsPerMinute: new TerraformVariable(stack, "min_requests", { type: "number" }).numberValue,
        },
      }),
  );
}

const alarmsByName = (json: Parameters<typeof resourcesOf>[0]): Record<string, Block> =>
  Object.fromEntries(
    resourcesOf(json, "aws_cloudwatch_metric_alarm").map((alarm) => [String(alarm.alarm_name), alarm]),
  );

/** Each alarm's metric periods, M of N, and its guard expression, for comparison at a glance. */
function shape(alarm: Block | undefined) {
  const queries = (alarm?.metric_query ?? []) as { metric?: { period: number }; expression?: string }[];
  return {
    periods:
      queries.length > 0
        ? [...new Set(queries.flatMap((q) => (q.metric ? [q.metric.period] : [])))]
        : [alarm?.period],
    of: `${alarm?.datapoints_to_alarm ?? alarm?.evaluation_periods} of ${alarm?.evaluation_periods}`,
    // The returned expression, the last one (the first is the slow count it reads).
    expression: queries.filter((q) => q.expression).at(-1)?.expression,
    missing: alarm?.treat_missing_data,
  };
}

describe("EmfFargateService with metrics.highResolution", () => {
  const synth = synthService({
    ...HIGH,
    scaling: { minCapacity: 1, maxCapacity: 4, latencyP99ScaleOutMs: 500 },
    alarms: { routeLatencyP99ThresholdsMs: { "/items/:id": 250 } },
  });
  const byName = alarmsByName(synth.json);
  const service = synth.built;

  it("GIVEN highResolution WHEN synthesized THEN the app container is told to publish high-resolution latency", () => {
    const app = containerNamed(containerDefinitionsOf(synth.json), "koaapp");

    expect(environmentOf(app)[EMF_VARIABLES.highResolution]).toBe("true");
    expect(service.metrics.highResolution).toBe(true);
  });

  it("GIVEN highResolution WHEN synthesized THEN the deployment alarms judge 10-s periods, 3 of 5, periods with 2 requests or more", () => {
    expect(shape(byName["koaapp-latency-p99"])).toEqual({
      periods: [10],
      of: "3 of 5",
      expression:
        "IF(requests >= 2 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
      missing: "notBreaching",
    });
    expect(shape(byName["koaapp-5xx-rate"])).toEqual({
      periods: [10],
      of: "3 of 5",
      expression: "IF(requests >= 2, 100 * FILL(errors, 0) / requests, 0)",
      missing: "notBreaching",
    });
    expect(byName["koaapp-latency-p99"]?.alarm_description).toBe(
      "p99 latency of all routes above 1000 ms — more than 1% of requests slower, by at least 3 slow requests and 3 standard deviations — in 3 of 5 10-second periods, counting 10-second periods with at least 2 requests.",
    );
    // and the minute alarm beside it, a deployment alarm too: it judges what 10-s periods cannot at low traffic
    expect(shape(byName["koaapp-latency-p99-minutes"])).toEqual({
      periods: [60],
      of: "3 of 5",
      expression:
        "IF(requests >= 10 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
      missing: "notBreaching",
    });
    expect(service.deploymentAlarmNames).toHaveLength(3);
  });

  it("GIVEN highResolution WHEN synthesized THEN route, no-metrics and scale-out alarms keep their periods", () => {
    expect(shape(byName["koaapp-latency-p99-items-id"])).toMatchObject({
      periods: [60],
      expression:
        "IF(requests >= 10 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
    });
    expect(shape(byName["koaapp-latency-p99-scale-out"]).periods).toEqual([60]);
    expect(shape(byName["koaapp-no-metrics"]).periods).toEqual([300]);
  });

  it("GIVEN highResolution WHEN read THEN the summaries say which alarms are high resolution", () => {
    expect(service.alarmSummaries.map((row) => [row.name, row.period])).toEqual([
      ["koaapp-latency-p99", "10 s (high resolution), 3 of 5, 10-second periods with ≥ 2 requests"],
      ["koaapp-latency-p99-minutes", "60 s, 3 of 5, minutes with ≥ 10 requests"],
      ["koaapp-latency-p99-items-id", "60 s, 3 of 5, minutes with ≥ 10 requests"],
      ["koaapp-5xx-rate", "10 s (high resolution), 3 of 5"],
      ["koaapp-no-metrics", "300 s, 3 of 3"],
    ]);
  });

  it("GIVEN the default WHEN synthesized THEN no variable is added and every deployment alarm judges minutes", () => {
    const plain = synthService();
    const alarms = alarmsByName(plain.json);

    expect(
      Object.keys(environmentOf(containerNamed(containerDefinitionsOf(plain.json), "koaapp"))),
    ).not.toContain(EMF_VARIABLES.highResolution);
    expect([shape(alarms["koaapp-latency-p99"]).periods, shape(alarms["koaapp-5xx-rate"]).periods]).toEqual([
      [60],
      [60],
    ]);
    // the latency alarm already judges minutes: no second one
    expect(alarms["koaapp-latency-p99-minutes"]).toBeUndefined();
  });
});

describe("high-resolution minimum requests per period", () => {
  it.each([
    [1, 1],
    [6, 1],
    [7, 2],
    [10, 2],
    [12, 2],
    [13, 3],
    [60, 10],
  ])(
    "GIVEN minRequestsPerMinute %i WHEN the gate judges 10 s THEN a period needs %i requests (rounded up)",
    (perMinute, perPeriod) => {
      expect(gatePeriod(true, perMinute)).toEqual({
        seconds: 10,
        minRequests: perPeriod,
        periods: "10-second periods",
      });
    },
  );

  it("GIVEN minRequestsPerMinute from a variable WHEN synthesized THEN Terraform rounds the sixth of it up", () => {
    const synth = synthWithVariableMinimum();

    expect(shape(alarmsByName(synth.json)["koaapp-latency-p99"]).expression).toBe(
      "IF(requests >= ${ceil((var.min_requests / 6))} AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
    );
  });
});

describe("metrics.highResolution validation", () => {
  it.each([
    [
      "a string",
      { metrics: { highResolution: "true" as unknown as boolean } },
      'metrics.highResolution "true" is not a boolean; allowed: true or false',
    ],
    [
      "a misspelt key",
      { metrics: { highResolutions: true } as never },
      "metrics.highResolutions true is not a prop of MetricsOptions (did you mean highResolution?); allowed: namespace, logGroupName, logStreamName, highResolution",
    ],
    [
      "an agent that holds documents 30 s",
      { ...HIGH, agent: { config: { logs: { force_flush_interval: 30 } } } },
      "agent.config.logs.force_flush_interval 30 holds documents longer than the 5 s AWS recommends for the 10-second alarms of metrics.highResolution (they would judge partial or missing periods); allowed: seconds up to 5 (the agent's default is 5), or metrics.highResolution false",
    ],
    [
      "the variable in the environment",
      { container: { ...SERVICE_PROPS.container, environment: { [EMF_VARIABLES.highResolution]: "true" } } },
      `container.environment.${EMF_VARIABLES.highResolution} "true" would disagree with the service's metric settings; allowed: the metrics prop`,
    ],
  ])("GIVEN %s WHEN built THEN it is refused", (_what, extra, line) => {
    expect(() => synthService(extra)).toThrow(problemLine(line));
  });

  it.each([
    [
      "a 5-s agent flush with high resolution",
      { ...HIGH, agent: { config: { logs: { force_flush_interval: 5 } } } },
    ],
    [
      "a 30-s agent flush at standard resolution",
      { agent: { config: { logs: { force_flush_interval: 30 } } } },
    ],
  ])("GIVEN %s WHEN built THEN it is accepted", (_what, extra) => {
    const alarms = alarmsByName(synthService(extra).json);

    expect(Object.keys(alarms)).toContain("koaapp-latency-p99");
  });
});

describe("bake-time warning with high resolution", () => {
  const warnings = (bakeTimeMinutes: number, highResolution: boolean) =>
    settingsWarnings(
      resolveServiceSettings(
        {
          ...SERVICE_PROPS,
          loadBalancer: PUBLIC_LOAD_BALANCER,
          metrics: { highResolution },
          deployment: { strategy: { type: "blueGreen", bakeTimeMinutes } },
        },
        "test/Service",
      ),
    );

  it("GIVEN a 1-minute bake WHEN the gate judges 10-s periods THEN there is no warning, and at standard resolution there is", () => {
    expect(warnings(1, true)).toEqual([]);
    expect(warnings(1, false)).toEqual([
      "deployment.strategy.bakeTimeMinutes 1 is shorter than the 3 minutes the deployment alarms need to fire after the last shift: a regression found later is not rolled back by traffic shift",
    ]);
  });

  it("GIVEN no bake time WHEN the gate judges 10-s periods THEN the warning says 30 seconds", () => {
    expect(warnings(0, true)).toEqual([
      "deployment.strategy.bakeTimeMinutes 0 is shorter than the 30 seconds the deployment alarms need to fire after the last shift: a regression found later is not rolled back by traffic shift",
    ]);
  });
});

it("GIVEN the contract WHEN the alarms read high resolution THEN they read the one metric the middleware marks StorageResolution 1", () => {
  // The 10-s alarms must read only metrics stored at resolution 1; the app marks exactly LATENCY_METRIC.
  const synth = synthService({ ...HIGH, alarms: { routeLatencyP99ThresholdsMs: { "/x": 5 } } });
  const tenSecond = resourcesOf(synth.json, "aws_cloudwatch_metric_alarm").flatMap((alarm) =>
    ((alarm.metric_query ?? []) as { metric?: { period: number; metric_name: string } }[]).flatMap((q) =>
      q.metric && q.metric.period < 60 ? [q.metric.metric_name] : [],
    ),
  );

  expect(tenSecond.length).toBe(4);
  expect(new Set(tenSecond)).toEqual(new Set([LATENCY_METRIC.name]));
});

const { mirror, describe: describeWithTerraform } = terraformSuite("the high-resolution alarm plan test");

describeWithTerraform(
  "high-resolution deployment alarms with the real AWS provider (5.100.0), offline",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "emf-fargate-highres-"));
    let workdir: TerraformWorkdir;
    let plan: TerraformPlan;

    beforeAll(() => {
      const tf = synthWithVariableMinimum().json as Record<string, unknown>;
      delete tf.provider;
      writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(tf));
      workdir = new TerraformWorkdir({ service: dir }, "service", mirror, { region: "eu-west-1" });
      workdir.runOk(["init", "-input=false", "-no-color", "-backend=false"]);
      plan = workdir.planJson({ min_requests: "13" });
    }, 300_000);

    afterAll(() => {
      workdir?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it("GIVEN 10-s metric queries WHEN planned THEN the provider accepts them and Terraform rounds 13 requests a minute up to 3 per period", () => {
      const planned = Object.fromEntries(
        plan.resource_changes
          .filter((r) => r.type === "aws_cloudwatch_metric_alarm")
          .map((r) => [String(r.change.after?.alarm_name), r.change.after]),
      );
      const queries = (name: string) =>
        planned[name]?.metric_query as { expression?: string; metric: { period: number }[] }[];

      for (const name of ["koaapp-latency-p99", "koaapp-5xx-rate"]) {
        expect({ name, periods: queries(name).flatMap((q) => q.metric.map((m) => m.period)) }).toEqual({
          name,
          periods: [10, 10],
        });
      }
      expect(
        queries("koaapp-latency-p99")
          .filter((q) => q.expression)
          .at(-1)?.expression,
      ).toBe(
        "IF(requests >= 3 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
      );
    });
  },
);
