import { latencyDocumentProblems, METRIC_CONTRACT } from "../../contract/metric-contract";
import { EMF_VARIABLES } from "../../contract/metrics";
import { parseValid } from "../app/metrics/emf-helpers";
import type { FakeAgent } from "../support/fake-agent";
import { synthKoaApp } from "../support/koaapp";
import { sampleAppAgainstFakeAgent } from "../support/sample-app";

/** A metric identity: namespace, name and dimensions; a `*` value stands for "every value" (SEARCH). */
interface Identity {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const show = (i: Identity) => `${i.namespace}/${i.metric}${JSON.stringify(i.dimensions)}`;

/** Every identity the EMF documents define: one per directive, metric and dimension set. */
function emitted(lines: readonly string[]): Identity[] {
  const identities: Identity[] = [];
  for (const doc of parseValid(lines)) {
    const aws = doc._aws as {
      CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
    };
    for (const directive of aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        for (const metric of directive.Metrics) {
          const dimensions = Object.fromEntries(set.map((name) => [name, String(doc[name])]));
          identities.push({ namespace: directive.Namespace, metric: metric.Name, dimensions });
        }
      }
    }
  }
  return identities;
}

/** Every identity the alarms and dashboard widgets of the synthesized stack read, AWS namespaces aside. */
function consumed(tf: Record<string, any>): { where: string; identity: Identity }[] {
  const found: { where: string; identity: Identity }[] = [];
  for (const [id, alarm] of Object.entries(tf.resource.aws_cloudwatch_metric_alarm ?? {}) as [
    string,
    any,
  ][]) {
    if (alarm.metric_name) {
      found.push({
        where: `alarm ${id}`,
        identity: {
          namespace: alarm.namespace,
          metric: alarm.metric_name,
          dimensions: alarm.dimensions ?? {},
        },
      });
    }
    for (const query of alarm.metric_query ?? []) {
      if (!query.metric) continue;
      found.push({
        where: `alarm ${id} query ${query.id}`,
        identity: {
          namespace: query.metric.namespace,
          metric: query.metric.metric_name,
          dimensions: query.metric.dimensions ?? {},
        },
      });
    }
  }
  for (const dashboard of Object.values(tf.resource.aws_cloudwatch_dashboard ?? {}) as any[]) {
    const { widgets } = JSON.parse(dashboard.dashboard_body) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    for (const widget of widgets) {
      for (const entry of widget.properties.metrics ?? []) {
        const where = `widget "${widget.properties.title}"`;
        const head = entry.filter((part) => typeof part === "string") as string[];
        const options = entry.find((part) => typeof part === "object") as { expression?: string } | undefined;
        if (options?.expression) {
          const search = /SEARCH\('\{"([^"]+)",(\w+)\} MetricName="(\w+)"'/.exec(options.expression);
          if (search)
            found.push({
              where,
              identity: { namespace: search[1], metric: search[3], dimensions: { [search[2]]: "*" } },
            });
          continue;
        }
        const [namespace, metric, ...pairs] = head;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
        found.push({ where, identity: { namespace, metric, dimensions } });
      }
    }
  }
  return found.filter((f) => !f.identity.namespace.startsWith("AWS/"));
}

function matches(wanted: Identity, got: Identity): boolean {
  const names = Object.keys(wanted.dimensions).sort();
  return (
    wanted.namespace === got.namespace &&
    wanted.metric === got.metric &&
    JSON.stringify(names) === JSON.stringify(Object.keys(got.dimensions).sort()) &&
    names.every((n) => wanted.dimensions[n] === "*" || wanted.dimensions[n] === got.dimensions[n])
  );
}

describe("the metric contract across the app and the infrastructure", () => {
  let agent: FakeAgent;
  let identities: Identity[];
  let tf: Record<string, any>;
  let environment: Record<string, string>;
  let documents: ReturnType<typeof parseValid>;

  beforeAll(async () => {
    // GIVEN the synthesized stack and the namespace and log group its task definition gives the app
    tf = synthKoaApp();
    environment = Object.fromEntries(
      (
        JSON.parse((Object.values(tf.resource.aws_ecs_task_definition)[0] as any).container_definitions)[0]
          .environment as {
          name: string;
          value: string;
        }[]
      ).map((v) => [v.name, v.value]),
    );

    // WHEN the real app, with the task definition's AWS_EMF_* variables (the agent's endpoint moved to a fake
    // agent; the log group is a reference until applied), serves requests of every status class
    agent = await sampleAppAgainstFakeAgent(environment, async (url) => {
      for (const path of ["/", "/items", "/items/7", "/no/such/route", "/ready"])
        await fetch(`${url}${path}`);
      await fetch(`${url}/items`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      });
    });
    identities = emitted(agent.lines);
    documents = parseValid(agent.lines);
  }, 60_000);

  afterAll(() => agent?.stop());

  it("the task definition sets only AWS_EMF_* variables the middleware reads, and the documents follow them", () => {
    const set = Object.keys(environment).filter((name) => name.startsWith("AWS_EMF_"));
    expect(set.filter((name) => !(Object.values(EMF_VARIABLES) as string[]).includes(name))).toEqual([]);
    // AWS_EMF_ENVIRONMENT is left to the library's default; the high-resolution variable comes with
    // metrics.highResolution only (test/contract/high-resolution.test.ts).
    expect(set.sort()).toEqual(
      Object.values(EMF_VARIABLES)
        .filter((name) => name !== EMF_VARIABLES.environment && name !== EMF_VARIABLES.highResolution)
        .sort(),
    );
    for (const document of documents) {
      expect(document._aws).toMatchObject({
        LogStreamName: environment.AWS_EMF_LOG_STREAM_NAME,
        CloudWatchMetrics: [expect.objectContaining({ Namespace: environment.AWS_EMF_NAMESPACE })],
      });
    }
  });

  it("every document the app sent meets the published METRIC_CONTRACT for the task definition's namespace", () => {
    // GIVEN the documents the real app sent WHEN checked against the contract other languages' services follow
    // THEN none falls short of it
    expect(documents.length).toBeGreaterThan(0);
    const problems = documents.flatMap((document) =>
      latencyDocumentProblems(document, {
        namespace: environment.AWS_EMF_NAMESPACE as string,
        logGroupName: "/ecs/koaapp/emf",
      }),
    );
    expect(problems).toEqual([]);
  });

  it("alarms and dashboard widgets read the contract's metric under the contract's dimension sets only", () => {
    const reads = consumed(tf);
    expect(reads.length).toBeGreaterThan(0);
    for (const { where, identity } of reads) {
      const names = Object.keys(identity.dimensions).sort();
      expect({ where, metric: identity.metric }).toEqual({ where, metric: METRIC_CONTRACT.metric.name });
      expect({
        where,
        inContract: METRIC_CONTRACT.dimensionSets.some(
          (set) => JSON.stringify([...set].sort()) === JSON.stringify(names),
        ),
      }).toEqual({ where, inContract: true });
    }
  });

  it("emits the service-wide, per-Path and per-StatusClass latency metrics", () => {
    expect(identities.length).toBeGreaterThan(0);
    expect(new Set(identities.map((i) => JSON.stringify(Object.keys(i.dimensions)))).size).toBe(3);
  });

  it("alarms and dashboard widgets read only metrics the middleware actually emitted", () => {
    const reads = consumed(tf);
    // The alarms (three) and the five widgets of our namespace all read something.
    expect(reads.length).toBeGreaterThanOrEqual(10);
    const missing = reads.filter((r) => !identities.some((got) => matches(r.identity, got)));
    expect(missing.map((m) => `${m.where}: ${show(m.identity)}`)).toEqual([]);
  });

  it("a renamed dimension on either side breaks the match", () => {
    const [read] = consumed(tf).filter((r) => Object.keys(r.identity.dimensions).length > 0);
    const renamed: Identity = {
      ...read.identity,
      dimensions: Object.fromEntries(Object.entries(read.identity.dimensions).map(([k, v]) => [`${k}X`, v])),
    };
    expect(identities.some((got) => matches(renamed, got))).toBe(false);
    expect(identities.some((got) => matches(read.identity, got))).toBe(true);
  });
});

