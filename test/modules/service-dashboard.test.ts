import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { TerraformVariable } from "cdktf";
import { DIMENSIONS, LATENCY_METRIC, SERVER_ERROR_CLASS } from "../../contract/metrics";
import { EmfFargateService } from "../../modules/emf-fargate-service";
import {
  type AlarmsOptions,
  DEFAULT_MIN_REQUESTS_PER_MINUTE,
  resolveAlarms,
  ServiceAlarms,
} from "../../modules/service-alarms";
import { ServiceDashboard, type ServiceDashboardProps } from "../../modules/service-dashboard";
import { onlyResource, REGION, ref, SERVICE_PROPS, type Synthesized, synthStack } from "./support";

const NAMESPACE = "acme/koaapp";
const ALARM_ARNS = [
  "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:koaapp-latency-p99",
  "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:koaapp-5xx-rate",
];
const PROPS: ServiceDashboardProps = {
  name: "koaapp",
  namespace: NAMESPACE,
  region: REGION,
  clusterName: "koaapp-cluster",
  serviceName: "koaapp-service",
  minRequestsPerMinute: DEFAULT_MIN_REQUESTS_PER_MINUTE,
  alarmArns: ALARM_ARNS,
};

type Entry = readonly unknown[];

interface Widget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown> & { readonly title?: string; readonly metrics?: Entry[] };
}

interface Dashboard {
  readonly body: string;
  readonly name: unknown;
  readonly widgets: Widget[];
}

function dashboardOf(synth: Synthesized<unknown>): Dashboard {
  const resource = onlyResource(synth.json, "aws_cloudwatch_dashboard");
  const body = resource.dashboard_body as string;
  return {
    body,
    name: resource.dashboard_name,
    widgets: (JSON.parse(body) as { widgets: Widget[] }).widgets,
  };
}

function synthDashboard(overrides: Partial<ServiceDashboardProps> = {}): Dashboard {
  return dashboardOf(
    synthStack((stack) => new ServiceDashboard(stack, "Dashboard", { ...PROPS, ...overrides })),
  );
}

function widgetTitled(widgets: readonly Widget[], title: string): Widget {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found)
    throw new Error(`no widget titled ${title}; have ${widgets.map((w) => w.properties.title).join(", ")}`);
  return found;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Why a `metrics` entry is not one CloudWatch reads, or undefined when it is. */
function entryProblem(entry: unknown): string | undefined {
  if (!Array.isArray(entry) || entry.length === 0) return "is not a non-empty array";
  const [first] = entry;
  if (isObject(first)) {
    const ok = entry.length === 1 && typeof first.expression === "string" && typeof first.id === "string";
    return ok ? undefined : "is an expression entry without expression and id, or with more than one element";
  }
  const last = entry[entry.length - 1];
  const names = isObject(last) ? entry.slice(0, -1) : entry;
  if (names.length < 2 || names.length % 2 !== 0) return "is not namespace, metric name and dimension pairs";
  if (!names.every((part) => typeof part === "string" && part !== "")) return "has a part that is no string";
  return undefined;
}

/**
 * The ids a metric-math expression reads: lowercase-initial identifiers outside quoted strings and
 * outside Terraform references (`${var.x}` is a value by the time CloudWatch reads the expression).
 */
function idsReadBy(expression: string): string[] {
  const unquoted = expression
    .replace(/\$\{[^}]*\}/g, "0")
    .replace(/'[^']*'/g, "")
    .replace(/"[^"]*"/g, "");
  return unquoted.match(/\b[a-z][A-Za-z0-9_]*\b/g) ?? [];
}

