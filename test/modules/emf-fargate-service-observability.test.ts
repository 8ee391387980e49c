import { LATENCY_METRIC } from "../../contract/metrics";
import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import type { ServiceAlarms } from "../../modules/service-alarms";
import type { ServiceDashboard } from "../../modules/service-dashboard";
import {
  type Block,
  blockOf,
  childOf,
  onlyResource,
  ref,
  resolved,
  resourcesOf,
  SERVICE_PROPS,
  type Synthesized,
  synthStack,
  type TerraformJson,
} from "./support";

const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab";
const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:oncall";
const NAMESPACE = "acme/koaapp";
const OBSERVABILITY_TYPES = [
  "aws_cloudwatch_dashboard",
  "aws_cloudwatch_metric_alarm",
  "aws_cloudwatch_query_definition",
  "aws_sns_topic",
];

const BASE: EmfFargateServiceProps = {
  ...SERVICE_PROPS,
  metrics: { namespace: NAMESPACE },
};

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
    readonly [key: string]: unknown;
  };
}

function synthService(overrides: Partial<EmfFargateServiceProps> = {}): Synthesized<EmfFargateService> {
  return synthStack((stack) => new EmfFargateService(stack, "Service", { ...BASE, ...overrides }));
}

function widgetsOf(json: TerraformJson): Widget[] {
  const body = onlyResource(json, "aws_cloudwatch_dashboard").dashboard_body as string;
  return (JSON.parse(body) as { widgets: Widget[] }).widgets;
}

function widgetTitled(widgets: readonly Widget[], title: string): Widget {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found)
    throw new Error(`no widget titled ${title}; have ${widgets.map((w) => w.properties.title).join(", ")}`);
  return found;
}

/** Resource type → number of resources, for comparing what a prop adds or removes. */
function resourceCounts(json: TerraformJson): Record<string, number> {
  return Object.fromEntries(
    Object.entries(json.resource ?? {}).map(([type, byId]) => [type, Object.keys(byId).length]),
  );
}

/** The alarms construct a service created (internal: read by id), failing the test when it created none. */
function alarmsOf(service: EmfFargateService): ServiceAlarms {
  const alarms = service.node.tryFindChild("Alarms");
  if (!alarms) throw new Error("the service created no alarms");
  return alarms as ServiceAlarms;
}

/** The namespaces an alarm reads: its own, or those of its metric queries. */
function namespacesOf(alarm: Block): unknown[] {
  if (alarm.namespace !== undefined) return [alarm.namespace];
  return (alarm.metric_query as { metric?: { namespace: string } }[]).flatMap((q) =>
    q.metric ? [q.metric.namespace] : [],
  );
}

