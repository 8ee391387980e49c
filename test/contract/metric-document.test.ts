/**
 * latencyDocumentProblems judged on documents the real latency middleware writes (environment Local, to an
 * in-memory stream, on fake time), then on copies of one of them broken in one way each.
 */
import { PassThrough } from "node:stream";
import request from "supertest";
import { type LatencyMetricsOptions, latencyMetrics } from "../../app/metrics";
import { latencyDocumentProblems, METRIC_CONTRACT } from "../../contract/metric-contract";
import { capturingLogger, type EmfDocument, parseValid, routedApp } from "../app/metrics/emf-helpers";
import { FakeClock } from "../support/fake-clock";

const EXPECTED = { namespace: "shop", logGroupName: "/ecs/shop/emf" };
const ALLOWED_SETS = 'allowed: exactly [["Path"],["StatusClass"],[]]';

/** The documents the middleware writes for requests of several routes and status classes. */
async function documentsFromMiddleware(options: LatencyMetricsOptions = {}): Promise<EmfDocument[]> {
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  const middleware = latencyMetrics({
    environment: "Local",
    output,
    clock: new FakeClock(),
    logger: capturingLogger().logger,
    env: {},
    serviceName: "shop",
    ...EXPECTED,
    ...options,
  });
  const server = request(routedApp(middleware).app.callback());
  await server.get("/items/7?page=2").expect(200);
  await server.get("/").expect(200);
  await server.get("/boom").expect(500);
  await server.get("/no/such/route").expect(404);
  await middleware.close(1000);
  return parseValid(chunks.join("").split("\n").filter(Boolean));
}

/** A deep copy of `document` changed by `change`. */
function broken(document: EmfDocument, change: (copy: any) => void): EmfDocument {
  const copy = structuredClone(document);
  change(copy);
  return copy;
}