/** Every way the dashboard body departs from the structure CloudWatch expects. */
function structureProblems(widgets: readonly Widget[], region: string): string[] {
  const problems: string[] = [];
  widgets.forEach((w, i) => {
    const at = `widget ${i} (${w.properties?.title ?? w.type})`;
    if (!["metric", "alarm", "text"].includes(w.type)) problems.push(`${at}: type ${w.type}`);
    for (const key of ["x", "y", "width", "height"] as const) {
      if (!Number.isInteger(w[key]) || w[key] < 0) problems.push(`${at}: ${key} ${w[key]}`);
    }
    if (w.width < 1 || w.height < 1) problems.push(`${at}: empty`);
    if (w.x + w.width > 24) problems.push(`${at}: x + width ${w.x + w.width} > 24`);
    if (!isObject(w.properties)) problems.push(`${at}: properties`);
    widgets.slice(i + 1).forEach((o, j) => {
      const overlaps =
        w.x < o.x + o.width && o.x < w.x + w.width && w.y < o.y + o.height && o.y < w.y + w.height;
      if (overlaps) problems.push(`${at} overlaps widget ${i + 1 + j}`);
    });
    if (w.type !== "metric") return;
    if (w.properties.region !== region) problems.push(`${at}: region ${String(w.properties.region)}`);
    const metrics = w.properties.metrics;
    if (!Array.isArray(metrics) || metrics.length === 0) {
      problems.push(`${at}: metrics is not a non-empty array`);
      return;
    }
    const metricIds = new Set<string>();
    const ids: string[] = [];
    const expressions: string[] = [];
    metrics.forEach((entry, k) => {
      const problem = entryProblem(entry);
      if (problem) problems.push(`${at}: metrics[${k}] ${problem}`);
      const options = entry[entry.length - 1];
      if (!isObject(options) || typeof options.id !== "string") return;
      ids.push(options.id);
      if (typeof options.expression === "string") expressions.push(options.expression);
      else metricIds.add(options.id);
    });
    for (const id of ids) {
      if (!/^[a-z][A-Za-z0-9_]*$/.test(id)) problems.push(`${at}: id ${id} is not a metric-math id`);
    }
    if (new Set(ids).size !== ids.length) problems.push(`${at}: ids ${ids.join(", ")} are not unique`);
    for (const expression of expressions) {
      for (const id of idsReadBy(expression)) {
        if (!metricIds.has(id)) problems.push(`${at}: ${expression} reads ${id}, no metric of the widget`);
      }
    }
  });
  return problems;
}

describe("ServiceDashboard with literal props and alarm ARNs", () => {
  const dashboard = synthDashboard();
  const { widgets } = dashboard;

  it("GIVEN a name WHEN synthesized THEN one dashboard of that name holds exactly a widgets array", () => {
    expect(dashboard.name).toBe("koaapp");
    expect(Object.keys(JSON.parse(dashboard.body))).toEqual(["widgets"]);
  });

  it("GIVEN the body WHEN checked THEN it has the structure CloudWatch expects: typed, placed in 24 columns, no overlaps, well-formed metrics in the region", () => {
    expect(structureProblems(widgets, REGION)).toEqual([]);
    expect(widgets.every((w) => isObject(w.properties))).toBe(true);
  });

  it("GIVEN alarm ARNs WHEN synthesized THEN six metric widgets come first and an alarm widget spans the bottom", () => {
    expect(widgets.map((w) => [w.type, w.properties.title])).toEqual([
      ["metric", "Latency p50 / p90 / p99 (all routes)"],
      ["metric", `Latency p99 by ${DIMENSIONS.path}`],
      ["metric", `Requests by ${DIMENSIONS.path} (per minute)`],
      ["metric", `Requests by ${DIMENSIONS.statusClass} (per minute)`],
      ["metric", "Error rate (5xx % of requests)"],
      ["metric", "ECS service CPU and memory (%)"],
      ["alarm", "Alarms"],
    ]);
    const bottom = Math.max(...widgets.slice(0, 6).map((w) => w.y + w.height));
    expect(widgets[6]).toEqual({
      type: "alarm",
      x: 0,
      y: bottom,
      width: 24,
      height: 3,
      properties: { title: "Alarms", alarms: ALARM_ARNS },
    });
  });

  it("GIVEN the metric widgets WHEN synthesized THEN each shows the last minute-periods as a time series", () => {
    for (const w of widgets.filter((widget) => widget.type === "metric")) {
      expect(w.properties).toMatchObject({ region: REGION, period: 60, view: "timeSeries" });
    }
  });

  it("GIVEN the namespace WHEN synthesized THEN the latency widget shows p50, p90 and p99 of the service-wide Latency", () => {
    expect(widgetTitled(widgets, "Latency p50 / p90 / p99 (all routes)").properties.metrics).toEqual([
      [NAMESPACE, LATENCY_METRIC.name, { stat: "p50", label: "p50" }],
      [NAMESPACE, LATENCY_METRIC.name, { stat: "p90", label: "p90" }],
      [NAMESPACE, LATENCY_METRIC.name, { stat: "p99", label: "p99" }],
    ]);
  });

  it("GIVEN the namespace WHEN synthesized THEN p99 and request count per Path come from a SEARCH over the Path dimension set", () => {
    const search = (statistic: string) =>
      `SEARCH('{"${NAMESPACE}",${DIMENSIONS.path}} MetricName="${LATENCY_METRIC.name}"', '${statistic}', 60)`;

    expect(widgetTitled(widgets, `Latency p99 by ${DIMENSIONS.path}`).properties.metrics).toEqual([
      [{ expression: search("p99"), id: "p99ByPath", label: "" }],
    ]);
    expect(widgetTitled(widgets, `Requests by ${DIMENSIONS.path} (per minute)`).properties.metrics).toEqual([
      [{ expression: search("SampleCount"), id: "requestsByPath", label: "" }],
    ]);
  });

  it("GIVEN the namespace WHEN synthesized THEN requests per status class come from a stacked SEARCH over the StatusClass dimension set", () => {
    const w = widgetTitled(widgets, `Requests by ${DIMENSIONS.statusClass} (per minute)`);

    expect(w.properties.metrics).toEqual([
      [
        {
          expression: `SEARCH('{"${NAMESPACE}",${DIMENSIONS.statusClass}} MetricName="${LATENCY_METRIC.name}"', 'SampleCount', 60)`,
          id: "requestsByClass",
          label: "",
        },
      ],
    ]);
    expect(w.properties.stacked).toBe(true);
  });

  it("GIVEN the alarms' default minimum WHEN synthesized THEN the error-rate widget computes the 5xx share from hidden 5xx and service-wide sample counts, guarded by 10 requests", () => {
    const w = widgetTitled(widgets, "Error rate (5xx % of requests)");

    expect(w.properties.metrics).toEqual([
      [{ expression: "IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)", id: "rate", label: "5xx %" }],
      [
        NAMESPACE,
        LATENCY_METRIC.name,
        DIMENSIONS.statusClass,
        SERVER_ERROR_CLASS,
        { stat: "SampleCount", id: "errors", visible: false },
      ],
      [NAMESPACE, LATENCY_METRIC.name, { stat: "SampleCount", id: "requests", visible: false }],
    ]);
    expect(w.properties.yAxis).toEqual({ left: { min: 0, max: 100, label: "%", showUnits: false } });
  });

  it("GIVEN the cluster and service names WHEN synthesized THEN the ECS widget shows the service's average CPU and memory", () => {
    expect(widgetTitled(widgets, "ECS service CPU and memory (%)").properties.metrics).toEqual([
      [
        "AWS/ECS",
        "CPUUtilization",
        "ClusterName",
        "koaapp-cluster",
        "ServiceName",
        "koaapp-service",
        { stat: "Average" },
      ],
      [
        "AWS/ECS",
        "MemoryUtilization",
        "ClusterName",
        "koaapp-cluster",
        "ServiceName",
        "koaapp-service",
        { stat: "Average" },
      ],
    ]);
  });

  it("GIVEN the construct WHEN read THEN widgets is what the body holds", () => {
    const synth = synthStack((stack) => new ServiceDashboard(stack, "Dashboard", PROPS));

    expect(synth.built.widgets).toEqual(dashboardOf(synth).widgets);
  });
});

