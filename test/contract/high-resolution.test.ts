import { loadConfig } from "../../app/config";
import { latencyDocumentProblems } from "../../contract/metric-contract";
import { EMF_VARIABLES, LATENCY_METRIC } from "../../contract/metrics";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import { type EmfDocument, parseValid } from "../app/metrics/emf-helpers";
import {
  containerDefinitionsOf,
  containerNamed,
  environmentOf,
  resourcesOf,
  SERVICE_PROPS,
  synthStack,
} from "../modules/support";
import type { FakeAgent } from "../support/fake-agent";
import { sampleAppAgainstFakeAgent } from "../support/sample-app";

interface MetricRead {
  readonly alarm: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

describe("metrics.highResolution from the construct to the app's documents", () => {
  const synth = synthStack(
    (stack) =>
      new EmfFargateService(stack, "Service", {
        ...SERVICE_PROPS,
        metrics: { highResolution: true },
        alarms: { routeLatencyP99ThresholdsMs: { "/items/:id": 250 } },
      }),
  );
  const environment = environmentOf(containerNamed(containerDefinitionsOf(synth.json), "koaapp"));
  /** Every metric a 10-second alarm reads. */
  const tenSecondReads: MetricRead[] = resourcesOf(synth.json, "aws_cloudwatch_metric_alarm").flatMap(
    (alarm) =>
      (
        (alarm.metric_query ?? []) as {
          metric?: { period: number; metric_name: string; dimensions?: Record<string, string> };
        }[]
      ).flatMap(({ metric }) =>
        metric && metric.period < 60
          ? [
              {
                alarm: String(alarm.alarm_name),
                metric: metric.metric_name,
                dimensions: metric.dimensions ?? {},
              },
            ]
          : [],
      ),
  );
  let agent: FakeAgent;
  let documents: EmfDocument[];

  beforeAll(async () => {
    // GIVEN the app with the container's AWS_EMF_* variables
    // WHEN it answers a few requests (2xx and 4xx), then shuts down, flushing everything
    agent = await sampleAppAgainstFakeAgent(environment, async (url) => {
      for (const path of ["/", "/items", "/no/such/route"]) await fetch(`${url}${path}`);
    });
    documents = parseValid(agent.lines);
  }, 60_000);

  afterAll(() => agent?.stop());

  it("GIVEN the container WHEN read THEN the app is told to publish high resolution, and its config passes it on", () => {
    expect(environment[EMF_VARIABLES.highResolution]).toBe("true");
    expect(
      loadConfig({ [EMF_VARIABLES.highResolution]: "true", ENV_TYPE: "test" }).emfEnvironment[
        EMF_VARIABLES.highResolution
      ],
    ).toBe("true");
  });

  it("GIVEN the documents THEN each defines Latency at resolution 1 and meets the metric contract", () => {
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) {
      expect(document._aws.CloudWatchMetrics).toEqual([
        expect.objectContaining({
          Metrics: [{ Name: LATENCY_METRIC.name, Unit: LATENCY_METRIC.unit, StorageResolution: 1 }],
        }),
      ]);
      expect(
        latencyDocumentProblems(document, { namespace: "koaapp", logGroupName: "/ecs/koaapp/emf" }),
      ).toEqual([]);
    }
  });

  it("GIVEN the 10-second alarms WHEN their metrics are looked up THEN each is Latency under a dimension set the documents declare at resolution 1", () => {
    expect(tenSecondReads.map((read) => read.alarm).sort()).toEqual([
      "koaapp-5xx-rate",
      "koaapp-5xx-rate",
      "koaapp-latency-p99",
      "koaapp-latency-p99",
    ]);
    const declared = new Set(
      documents.flatMap((document) =>
        (document._aws.CloudWatchMetrics as { Dimensions: string[][] }[]).flatMap((directive) =>
          directive.Dimensions.map((set) => JSON.stringify([...set].sort())),
        ),
      ),
    );
    for (const read of tenSecondReads) {
      expect({
        ...read,
        declared: declared.has(JSON.stringify(Object.keys(read.dimensions).sort())),
      }).toEqual({
        ...read,
        metric: LATENCY_METRIC.name,
        declared: true,
      });
    }
  });
});