describe("EmfFargateService observability with defaults", () => {
  const synth = synthService();
  const service = synth.built;
  const alarms = alarmsOf(service);
  const at = (id: string, attribute: string) => ref(synth.stack, childOf(service, id), attribute);
  const topicArn = ref(synth.stack, childOf(alarms, "Topic"), "arn");
  const widgets = widgetsOf(synth.json);

  it("GIVEN no alarms prop WHEN synthesized THEN the p99, 5xx-rate and no-metrics alarms read the service's namespace", () => {
    const alarmBlocks = alarms.alarms.map((alarm) => blockOf(synth, alarm));

    expect(alarmBlocks.map((alarm) => alarm.alarm_name)).toEqual([
      "koaapp-latency-p99",
      "koaapp-5xx-rate",
      "koaapp-no-metrics",
    ]);
    expect(resourcesOf(synth.json, "aws_cloudwatch_metric_alarm")).toHaveLength(3);
    // The latency alarm reads two statistics (sample count, percentile rank), the 5xx rate two, no-metrics one.
    expect(alarmBlocks.flatMap(namespacesOf)).toEqual([
      NAMESPACE,
      NAMESPACE,
      NAMESPACE,
      NAMESPACE,
      NAMESPACE,
    ]);
    expect(service.metrics.namespace).toBe(NAMESPACE);
  });

  it("GIVEN no topic and no KMS key WHEN synthesized THEN an unencrypted topic named after the service receives alarm and OK notifications", () => {
    expect(resourcesOf(synth.json, "aws_sns_topic")).toEqual([{ name: "koaapp-alarms" }]);
    expect(resolved(synth.stack, [alarms.topicArn, service.alarmTopicArn])).toEqual([topicArn, topicArn]);
    for (const alarm of resourcesOf(synth.json, "aws_cloudwatch_metric_alarm")) {
      expect(alarm).toMatchObject({ alarm_actions: [topicArn], ok_actions: [topicArn] });
    }
  });

  it("GIVEN no dashboard prop WHEN synthesized THEN a dashboard named after the service shows the service's namespace in the stack's region", () => {
    expect(onlyResource(synth.json, "aws_cloudwatch_dashboard").dashboard_name).toBe("koaapp");
    expect(resolved(synth.stack, service.dashboardName)).toBe(at("Dashboard/Resource", "dashboard_name"));
    expect(resolved(synth.stack, (service.node.findChild("Dashboard") as ServiceDashboard).widgets)).toEqual(
      widgets,
    );
    expect(widgetTitled(widgets, "Latency p50 / p90 / p99 (all routes)").properties.metrics?.[0]).toEqual([
      NAMESPACE,
      LATENCY_METRIC.name,
      { stat: "p50", label: "p50" },
    ]);
    const metricWidgets = widgets.filter((w) => w.type === "metric");
    expect(metricWidgets).toHaveLength(6);
    expect(metricWidgets.map((w) => w.properties.region)).toEqual(Array(6).fill(at("Region", "name")));
  });

  it("GIVEN the created cluster and service WHEN synthesized THEN the dashboard's ECS widget names them, the service by its literal name so a new image leaves the dashboard alone", () => {
    expect(widgetTitled(widgets, "ECS service CPU and memory (%)").properties.metrics).toEqual(
      ["CPUUtilization", "MemoryUtilization"].map((metric) => [
        "AWS/ECS",
        metric,
        "ClusterName",
        at("Ecs/Cluster", "name"),
        "ServiceName",
        "koaapp",
        { stat: "Average" },
      ]),
    );
  });

  it("GIVEN the alarms WHEN synthesized THEN the dashboard's alarm widget lists their ARNs", () => {
    expect(widgetTitled(widgets, "Alarms").properties.alarms).toEqual(
      alarms.alarms.map((alarm) => ref(synth.stack, alarm, "arn")),
    );
  });

  it("GIVEN no alarm minimum WHEN synthesized THEN the dashboard's error rate is guarded by the alarms' default of 10 requests", () => {
    expect(widgetTitled(widgets, "Error rate (5xx % of requests)").properties.metrics?.[0]).toEqual([
      { expression: "IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)", id: "rate", label: "5xx %" },
    ]);
  });

  it("GIVEN no queryDefinitions prop WHEN synthesized THEN three saved queries in the service's folder read the EMF log group", () => {
    expect(
      resourcesOf(synth.json, "aws_cloudwatch_query_definition")
        .map((query) => [query.name, query.log_group_names])
        .sort(),
    ).toEqual(
      ["errors-by-path", "requests-by-status", "slowest-requests"].map((name) => [
        `koaapp/${name}`,
        [at("EmfLogs", "name")],
      ]),
    );
    expect(service.node.tryFindChild("Queries")?.node.children).toHaveLength(3);
  });
});