describe("ServiceDashboard without alarm ARNs", () => {
  it("GIVEN no alarm ARNs (alarms turned off) WHEN synthesized THEN there is no alarm widget, only the six metric widgets", () => {
    const { widgets } = synthDashboard({ alarmArns: [] });

    expect(widgets.map((w) => w.type)).toEqual(Array(6).fill("metric"));
    expect(structureProblems(widgets, REGION)).toEqual([]);
  });
});

describe("ServiceDashboard with the alarms' minimum requests", () => {
  it("GIVEN minRequestsPerMinute 25 WHEN synthesized THEN the error-rate expression is guarded by 25 requests", () => {
    const { widgets } = synthDashboard({ minRequestsPerMinute: 25 });

    expect(widgetTitled(widgets, "Error rate (5xx % of requests)").properties.metrics?.[0]).toEqual([
      { expression: "IF(requests >= 25, 100 * FILL(errors, 0) / requests, 0)", id: "rate", label: "5xx %" },
    ]);
  });
});

describe("ServiceDashboard in EmfFargateService", () => {
  const rateOf = (alarms: AlarmsOptions | false) => {
    const { widgets } = dashboardOf(
      synthStack((stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, alarms })),
    );
    const rate = widgetTitled(widgets, "Error rate (5xx % of requests)").properties.metrics?.[0]?.[0];
    return { expression: (rate as { expression: string }).expression, types: widgets.map((w) => w.type) };
  };

  it("GIVEN the alarms' minimum WHEN synthesized THEN the dashboard judges minutes as they do, beside their status", () => {
    expect(rateOf({ minRequestsPerMinute: 25 })).toEqual({
      expression: "IF(requests >= 25, 100 * FILL(errors, 0) / requests, 0)",
      types: [...Array(6).fill("metric"), "alarm"],
    });
  });

  it("GIVEN alarms turned off WHEN synthesized THEN the default minimum and no alarm widget", () => {
    expect(rateOf(false)).toEqual({
      expression: `IF(requests >= ${DEFAULT_MIN_REQUESTS_PER_MINUTE}, 100 * FILL(errors, 0) / requests, 0)`,
      types: Array(6).fill("metric"),
    });
  });
});

