import { MetricsContext } from "aws-embedded-metrics/lib/logger/MetricsContext";
import { LogSerializer } from "aws-embedded-metrics/lib/serializers/LogSerializer";
import {
  DIMENSIONS,
  LATENCY_DIMENSION_SETS,
  LATENCY_METRIC,
  PROPERTIES,
  type StatusClass,
} from "../../contract/metrics";
import type { ResolvedOptions } from "./options";

/** EMF allows at most this many values per metric in one document. */
export const MAX_VALUES_PER_DOCUMENT = 100;

/** The library's names for the default dimensions it would add (opt-in here, see `defaultDimensions`). */
const DEFAULT_DIMENSION_NAMES = {
  serviceName: "ServiceName",
  serviceType: "ServiceType",
  logGroup: "LogGroup",
};

/** Templates are cached per Path and StatusClass; past this many (a misbehaving router) the cache resets. */
const MAX_TEMPLATES = 10_000;

/** What every document carries besides its samples: the resolved options the documents read. */
export type DocumentSettings = Pick<
  ResolvedOptions,
  | "namespace"
  | "logGroupName"
  | "logStreamName"
  | "serviceName"
  | "serviceType"
  | "defaultDimensions"
  | "maxDocumentBytes"
>;

/** The per-request fields of a request-mode document. */
export interface RequestFields {
  readonly method: string;
  readonly url: string;
  /** Absent for aborted requests. */
  readonly statusCode: number | undefined;
  readonly requestId: string | undefined;
}

/**
 * A request-mode document cut around its per-request fields. Built from the library's template
 * context and used only after it reproduced `LogSerializer`'s output byte for byte.
 */
interface RequestTemplate {
  /** `{` dimension values `,"Method":…,"Url":` */
  readonly head: string;
  /** `,"LogGroupName":…,"CloudWatchMetrics":[…]}` after `"_aws":{"Timestamp":<ms>` */
  readonly awsTail: string;
}

/** One serialized document and the number of latency samples it carries. */
export interface SerializedDocument {
  readonly line: string;
  readonly samples: number;
}

/**
 * Builds latency documents with aws-embedded-metrics' own model and serializer (`MetricsContext`,
 * `LogSerializer`): the library validates namespace, dimension values and the metric, and writes the
 * `_aws` metadata. Dimension sets come from the contract through `setDimensions`, so the library's
 * default dimensions join them only when `defaultDimensions` is set.
 */
export class EmfDocuments {
  private readonly serializer = new LogSerializer();
  private readonly templates = new Map<string, MetricsContext>();
  /** Request-mode templates per Method/StatusClass/Path; `null` where the check failed (library path). */
  private readonly requestTemplates = new Map<string, RequestTemplate | null>();

  constructor(private readonly settings: DocumentSettings) {
    // Fails at setup, not per request, when the contract names a dimension this module cannot fill.
    this.template("/", "2xx");
    this.templates.clear();
  }

  /**
   * Serializes `values` (1–100 latency samples in milliseconds) as one document, or several when one
   * would exceed `maxDocumentBytes`. Throws the library's validation error for an invalid Path.
   */
  serialize(
    path: string,
    statusClass: StatusClass,
    values: readonly number[],
    properties: Readonly<Record<string, unknown>>,
    timestampMs?: number,
  ): SerializedDocument[] {
    const context = this.template(path, statusClass).createCopyWithContext();
    context.putMetric(LATENCY_METRIC.name, values[0] as number, LATENCY_METRIC.unit);
    // The first value went through the library's validation; the rest are finite numbers by construction.
    const metric = context.metrics.get(LATENCY_METRIC.name);
    for (let i = 1; i < values.length; i++) metric?.addValue(values[i]);
    for (const key in properties) context.setProperty(key, properties[key]);
    if (timestampMs !== undefined) context.setTimestamp(timestampMs);
    context.meta.LogGroupName = this.settings.logGroupName;
    if (this.settings.logStreamName) context.meta.LogStreamName = this.settings.logStreamName;
    const lines = this.serializer.serialize(context);
    const line = lines[0] as string;
    if (lines.length === 1 && Buffer.byteLength(line) + 1 <= this.settings.maxDocumentBytes) {
      return [{ line, samples: values.length }];
    }
    if (values.length === 1) return [{ line, samples: 1 }];
    const half = Math.ceil(values.length / 2);
    return [
      ...this.serialize(path, statusClass, values.slice(0, half), properties, timestampMs),
      ...this.serialize(path, statusClass, values.slice(half), properties, timestampMs),
    ];
  }