describe("EmfFargateService observability opt-outs", () => {
  const defaults = resourceCounts(synthService().json);

  it("GIVEN the default service WHEN counted THEN it has one dashboard, three alarms, three queries and one topic", () => {
    expect(OBSERVABILITY_TYPES.map((type) => defaults[type])).toEqual([1, 3, 3, 1]);
  });

  it.each<[Partial<EmfFargateServiceProps>, string[], string, Partial<EmfFargateService>]>([
    [
      { alarms: false },
      ["aws_cloudwatch_metric_alarm", "aws_sns_topic"],
      "Alarms",
      { alarmTopicArn: undefined, deploymentAlarmNames: [], alarmSummaries: [] },
    ],
    [{ dashboard: false }, ["aws_cloudwatch_dashboard"], "Dashboard", { dashboardName: undefined }],
    [{ queryDefinitions: false }, ["aws_cloudwatch_query_definition"], "Queries", {}],
  ])(
    "GIVEN %p WHEN synthesized THEN exactly %p are gone, with the %s construct and its attributes",
    (flag, removed, child, attributes) => {
      const synth = synthService(flag);
      const expected = Object.fromEntries(
        Object.entries(defaults).filter(([type]) => !removed.includes(type)),
      );

      expect(resourceCounts(synth.json)).toEqual(expected);
      expect(synth.built.node.tryFindChild(child)).toBeUndefined();
      expect(synth.built).toMatchObject(attributes);
    },
  );

  it("GIVEN alarms false WHEN synthesized THEN no deployment alarm rolls the ECS service back, the circuit breaker still does", () => {
    const synth = synthService({ alarms: false });

    expect(blockOf(synth, synth.built.service)).not.toHaveProperty("alarms");
    expect(blockOf(synth, synth.built.service).deployment_circuit_breaker).toEqual({
      enable: true,
      rollback: true,
    });
  });

  it("GIVEN alarms false WHEN synthesized THEN the dashboard keeps its six metric widgets and has no alarm widget", () => {
    expect(widgetsOf(synthService({ alarms: false }).json).map((w) => w.type)).toEqual(
      Array(6).fill("metric"),
    );
  });
});