describe("ServiceDashboard with token props", () => {
  const synth = synthStack((stack) => {
    const region = new DataAwsRegion(stack, "Region");
    const text = (name: string) => new TerraformVariable(stack, name, { type: "string" }).stringValue;
    const minRequests = new TerraformVariable(stack, "min_requests", { type: "number" });
    const alarms = new ServiceAlarms(stack, "Alarms", {
      ...resolveAlarms({}, undefined),
      name: "koaapp",
      namespace: NAMESPACE,
    });
    const dashboard = new ServiceDashboard(stack, "Dashboard", {
      name: "koaapp",
      namespace: text("namespace"),
      region: region.name,
      clusterName: text("cluster_name"),
      serviceName: text("service_name"),
      minRequestsPerMinute: minRequests.numberValue,
      alarmArns: alarms.alarms.map((alarm) => alarm.arn),
    });
    return { region, alarms, dashboard };
  });
  const { region, alarms } = synth.built;
  const dashboard = dashboardOf(synth);
  const regionRef = ref(synth.stack, region, "name");

  it("GIVEN references WHEN synthesized THEN the body stays a readable JSON string with the references inside string values", () => {
    expect(typeof dashboard.body).toBe("string");
    expect(dashboard.body.startsWith("{\n")).toBe(true);
    expect(dashboard.body).toBe(JSON.stringify(JSON.parse(dashboard.body), null, 2));
    expect(dashboard.body).toContain("${var.cluster_name}");
  });

  it("GIVEN a region reference WHEN synthesized THEN every metric widget's region is the reference and the structure holds", () => {
    expect(regionRef).toBe("${data.aws_region.Region.name}");
    expect(structureProblems(dashboard.widgets, regionRef)).toEqual([]);
  });

  it("GIVEN a namespace variable WHEN synthesized THEN the latency metrics and searches read it", () => {
    const [latency, p99ByPath] = dashboard.widgets;

    expect(latency?.properties.metrics?.[0]).toEqual([
      "${var.namespace}",
      LATENCY_METRIC.name,
      { stat: "p50", label: "p50" },
    ]);
    expect(p99ByPath?.properties.metrics?.[0]).toEqual([
      {
        expression: `SEARCH('{"\${var.namespace}",${DIMENSIONS.path}} MetricName="${LATENCY_METRIC.name}"', 'p99', 60)`,
        id: "p99ByPath",
        label: "",
      },
    ]);
  });

  it("GIVEN cluster and service variables WHEN synthesized THEN the ECS widget references them", () => {
    expect(widgetTitled(dashboard.widgets, "ECS service CPU and memory (%)").properties.metrics?.[0]).toEqual(
      [
        "AWS/ECS",
        "CPUUtilization",
        "ClusterName",
        "${var.cluster_name}",
        "ServiceName",
        "${var.service_name}",
        { stat: "Average" },
      ],
    );
  });

  it("GIVEN a minimum from a variable WHEN synthesized THEN the error-rate guard references it", () => {
    expect(widgetTitled(dashboard.widgets, "Error rate (5xx % of requests)").properties.metrics?.[0]).toEqual(
      [
        {
          expression: "IF(requests >= ${var.min_requests}, 100 * FILL(errors, 0) / requests, 0)",
          id: "rate",
          label: "5xx %",
        },
      ],
    );
  });

  it("GIVEN alarm ARN references WHEN synthesized THEN the alarm widget lists each alarm's ARN reference", () => {
    expect(widgetTitled(dashboard.widgets, "Alarms").properties.alarms).toEqual(
      alarms.alarms.map((alarm) => ref(synth.stack, alarm, "arn")),
    );
  });
});

describe("dashboard structure check", () => {
  const metric = (properties: Record<string, unknown>, x = 0, y = 0): Widget => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { region: REGION, ...properties },
  });

  it("GIVEN broken bodies WHEN checked THEN each break is reported (so an empty list means something)", () => {
    const widgets: Widget[] = [
      metric({ metrics: [["ns", "Latency", "Path"]] }),
      metric(
        { metrics: [[{ expression: "IF(a > 1, b, 0)", id: "e" }], ["ns", "Latency", { id: "a" }]] },
        6,
        3,
      ),
      { ...metric({ metrics: [["ns", "Latency"]] }, 18), properties: { metrics: [["ns", "Latency"]] } },
    ];

    expect(structureProblems(widgets, REGION)).toEqual([
      "widget 0 (metric) overlaps widget 1",
      "widget 0 (metric): metrics[0] is not namespace, metric name and dimension pairs",
      "widget 1 (metric): IF(a > 1, b, 0) reads b, no metric of the widget",
      "widget 2 (metric): x + width 30 > 24",
      "widget 2 (metric): region undefined",
    ]);
  });
});