  /**
   * Serializes one request-mode document. It is the document `serialize` would produce with the
   * properties Method, Url, StatusCode and RequestId, but built by filling a per-key template
   * (~1 µs instead of ~10–60 µs per request). A key's template is used only after it reproduced the
   * library's output for probe values; otherwise the library serializes every document of that key.
   */
  serializeRequest(path: string, statusClass: StatusClass, valueMs: number, fields: RequestFields): string {
    const key = `${fields.method} ${statusClass} ${path}`;
    let template = this.requestTemplates.get(key);
    if (template === undefined) {
      template = this.verifiedRequestTemplate(path, statusClass, fields.method);
      if (this.requestTemplates.size >= MAX_TEMPLATES) this.requestTemplates.clear();
      this.requestTemplates.set(key, template);
    }
    if (template === null) {
      return (
        this.serialize(path, statusClass, [valueMs], requestProperties(fields)) as [SerializedDocument]
      )[0].line;
    }
    return fillRequestTemplate(template, valueMs, fields, Date.now());
  }

  private verifiedRequestTemplate(
    path: string,
    statusClass: StatusClass,
    method: string,
  ): RequestTemplate | null {
    const template = this.template(path, statusClass);
    const dimensionValues: Record<string, string> = {};
    for (const set of template.getDimensions()) Object.assign(dimensionValues, set);
    const dimensionsJson = JSON.stringify(dimensionValues);
    const meta: Record<string, string> = { LogGroupName: this.settings.logGroupName };
    if (this.settings.logStreamName) meta.LogStreamName = this.settings.logStreamName;
    const directives = [
      {
        Dimensions: template.getDimensions().map((set) => Object.keys(set)),
        Metrics: [{ Name: LATENCY_METRIC.name, Unit: LATENCY_METRIC.unit }],
        Namespace: template.namespace,
      },
    ];
    const candidate: RequestTemplate = {
      head: `${dimensionsJson === "{}" ? "{" : `${dimensionsJson.slice(0, -1)},`}${JSON.stringify(PROPERTIES.method)}:${JSON.stringify(method)},${JSON.stringify(PROPERTIES.url)}:`,
      awsTail: `${JSON.stringify(meta).replace(/^\{/, ",").slice(0, -1)},"CloudWatchMetrics":${JSON.stringify(directives)}}`,
    };
    const probes: RequestFields[] = [
      { method, url: '/probe/"quoted"', statusCode: 200, requestId: "probe-id" },
      { method, url: "/probe", statusCode: undefined, requestId: undefined },
    ];
    for (const probe of probes) {
      const timestampMs = Date.now();
      const expected = this.serialize(path, statusClass, [1.5], requestProperties(probe), timestampMs)[0]
        ?.line;
      if (fillRequestTemplate(candidate, 1.5, probe, timestampMs) !== expected) return null;
    }
    return candidate;
  }

  /** A validated context holding namespace and dimensions for one Path and StatusClass. */
  private template(path: string, statusClass: StatusClass): MetricsContext {
    const key = `${statusClass} ${path}`;
    const cached = this.templates.get(key);
    if (cached) return cached;
    const values: Record<string, string> = { [DIMENSIONS.path]: path, [DIMENSIONS.statusClass]: statusClass };
    const sets = LATENCY_DIMENSION_SETS.map((names) => {
      const set: Record<string, string> = {};
      for (const name of names) {
        const value = values[name];
        if (value === undefined)
          throw new Error(`latencyMetrics: contract dimension ${name} has no value source`);
        set[name] = value;
      }
      return set;
    });
    const context = MetricsContext.empty();
    context.setNamespace(this.settings.namespace);
    if (this.settings.defaultDimensions) {
      context.setDefaultDimensions({
        [DEFAULT_DIMENSION_NAMES.serviceName]: this.settings.serviceName,
        [DEFAULT_DIMENSION_NAMES.serviceType]: this.settings.serviceType,
        [DEFAULT_DIMENSION_NAMES.logGroup]: this.settings.logGroupName,
      });
    }
    context.setDimensions(sets, this.settings.defaultDimensions);
    if (this.templates.size >= MAX_TEMPLATES) this.templates.clear();
    this.templates.set(key, context);
    return context;
  }
}

function requestProperties(fields: RequestFields): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    [PROPERTIES.method]: fields.method,
    [PROPERTIES.url]: fields.url,
  };
  if (fields.statusCode !== undefined) properties[PROPERTIES.statusCode] = fields.statusCode;
  if (fields.requestId !== undefined) properties[PROPERTIES.requestId] = fields.requestId;
  return properties;
}

const STATUS_CODE_KEY = `,${JSON.stringify(PROPERTIES.statusCode)}:`;
const REQUEST_ID_KEY = `,${JSON.stringify(PROPERTIES.requestId)}:`;
const LATENCY_KEY = `,${JSON.stringify(LATENCY_METRIC.name)}:`;

function fillRequestTemplate(
  template: RequestTemplate,
  valueMs: number,
  fields: RequestFields,
  timestampMs: number,
): string {
  let line = template.head + JSON.stringify(fields.url);
  if (fields.statusCode !== undefined) line += STATUS_CODE_KEY + fields.statusCode;
  if (fields.requestId !== undefined) line += REQUEST_ID_KEY + JSON.stringify(fields.requestId);
  return `${line},"_aws":{"Timestamp":${timestampMs}${template.awsTail}${LATENCY_KEY}${valueMs}}`;
}