describe("EmfFargateService observability with alarm props", () => {
  it("GIVEN alarms.topicArn WHEN synthesized THEN no topic is created and every alarm notifies the given topic", () => {
    const synth = synthService({ alarms: { topicArn: TOPIC_ARN }, kmsKeyArn: KMS_KEY });
    const alarmBlocks = resourcesOf(synth.json, "aws_cloudwatch_metric_alarm");

    expect(resourcesOf(synth.json, "aws_sns_topic")).toEqual([]);
    expect([alarmsOf(synth.built).topicArn, synth.built.alarmTopicArn]).toEqual([TOPIC_ARN, TOPIC_ARN]);
    expect(alarmBlocks).toHaveLength(3);
    for (const alarm of alarmBlocks) {
      expect(alarm).toMatchObject({ alarm_actions: [TOPIC_ARN], ok_actions: [TOPIC_ARN] });
    }
  });

  it("GIVEN kmsKeyArn and tags WHEN synthesized THEN the created topic is encrypted with the key and the topic and alarms are tagged", () => {
    const tags = { team: "payments" };
    const synth = synthService({ kmsKeyArn: KMS_KEY, tags });

    expect(resourcesOf(synth.json, "aws_sns_topic")).toEqual([
      { name: "koaapp-alarms", kms_master_key_id: KMS_KEY, tags },
    ]);
    expect(resourcesOf(synth.json, "aws_cloudwatch_metric_alarm").map((alarm) => alarm.tags)).toEqual([
      tags,
      tags,
      tags,
    ]);
  });

  it("GIVEN alarms.topicKmsKeyArn beside kmsKeyArn WHEN synthesized THEN the topic uses the alarms' own key", () => {
    const synth = synthService({ kmsKeyArn: KMS_KEY, alarms: { topicKmsKeyArn: OTHER_KMS_KEY } });

    expect(onlyResource(synth.json, "aws_sns_topic").kms_master_key_id).toBe(OTHER_KMS_KEY);
  });

  it("GIVEN alarm settings WHEN synthesized THEN the alarms follow them and the dashboard's error rate uses the same minimum", () => {
    const synth = synthService({
      alarms: {
        latencyP99ThresholdMs: 400,
        routeLatencyP99ThresholdsMs: { "/items/:id": 250 },
        minRequestsPerMinute: 20,
        noMetricsAlarm: false,
      },
    });
    const byName = Object.fromEntries(
      resourcesOf(synth.json, "aws_cloudwatch_metric_alarm").map((alarm) => [alarm.alarm_name, alarm]),
    );

    expect(Object.keys(byName).sort()).toEqual([
      "koaapp-5xx-rate",
      "koaapp-latency-p99",
      "koaapp-latency-p99-items-id",
    ]);
    // p99 above T is more than 1 % of requests slower than T: the percentile rank PR(:T) carries T.
    const rankOf = (alarm: any) => alarm.metric_query.find((q: any) => q.id === "fast").metric.stat;
    expect([rankOf(byName["koaapp-latency-p99"]), rankOf(byName["koaapp-latency-p99-items-id"])]).toEqual([
      "PR(:400)",
      "PR(:250)",
    ]);
    expect(byName["koaapp-latency-p99"]?.metric_query[3].expression).toBe(
      "IF(requests >= 20 AND slowRequests >= 3 AND slowRequests > requests / 100 + 3 * (requests / 100) ^ 0.5, 100 - fast, 0)",
    );
    expect([
      byName["koaapp-latency-p99"]?.threshold,
      byName["koaapp-latency-p99-items-id"]?.threshold,
    ]).toEqual([1, 1]);
    expect(
      widgetTitled(widgetsOf(synth.json), "Error rate (5xx % of requests)").properties.metrics?.[0],
    ).toEqual([
      { expression: "IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)", id: "rate", label: "5xx %" },
    ]);
    expect(widgetTitled(widgetsOf(synth.json), "Alarms").properties.alarms).toHaveLength(3);
  });

  it("GIVEN an invalid alarm setting WHEN built THEN the service's one error names it under alarms", () => {
    expect(() => synthService({ alarms: { noMetricsMinutes: 7 } })).toThrow(
      new Error(
        "test/Service: invalid props:\n- alarms.noMetricsMinutes 7 is not a multiple of 5; allowed: 5, 10, 15, ... (the alarm evaluates 5-minute periods)",
      ),
    );
  });

  it("GIVEN a kmsKeyArn that is no KMS key ARN WHEN built THEN it is reported once, not again at alarms.topicKmsKeyArn, whose default it is", () => {
    expect(() => synthService({ kmsKeyArn: "my-key" })).toThrow(
      new Error(
        'test/Service: invalid props:\n- kmsKeyArn "my-key" is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<id> or arn:aws:kms:<region>:<account>:alias/<name>',
      ),
    );
  });

  it("GIVEN alarms.topicKmsKeyArn that is no KMS key ARN WHEN built THEN it is refused at its path", () => {
    expect(() => synthService({ kmsKeyArn: KMS_KEY, alarms: { topicKmsKeyArn: "alias/oncall" } })).toThrow(
      new Error(
        'test/Service: invalid props:\n- alarms.topicKmsKeyArn "alias/oncall" is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<id> or arn:aws:kms:<region>:<account>:alias/<name>',
      ),
    );
  });

  it("GIVEN the alarms WHEN read THEN the deployment alarms are the p99 and 5xx-rate ones, and each alarm is summarised", () => {
    const synth = synthService();
    const alarms = alarmsOf(synth.built);

    expect(resolved(synth.stack, synth.built.deploymentAlarmNames)).toEqual(
      [alarms.latencyP99, alarms.errorRate].map((alarm) => alarm && ref(synth.stack, alarm, "alarm_name")),
    );
    expect(synth.built.alarmSummaries.map((summary) => summary.name)).toEqual([
      "koaapp-latency-p99",
      "koaapp-5xx-rate",
      "koaapp-no-metrics",
    ]);
  });
});

describe("EmfFargateService observability with an existing cluster", () => {
  it("GIVEN an existing cluster WHEN synthesized THEN the dashboard's ECS widget uses its name", () => {
    const synth = synthService({
      cluster: { existing: { arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/shared", name: "shared" } },
    });

    expect(
      widgetTitled(widgetsOf(synth.json), "ECS service CPU and memory (%)").properties.metrics?.[0],
    ).toEqual([
      "AWS/ECS",
      "CPUUtilization",
      "ClusterName",
      "shared",
      "ServiceName",
      "koaapp",
      { stat: "Average" },
    ]);
  });
});
