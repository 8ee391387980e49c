import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import { DIMENSIONS, LATENCY_METRIC } from "../contract/metrics";
import { errorRateExpression, searchByDimension, serverErrorLatency, serviceLatency } from "./metric-math";

/** Props of {@link ServiceDashboard}. */
export interface ServiceDashboardProps {
  /** Dashboard name. */
  readonly name: string;
  /** CloudWatch namespace of the service's metrics. */
  readonly namespace: string;
  /** Region the metrics are in (a token is fine). */
  readonly region: string;
  /** ECS cluster name, for the service's CPU and memory. */
  readonly clusterName: string;
  /** ECS service name, for the service's CPU and memory. */
  readonly serviceName: string;
  /** Requests a minute below which the error rate reads 0, as the alarms judge it. */
  readonly minRequestsPerMinute: number;
  /** Alarm ARNs shown in an alarm-status widget; none for no widget. */
  readonly alarmArns: readonly string[];
}

/** A CloudWatch dashboard widget, as the dashboard body takes it. */
export interface DashboardWidget {
  /** Widget type. */
  readonly type: "metric" | "alarm" | "text";
  /** Column, 0–23. */
  readonly x: number;
  /** Row. */
  readonly y: number;
  /** Width in columns, 1–24. */
  readonly width: number;
  /** Height in rows. */
  readonly height: number;
  /** Widget properties. */
  readonly properties: Record<string, unknown>;
}

const PERIOD = 60;

/**
 * The service's dashboard: latency p50/p90/p99 service-wide and p99 and request count per `Path`,
 * requests per status class, the 5xx rate, and the ECS service's CPU and memory.
 *
 * Per-Path widgets use metric-math SEARCH, so a new route appears without redeploying the dashboard.
 */
export class ServiceDashboard extends Construct {
  /** The dashboard. */
  readonly dashboard: CloudwatchDashboard;
  /** The widgets of the body, in order. */
  readonly widgets: readonly DashboardWidget[];

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const { minRequestsPerMinute } = props;
    const ns = props.namespace;
    const latency = LATENCY_METRIC.name;
    const base = { region: props.region, period: PERIOD, view: "timeSeries" };
    const all = serviceLatency(ns);
    const errors = serverErrorLatency(ns);
    const dimensionArgs = (dimensions: Readonly<Record<string, string>>) => Object.entries(dimensions).flat();

    const widgets: DashboardWidget[] = [
      {
        type: "metric",
        x: 0,
        y: 0,
        width: 12,
        height: 6,
        properties: {
          ...base,
          title: "Latency p50 / p90 / p99 (all routes)",
          metrics: ["p50", "p90", "p99"].map((stat) => [
            ns,
            latency,
            ...dimensionArgs(all.dimensions),
            { stat, label: stat },
          ]),
          yAxis: { left: { label: LATENCY_METRIC.unit, showUnits: false, min: 0 } },
        },
      },
      {
        type: "metric",
        x: 12,
        y: 0,
        width: 12,
        height: 6,
        properties: {
          ...base,
          title: `Latency p99 by ${DIMENSIONS.path}`,
          metrics: [
            [
              {
                expression: searchByDimension(ns, DIMENSIONS.path, "p99", PERIOD),
                id: "p99ByPath",
                label: "",
              },
            ],
          ],
          yAxis: { left: { label: LATENCY_METRIC.unit, showUnits: false, min: 0 } },
        },
      },
      {
        type: "metric",
        x: 0,
        y: 6,
        width: 12,
        height: 6,
        properties: {
          ...base,
          title: `Requests by ${DIMENSIONS.path} (per minute)`,
          metrics: [
            [
              {
                expression: searchByDimension(ns, DIMENSIONS.path, "SampleCount", PERIOD),
                id: "requestsByPath",
                label: "",
              },
            ],
          ],
          yAxis: { left: { min: 0 } },
        },
      },
      {
        type: "metric",
        x: 12,
        y: 6,
        width: 12,
        height: 6,
        properties: {
          ...base,
          title: `Requests by ${DIMENSIONS.statusClass} (per minute)`,
          metrics: [
            [
              {
                expression: searchByDimension(ns, DIMENSIONS.statusClass, "SampleCount", PERIOD),
                id: "requestsByClass",
                label: "",
              },
            ],
          ],
          stacked: true,
          yAxis: { left: { min: 0 } },
        },
      },
      {
        type: "metric",
        x: 0,
        y: 12,
        width: 12,
        height: 6,
        properties: {
          ...base,
          title: "Error rate (5xx % of requests)",
          metrics: [
            [
              {
                expression: errorRateExpression("errors", "requests", minRequestsPerMinute),
                id: "rate",
                label: "5xx %",
              },
            ],
            [
              ns,
              latency,
              ...dimensionArgs(errors.dimensions),
              { stat: "SampleCount", id: "errors", visible: false },
            ],
            [
              ns,
              latency,
              ...dimensionArgs(all.dimensions),
              { stat: "SampleCount", id: "requests", visible: false },
            ],
          ],
          yAxis: { left: { min: 0, max: 100, label: "%", showUnits: false } },
        },
      },
      {
        type: "metric",
        x: 12,
        y: 12,
        width: 12,
        height: 6,
        properties: {
          ...base,
          title: "ECS service CPU and memory (%)",
          metrics: ["CPUUtilization", "MemoryUtilization"].map((metric) => [
            "AWS/ECS",
            metric,
            "ClusterName",
            props.clusterName,
            "ServiceName",
            props.serviceName,
            { stat: "Average" },
          ]),
          yAxis: { left: { min: 0, max: 100, label: "%", showUnits: false } },
        },
      },
    ];
    if (props.alarmArns.length > 0) {
      widgets.push({
        type: "alarm",
        x: 0,
        y: 18,
        width: 24,
        height: 3,
        properties: { title: "Alarms", alarms: [...props.alarmArns] },
      });
    }
    this.widgets = widgets;
    this.dashboard = new CloudwatchDashboard(this, "Resource", {
      dashboardName: props.name,
      // Readable JSON in cdk.tf.json, like container_definitions: references only inside string values.
      dashboardBody: JSON.stringify({ widgets }, null, 2),
    });
  }
}