describe("latencyDocumentProblems", () => {
  const expected = { namespace: "koaapp", logGroupName: "/ecs/koaapp/emf" };
  /** A document as the middleware writes it: one request to /items/:id answered 200 in 12.5 ms. */
  const valid = () => ({
    _aws: {
      Timestamp: 1_700_000_000_000,
      LogGroupName: "/ecs/koaapp/emf",
      CloudWatchMetrics: [
        {
          Namespace: "koaapp",
          Dimensions: [["Path"], ["StatusClass"], []],
          Metrics: [{ Name: "Latency", Unit: "Milliseconds" }],
        },
      ],
    },
    Path: "/items/:id",
    StatusClass: "2xx",
    Latency: [12.5],
  });

  it("GIVEN a document as the middleware writes it WHEN checked THEN it has no problem", () => {
    expect(latencyDocumentProblems(valid(), expected)).toEqual([]);
    expect(latencyDocumentProblems({ ...valid(), Path: "(unmatched)", Latency: 0 }, expected)).toEqual([]);
  });

  it("GIVEN something that is no EMF document WHEN checked THEN it says so", () => {
    expect(latencyDocumentProblems("Latency=3", expected)).toEqual([
      'document "Latency=3" is not a JSON object',
    ]);
    expect(latencyDocumentProblems({ Latency: 3 }, expected)).toEqual([
      "_aws undefined is missing; an EMF document needs its metadata",
    ]);
  });

  it("GIVEN a document without the Latency metric WHEN checked THEN that is the one problem", () => {
    const document = valid();
    document._aws.CloudWatchMetrics[0].Metrics = [{ Name: "Duration", Unit: "Milliseconds" }];
    expect(latencyDocumentProblems(document, expected)).toEqual([
      "_aws.CloudWatchMetrics declares no Latency metric",
    ]);
  });

  it("GIVEN every other way to fall short at once WHEN checked THEN each is one message", () => {
    // GIVEN a date string as timestamp, the wrong log group, namespace and unit, a library's default dimension added to the sets, the raw URL
    // as Path, a status code as StatusClass and a negative latency
    const document = valid();
    document._aws.LogGroupName = "/aws/ecs/koaapp";
    const directive = document._aws.CloudWatchMetrics[0] as (typeof document._aws.CloudWatchMetrics)[0];
    directive.Namespace = "aws-embedded-metrics";
    directive.Metrics = [{ Name: "Latency", Unit: "Seconds" }];
    directive.Dimensions = [["ServiceName", "Path"], ["StatusClass"], []];
    const wrong = {
      ...document,
      _aws: { ...document._aws, Timestamp: "2024-01-01T00:00:00Z" },
      Path: "items/7",
      StatusClass: 200,
      Latency: [-1],
    };

    // THEN every problem is listed, each naming the value and what was expected
    expect(latencyDocumentProblems(wrong, expected)).toEqual([
      '_aws.Timestamp "2024-01-01T00:00:00Z" is not epoch milliseconds',
      '_aws.LogGroupName "/aws/ecs/koaapp" is not "/ecs/koaapp/emf" (AWS_EMF_LOG_GROUP_NAME); the agent drops documents without one',
      'Namespace "aws-embedded-metrics" is not "koaapp" (AWS_EMF_NAMESPACE)',
      'Latency Unit "Seconds" is not "Milliseconds"',
      'Dimensions [["ServiceName","Path"],["StatusClass"],[]] lack the set ["Path"]; allowed: exactly [["Path"],["StatusClass"],[]]',
      'Dimensions set ["ServiceName","Path"] is not in the contract (a default dimension?); allowed: exactly [["Path"],["StatusClass"],[]]',
      'Path "items/7" is not a route template; allowed: the matched route, e.g. "/items/:id", or "(unmatched)"',
      "StatusClass 200 is not a status class; allowed: 1xx, 2xx, 3xx, 4xx, 5xx, aborted",
      "Latency [-1] is not a latency in milliseconds; allowed: a number ≥ 0, or a list of them",
    ]);
  });

  it("GIVEN no expected log group WHEN checked THEN the document's log group is not judged", () => {
    const document = valid();
    document._aws.LogGroupName = "/anything";
    expect(latencyDocumentProblems(document, { namespace: "koaapp" })).toEqual([]);
  });
});
