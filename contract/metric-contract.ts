/**
 * The metric contract for any app, whatever its language: what a service run by EmfFargateService must publish
 * for its alarms, autoscaling and dashboard to work, and a check of one EMF document against it. The Koa
 * middleware publishes exactly this; a Flask, Spring or Go service publishes it with its own EMF library (see
 * docs/metric-contract.md for a Python example with aws-embedded-metrics).
 */

import {
  DIMENSIONS,
  EMF_VARIABLES,
  LATENCY_DIMENSION_SETS,
  LATENCY_METRIC,
  STATUS_CLASSES,
  UNMATCHED_PATH,
} from "./metrics";
import { show } from "./problems";

/**
 * What the alarms, autoscaling and dashboard read, as data. Every request the service answers (health checks may
 * be left out) is one `Latency` sample, in milliseconds, published under exactly these three dimension sets, in
 * the namespace, log group and log stream the task definition gives the app as `AWS_EMF_*` variables. Nothing
 * else may be added to those dimension sets (a library's default dimensions would change the metrics' identity,
 * and the alarms would read metrics nobody publishes).
 */
export const METRIC_CONTRACT = {
  /** The one metric: request latency. */
  metric: LATENCY_METRIC,
  /** The dimension sets every document declares, each exactly (order of the sets is free). */
  dimensionSets: LATENCY_DIMENSION_SETS,
  /** `Path`: the matched route template (`/items/:id`), never the raw URL; unmatched requests as `(unmatched)`. */
  path: { dimension: DIMENSIONS.path, unmatched: UNMATCHED_PATH },
  /** `StatusClass`: `2xx`, `5xx`… or `aborted` for a client that went away first; `5xx` is what the error rate counts. */
  statusClass: { dimension: DIMENSIONS.statusClass, values: STATUS_CLASSES },
  /** Where the settings come from: the variables every EMF library reads. */
  variables: {
    namespace: EMF_VARIABLES.namespace,
    logGroupName: EMF_VARIABLES.logGroupName,
    logStreamName: EMF_VARIABLES.logStreamName,
    agentEndpoint: EMF_VARIABLES.endpoint,
    /** `true` when the deployment alarms judge 10-s periods: publish `Latency` with `"StorageResolution": 1`. */
    highResolution: EMF_VARIABLES.highResolution,
  },
} as const;

/** What a document must say beyond the contract's fixed parts: the values the task definition set. */
export interface ExpectedDocument {
  /** `AWS_EMF_NAMESPACE`. */
  readonly namespace: string;
  /**
   * `AWS_EMF_LOG_GROUP_NAME`: the agent drops documents that do not name a log group.
   * @default - not checked: a document naming any log group, or none, passes
   */
  readonly logGroupName?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((name) => b.includes(name));

/**
 * Every way one EMF document (parsed JSON) falls short of {@link METRIC_CONTRACT}, one message each; empty when
 * it publishes `Latency` as the alarms, autoscaling and dashboard read it.
 */
export function latencyDocumentProblems(document: unknown, expected: ExpectedDocument): string[] {
  const problems: string[] = [];
  const add = (text: string) => problems.push(text);
  if (!isRecord(document)) return [`document ${show(document)} is not a JSON object`];
  const aws = document._aws;
  if (!isRecord(aws)) return [`_aws ${show(aws)} is missing; an EMF document needs its metadata`];
  if (typeof aws.Timestamp !== "number")
    add(`_aws.Timestamp ${show(aws.Timestamp)} is not epoch milliseconds`);
  if (expected.logGroupName !== undefined && aws.LogGroupName !== expected.logGroupName)
    add(
      `_aws.LogGroupName ${show(aws.LogGroupName)} is not ${show(expected.logGroupName)} (${EMF_VARIABLES.logGroupName}); the agent drops documents without one`,
    );
  const directives = Array.isArray(aws.CloudWatchMetrics) ? aws.CloudWatchMetrics : [];
  const latency = directives.filter(
    (d) =>
      isRecord(d) &&
      Array.isArray(d.Metrics) &&
      d.Metrics.some((m) => isRecord(m) && m.Name === LATENCY_METRIC.name),
  ) as Record<string, unknown>[];
  if (latency.length === 0) {
    add(`_aws.CloudWatchMetrics declares no ${LATENCY_METRIC.name} metric`);
    return problems;
  }
  for (const directive of latency) {
    if (directive.Namespace !== expected.namespace)
      add(
        `Namespace ${show(directive.Namespace)} is not ${show(expected.namespace)} (${EMF_VARIABLES.namespace})`,
      );
    const metric = (directive.Metrics as unknown[]).find(
      (m) => isRecord(m) && m.Name === LATENCY_METRIC.name,
    ) as Record<string, unknown>;
    if (metric.Unit !== LATENCY_METRIC.unit)
      add(`${LATENCY_METRIC.name} Unit ${show(metric.Unit)} is not ${show(LATENCY_METRIC.unit)}`);
    const sets = (Array.isArray(directive.Dimensions) ? directive.Dimensions : []) as string[][];
    for (const wanted of LATENCY_DIMENSION_SETS)
      if (!sets.some((set) => Array.isArray(set) && sameSet(set, wanted)))
        add(
          `Dimensions ${show(sets)} lack the set ${show(wanted)}; allowed: exactly ${show(LATENCY_DIMENSION_SETS)}`,
        );
    for (const set of sets)
      if (!LATENCY_DIMENSION_SETS.some((wanted) => Array.isArray(set) && sameSet(set, wanted)))
        add(
          `Dimensions set ${show(set)} is not in the contract (a default dimension?); allowed: exactly ${show(LATENCY_DIMENSION_SETS)}`,
        );
  }
  const path = document[DIMENSIONS.path];
  if (typeof path !== "string" || !(path === UNMATCHED_PATH || path.startsWith("/")))
    add(
      `${DIMENSIONS.path} ${show(path)} is not a route template; allowed: the matched route, e.g. "/items/:id", or ${show(UNMATCHED_PATH)}`,
    );
  const statusClass = document[DIMENSIONS.statusClass];
  if (!(STATUS_CLASSES as readonly unknown[]).includes(statusClass))
    add(
      `${DIMENSIONS.statusClass} ${show(statusClass)} is not a status class; allowed: ${STATUS_CLASSES.join(", ")}`,
    );
  const value = document[LATENCY_METRIC.name];
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || !values.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0))
    add(
      `${LATENCY_METRIC.name} ${show(value)} is not a latency in milliseconds; allowed: a number ≥ 0, or a list of them`,
    );
  return problems;
}
