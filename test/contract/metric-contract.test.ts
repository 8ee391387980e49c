import pino from "pino";
import { loadConfig } from "../../app/config";
import { startServer } from "../../app/server";
import { EMF_VARIABLES } from "../../contract/metrics";
import { eventually, parseValid } from "../app/metrics/emf-helpers";
import { FakeAgent } from "../support/fake-agent";
import { synthKoaApp } from "../support/koaapp";

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
    agent = await FakeAgent.start();
    const emfVariables = Object.fromEntries(
      Object.entries(environment).filter(([name]) => name.startsWith("AWS_EMF_")),
    );
    const config = loadConfig({
      ...emfVariables,
      METRICS_MODE: "aggregate",
      AWS_EMF_AGENT_ENDPOINT: agent.endpoint,
      AWS_EMF_LOG_GROUP_NAME: "/ecs/koaapp/emf",
      ENV_TYPE: "test",
      LOG_LEVEL: "silent",
    });
    const server = await startServer(config, {
      logger: pino({ level: "silent" }),
      host: "127.0.0.1",
      port: 0,
    });
    for (const path of ["/", "/items", "/items/7", "/no/such/route", "/ready"])
      await fetch(`${server.url}${path}`);
    await fetch(`${server.url}/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    // Shutdown flushes every buffered document to the agent.
    expect(await server.shutdown("test")).toBe(0);
    // Delivered means written to the kernel; the agent reads it a moment later.
    await eventually(() => agent.lines.length > 0, "EMF documents at the agent");
    identities = emitted(agent.lines);
    documents = parseValid(agent.lines);
  }, 60_000);

  afterAll(() => agent?.stop());

  it("the task definition sets only AWS_EMF_* variables the middleware reads, and the documents follow them", () => {
    const set = Object.keys(environment).filter((name) => name.startsWith("AWS_EMF_"));
    expect(set.filter((name) => !(Object.values(EMF_VARIABLES) as string[]).includes(name))).toEqual([]);
    expect(set.sort()).toEqual(
      Object.values(EMF_VARIABLES)
        .filter((name) => name !== EMF_VARIABLES.environment)
        .sort(),
    );
    for (const document of documents) {
      expect(document._aws).toMatchObject({
        LogStreamName: environment.AWS_EMF_LOG_STREAM_NAME,
        CloudWatchMetrics: [expect.objectContaining({ Namespace: environment.AWS_EMF_NAMESPACE })],
      });
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