describe("latencyDocumentProblems", () => {
  let documents: EmfDocument[];
  let itemDocument: EmfDocument;

  beforeAll(async () => {
    documents = await documentsFromMiddleware();
    const found = documents.find((d) => d.Path === "/items/:id");
    if (!found) throw new Error(`no /items/:id document among ${documents.length}`);
    itemDocument = found;
  });

  it("GIVEN the documents the middleware writes in aggregate mode WHEN judged THEN none falls short of the contract", () => {
    expect(documents.map((d) => [d.Path, d.StatusClass]).sort()).toEqual([
      ["(unmatched)", "4xx"],
      ["/", "2xx"],
      ["/boom", "5xx"],
      ["/items/:id", "2xx"],
    ]);
    expect(documents.map((d) => latencyDocumentProblems(d, EXPECTED))).toEqual([[], [], [], []]);
  });

  it("GIVEN a document of request mode WHEN judged THEN its extra properties (Url, RequestId) are no problem", async () => {
    const [document] = await documentsFromMiddleware({ mode: "request" });

    expect(document).toMatchObject({ Path: "/items/:id", Url: "/items/7", Method: "GET", StatusCode: 200 });
    expect(latencyDocumentProblems(document, EXPECTED)).toEqual([]);
  });

  it("GIVEN the middleware with the library's default dimensions WHEN judged THEN every declared set is off the contract and every contract set is missing", async () => {
    const [document] = await documentsFromMiddleware({ defaultDimensions: true });
    const problems = latencyDocumentProblems(document, EXPECTED);

    expect(problems).toHaveLength(6);
    expect(problems.filter((p) => p.includes("lack the set"))).toHaveLength(3);
    expect(problems.filter((p) => p.includes("is not in the contract (a default dimension?)"))).toHaveLength(
      3,
    );
  });

  it.each<[string, (d: any) => void, string]>([
    [
      "another namespace",
      (d) => {
        d._aws.CloudWatchMetrics[0].Namespace = "aws-embedded-metrics";
      },
      'Namespace "aws-embedded-metrics" is not "shop" (AWS_EMF_NAMESPACE)',
    ],
    [
      "no log group",
      (d) => {
        delete d._aws.LogGroupName;
      },
      '_aws.LogGroupName undefined is not "/ecs/shop/emf" (AWS_EMF_LOG_GROUP_NAME); the agent drops documents without one',
    ],
    [
      "no service-wide dimension set",
      (d) => {
        d._aws.CloudWatchMetrics[0].Dimensions = [["Path"], ["StatusClass"]];
      },
      `Dimensions [["Path"],["StatusClass"]] lack the set []; ${ALLOWED_SETS}`,
    ],
    [
      "a default dimension added as a set of its own",
      (d) => {
        d._aws.CloudWatchMetrics[0].Dimensions.push(["ServiceName", "Path"]);
      },
      `Dimensions set ["ServiceName","Path"] is not in the contract (a default dimension?); ${ALLOWED_SETS}`,
    ],
    [
      "latency in seconds",
      (d) => {
        d._aws.CloudWatchMetrics[0].Metrics[0].Unit = "Seconds";
      },
      'Latency Unit "Seconds" is not "Milliseconds"',
    ],
    [
      "a status code where the class belongs",
      (d) => {
        d.StatusClass = "200";
      },
      'StatusClass "200" is not a status class; allowed: 1xx, 2xx, 3xx, 4xx, 5xx, aborted',
    ],
    [
      "the full request URL as Path",
      (d) => {
        d.Path = "https://shop.example.com/items/7";
      },
      'Path "https://shop.example.com/items/7" is not a route template; allowed: the matched route, e.g. "/items/:id", or "(unmatched)"',
    ],
    [
      "a latency that is a string",
      (d) => {
        d.Latency = "12.5";
      },
      'Latency "12.5" is not a latency in milliseconds; allowed: a number ≥ 0, or a list of them',
    ],
    [
      "a negative value among the latencies",
      (d) => {
        d.Latency = [3, -1];
      },
      "Latency [3,-1] is not a latency in milliseconds; allowed: a number ≥ 0, or a list of them",
    ],
    [
      "no Latency among the metrics",
      (d) => {
        d._aws.CloudWatchMetrics[0].Metrics[0].Name = "Duration";
      },
      "_aws.CloudWatchMetrics declares no Latency metric",
    ],
    [
      "a timestamp as text",
      (d) => {
        d._aws.Timestamp = "2025-11-14T00:00:00Z";
      },
      '_aws.Timestamp "2025-11-14T00:00:00Z" is not epoch milliseconds',
    ],
  ])(
    "GIVEN a document with %s WHEN judged THEN exactly that problem is reported",
    (_case, change, message) => {
      expect(latencyDocumentProblems(broken(itemDocument, change), EXPECTED)).toEqual([message]);
    },
  );

  it("GIVEN no expected log group WHEN a document without one is judged THEN the log group is not required", () => {
    const document = broken(itemDocument, (d) => {
      delete d._aws.LogGroupName;
    });

    expect(latencyDocumentProblems(document, { namespace: "shop" })).toEqual([]);
  });

  it.each([
    ["a JSON array", [], "document [] is not a JSON object"],
    [
      "a document without _aws",
      { Latency: 1 },
      "_aws undefined is missing; an EMF document needs its metadata",
    ],
  ])("GIVEN %s WHEN judged THEN the one problem says what it is", (_case, document, message) => {
    expect(latencyDocumentProblems(document, EXPECTED)).toEqual([message]);
  });

  it("GIVEN the contract WHEN read THEN it names the metric, the three dimension sets and the unmatched Path", () => {
    expect(METRIC_CONTRACT).toMatchObject({
      metric: { name: "Latency", unit: "Milliseconds" },
      dimensionSets: [["Path"], ["StatusClass"], []],
      path: { dimension: "Path", unmatched: "(unmatched)" },
      statusClass: { dimension: "StatusClass", values: ["1xx", "2xx", "3xx", "4xx", "5xx", "aborted"] },
    });
  });
});
